"""The whatif management command: answers, JSON, exit codes."""

import json

import pytest
from django.core.management import call_command


def run(capsys, *args):
    with pytest.raises(SystemExit) as exited:
        call_command("whatif", *args)
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


@pytest.mark.django_db
def test_allowed_exits_0_and_prints_the_ladder(rdp, capsys):
    code, out, _ = run(
        capsys,
        "--client",
        "WS2101",
        "--user",
        "jroe",
        "--server",
        "APP01",
        "--service",
        "3389/tcp",
        "--assume-ipsec",
        "yes",
    )
    assert code == 0
    assert out.startswith("ALLOWED: Bypass rule Bypass authorizes WS2101 and user jroe")
    assert "chain: WS2101 → FW-Bypass-App01" in out
    assert "* 4. [decided] Authenticated-bypass rules" in out


@pytest.mark.django_db
def test_denied_exits_1(rdp, capsys):
    code, out, _ = run(
        capsys,
        "--client",
        "WS2102",
        "--user",
        "jroe",
        "--server",
        "APP01",
        "--service",
        "tcp/3389",
        "--assume-ipsec",
        "yes",
    )
    assert code == 1
    assert out.startswith("DENIED: Block rule Block RDP matches")


@pytest.mark.django_db
def test_indeterminate_exits_2(rdp, capsys):
    rdp.requirement(
        rdp.servers["APP01"], rdp.group("Web users"), protocol="tcp", ports="443"
    )
    code, out, _ = run(
        capsys, "--ip", "10.1.1.1", "--server", "APP01", "--service", "tcp/443"
    )
    assert code == 2
    assert "unknown: User access: no user given" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (["--client", "WS21*"], "client", "Unknown machine 'WS21*'."),
        (
            ["--client", "WS2101", "--service", "tcp/99999"],
            "service",
            "outside 1-65535",
        ),
        (
            ["--client", "WS2101", "--server", "NOPE"],
            "server",
            "Unknown server 'NOPE'.",
        ),
        (["--client", "WS2101", "--user", "jro"], "user", "Unknown user 'jro'."),
        (["--ip", "10.1.1"], "ip", "'10.1.1' is not an IP address."),
        (["--service", "tcp/" + "9" * 5000], "service", "is outside 1-65535"),
        (["--service", "icmp/" + "9" * 5000], "service", "is not an ICMP type"),
        (["--client", "WS2101)(objectClass=*"], "client", "Unknown machine"),
        (["--client", "*"], "client", "Unknown machine '*'"),
        (["--client", "\\"], "client", "write DOMAIN\\NAME$ with both parts"),
        (["--client", "CORP\\"], "client", "write DOMAIN\\NAME$ with both parts"),
        (
            ["--client", "WS2101", "--user", "\\jroe"],
            "user",
            "write DOMAIN\\user with both parts",
        ),
        (
            ["--client", "WS2101", "--as-member", "No such group"],
            "as_member",
            "Unknown group",
        ),
    ],
)
def test_bad_input_exits_3_with_the_field_and_no_verdict(
    rdp, capsys, args, field, message
):
    base = {"--server": "APP01", "--service": "tcp/3389"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [item for pair in base.items() for item in pair]
    code, out, err = run(capsys, *flat, "--json")
    assert code == 3
    answer = json.loads(out)
    assert answer["field"] == field
    assert message in answer["error"]
    assert "verdict" not in answer


@pytest.mark.django_db
def test_json_matches_the_api_answer(rdp, capsys, viewer_client):
    args = [
        "--client",
        "WS2101",
        "--user",
        "jroe",
        "--server",
        "APP01",
        "--service",
        "tcp/3389",
        "--assume-ipsec",
        "yes",
    ]
    _, out, _ = run(capsys, *args, "--json")
    from_command = json.loads(out)
    response = viewer_client.post(
        "/api/whatif/",
        {
            "client": "WS2101",
            "user": "jroe",
            "server": "APP01",
            "service": "tcp/3389",
            "assume_ipsec": "yes",
        },
        content_type="application/json",
    )
    from_api = response.json()
    for answer in (from_command, from_api):
        answer["facts"].pop("snapshot_taken_at")
        for age in answer["facts"]["data_age_hours"]:
            answer["facts"]["data_age_hours"][age] = None
    assert from_command == from_api


@pytest.mark.django_db
def test_suggest_lists_changes_on_a_denial(rdp, capsys):
    code, out, _ = run(
        capsys,
        "--client",
        "WS2102",
        "--user",
        "jroe",
        "--server",
        "APP01",
        "--service",
        "tcp/3389",
        "--assume-ipsec",
        "yes",
        "--suggest",
    )
    assert code == 1
    assert "What would allow it:" in out
    assert "Add WS2102 to group FW-Bypass-App01" in out
