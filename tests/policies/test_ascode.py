import pytest
import yaml
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from directory.models import DirectoryObject
from policies import services
from policies.ascode import export_text, import_text
from policies.models import (
    AccessRequirement,
    BypassRule,
    Era,
    FirewallRule,
    IPsecPolicy,
    ListeningProgram,
    Policy,
    Server,
)
from tests.policies.factories import DOMAIN_SID, PrincipalFactory

pytestmark = pytest.mark.django_db


def build_policy_set():
    """A policy set touching every kind of object and field."""
    app01_computer = PrincipalFactory(
        kind=DirectoryObject.Kind.COMPUTER, name="APP01", sid=f"{DOMAIN_SID}-3001"
    )
    old = services.create_server(
        name="OLD01",
        era=Era.XP,
        fqdn="old01.corp.example.test",
        owner="Infra team",
        notes="Line one\nLine two",
        states={"state_domain": "shielded", "state_standard": "on"},
        addresses=[("10.20.1.10", 24), ("192.168.50.10", 26)],
    )
    app = services.create_server(
        name="APP01",
        era=Era.ADVANCED,
        computer=app01_computer,
        states={"state_public": "off"},
        addresses=[("10.20.2.10", 24), ("2001:db8::10", 64)],
    )
    services.save_object(
        obj=ListeningProgram(
            server=old, program_path=r"C:\Apps\agent.exe", protocol="tcp", ports="8080"
        )
    )
    local_old = old.local_policy
    for rule in (
        FirewallRule(
            policy=local_old,
            name="SQL",
            protocol="tcp",
            ports="1433",
            scope="localsubnet",
            profiles="domain",
        ),
        FirewallRule(
            policy=local_old,
            name="Agent",
            kind="program",
            program_path=r"%ProgramFiles%\Agent\agent.exe",
            scope="10.0.0.0/255.0.0.0",
            enabled=False,
        ),
        FirewallRule(policy=local_old, name="Ping", kind="icmp", icmp_type=8),
        FirewallRule(
            policy=local_old,
            name="Files",
            kind="predefined",
            predefined_group="file_and_printer",
            scope="LocalSubnet",
        ),
    ):
        services.save_object(obj=rule)

    baseline = Policy(name="Baseline XP", era=Era.XP, precedence=1, description="GPO")
    services.save_policy(policy=baseline, servers=[old])
    services.save_bypass_rule(
        rule=BypassRule(policy=baseline, name="Bypass"),
        entries=[
            {"sid": f"{DOMAIN_SID}-1100", "name": "FW-Bypass-Old01"},
            {"sid": f"{DOMAIN_SID}-515", "name": "Domain Computers"},
        ],
    )

    wfas = Policy(
        name="Servers 2008+",
        era=Era.ADVANCED,
        precedence=5,
        state_domain="on",
    )
    services.save_policy(
        policy=wfas,
        servers=[app],
        authorization=[
            {
                "sid": f"{DOMAIN_SID}-1300",
                "name": "IPsec Peers",
                "list_kind": "machine",
            },
            {
                "sid": f"{DOMAIN_SID}-1301",
                "name": "Quarantine",
                "list_kind": "machine",
                "deny": True,
            },
        ],
    )
    services.save_object(
        obj=FirewallRule(
            policy=wfas,
            name="Block RDP",
            action="block",
            protocol="tcp",
            ports="3389",
        )
    )
    services.save_object(
        obj=FirewallRule(
            policy=wfas,
            name="HTTPS",
            protocol="tcp",
            ports="443,8443,5000-5100",
            scope="10.30.4.1-10.30.4.9,2001:db8::/32,Internet",
            profiles="domain,private",
        )
    )
    services.save_bypass_rule(
        rule=BypassRule(
            policy=wfas,
            name="RDP bypass",
            protocol="tcp",
            ports="3389",
            security="authenc",
            description="Helpdesk over IPsec",
        ),
        entries=[
            {"sid": f"{DOMAIN_SID}-1100", "name": "FW-Bypass-App01"},
            {"sid": f"{DOMAIN_SID}-1101", "name": "WS-Lost", "deny": True},
            {"sid": f"{DOMAIN_SID}-1200", "name": "Helpdesk", "role": "user"},
            {
                "sid": f"{DOMAIN_SID}-1201",
                "name": "Contractors",
                "role": "user",
                "deny": True,
            },
        ],
    )
    services.save_access_requirement(
        requirement=AccessRequirement(
            server=app, name="Share", protocol="tcp", ports="445"
        ),
        groups=[{"sid": f"{DOMAIN_SID}-1400", "name": "Finance Users"}],
    )
    services.save_ipsec_policy(
        policy=IPsecPolicy(
            name="Domain isolation",
            client_addresses="10.30.0.0/16",
            server_mode="require",
            protection="esp_null",
        ),
        clients=[{"sid": f"{DOMAIN_SID}-515", "name": "Domain Computers"}],
        servers=[old, app],
    )


def empty_policy_tables():
    IPsecPolicy.objects.all().delete()
    Policy.objects.all().delete()
    Server.objects.all().delete()


def test_export_import_into_an_empty_database_export_gives_the_same_file():
    build_policy_set()
    first = export_text()
    empty_policy_tables()
    assert not Server.objects.exists()

    report = import_text(first)

    assert report.ok, report.problems
    assert report.applied
    assert export_text() == first


def test_export_is_readable_yaml_with_names_and_sids():
    build_policy_set()

    data = yaml.safe_load(export_text())

    assert data["format"] == "fwconsole-policy/1"
    [baseline] = [item for item in data["policies"] if item["name"] == "Baseline XP"]
    assert baseline["bypass_rules"][0]["computers"] == [
        {"name": "Domain Computers", "sid": f"{DOMAIN_SID}-515"},
        {"name": "FW-Bypass-Old01", "sid": f"{DOMAIN_SID}-1100"},
    ]
    [app] = [item for item in data["servers"] if item["name"] == "APP01"]
    assert app["computer"] == {"name": "APP01", "sid": f"{DOMAIN_SID}-3001"}
    [old] = [item for item in data["servers"] if item["name"] == "OLD01"]
    assert old["local_settings"]["firewall_state"] == {
        "domain": "shielded",
        "standard": "on",
    }


def test_importing_an_export_changes_nothing_and_records_no_history():
    build_policy_set()
    text = export_text()
    entries = LogEntry.objects.count()

    report = import_text(text)

    assert report.ok
    assert report.changes == []
    assert LogEntry.objects.count() == entries


THREE_ERRORS = """\
format: fwconsole-policy/1
servers:
  - name: APP01
    era: advanced
    addresses: [10.20.1.10/33]
    local_settings:
      rules:
        - name: RDP
          protocol: tcp
          ports: '3389'
          scope: '10.0.0.1 - 10.0.0.9'
      bypass_rules:
        - name: Helpdesk only
          protocol: tcp
          ports: '3389'
          users:
            - {name: Helpdesk, sid: S-1-5-21-3623811015-3361044348-30300820-1200}
policies: []
"""


def test_file_with_three_errors_reports_all_three_with_lines_and_changes_nothing():
    services.create_server(name="KEEP01")
    before = export_text()
    entries = LogEntry.objects.count()

    report = import_text(THREE_ERRORS)

    assert not report.applied
    assert [problem.line for problem in report.problems] == [5, 11, 13]
    assert "prefix" in report.problems[0].message
    assert "scope" in report.problems[1].message
    assert "computer" in report.problems[2].message
    assert export_text() == before
    assert LogEntry.objects.count() == entries


def test_unknown_keys_duplicates_and_bad_links_are_reported_with_lines():
    text = """\
format: fwconsole-policy/1
servers:
  - name: APP01
    era: xp
    colour: blue
  - name: APP01
policies:
  - name: P
    era: advanced
    servers: [APP01, NOPE]
"""
    report = import_text(text)

    found = {
        (problem.line, problem.message.split(":")[0]) for problem in report.problems
    }
    lines = [problem.line for problem in report.problems]
    assert 5 in lines  # unknown key
    assert 6 in lines  # duplicate server
    assert lines.count(10) == 2  # era mismatch and unknown server
    assert found


def test_yaml_syntax_error_is_reported_with_its_line():
    report = import_text("format: fwconsole-policy/1\nservers:\n  - name: [unclosed\n")

    assert len(report.problems) == 1
    assert report.problems[0].line in (3, 4)
    assert not Server.objects.exists()


def test_preview_lists_changes_without_applying_them():
    build_policy_set()
    text = export_text().replace("precedence: 5", "precedence: 7")
    entries = LogEntry.objects.count()

    preview = import_text(text, apply=False)

    assert [str(change) for change in preview.changes] == [
        "update policy Servers 2008+ (precedence)"
    ]
    assert Policy.objects.get(name="Servers 2008+").precedence == 5
    assert LogEntry.objects.count() == entries


def test_import_deletes_what_the_file_leaves_out_and_records_who():
    build_policy_set()
    data = yaml.safe_load(export_text())
    data["servers"] = [item for item in data["servers"] if item["name"] != "APP01"]
    for policy in data["policies"]:
        policy["servers"] = [
            name for name in policy.get("servers", []) if name != "APP01"
        ]
    for policy in data["ipsec_policies"]:
        policy["servers"] = [name for name in policy["servers"] if name != "APP01"]

    report = import_text(yaml.safe_dump(data))

    assert report.ok, report.problems
    assert ("delete", "server", "APP01") in {
        (change.action, change.kind, change.label) for change in report.changes
    }
    assert not Server.objects.filter(name="APP01").exists()


def test_era_change_of_a_server_and_its_policy_in_one_file():
    build_policy_set()
    data = yaml.safe_load(export_text())
    [old] = [item for item in data["servers"] if item["name"] == "OLD01"]
    old["era"] = "advanced"
    old["local_settings"]["firewall_state"] = {"domain": "on"}
    [baseline] = [item for item in data["policies"] if item["name"] == "Baseline XP"]
    baseline["era"] = "advanced"

    report = import_text(yaml.safe_dump(data))

    assert report.ok, report.problems
    assert Server.objects.get(name="OLD01").era == Era.ADVANCED
    assert Policy.objects.get(name="Baseline XP").servers.get().name == "OLD01"


def test_command_exports_and_imports_with_the_actor_in_the_history(
    tmp_path, editor, capsys
):
    build_policy_set()
    target = tmp_path / "policy.yaml"
    call_command("policy", "export", str(target))
    text = target.read_text()
    target.write_text(text.replace("precedence: 5", "precedence: 6"))

    call_command("policy", "import", str(target), "--user", editor.username)

    policy = Policy.objects.get(name="Servers 2008+")
    assert policy.precedence == 6
    entry = LogEntry.objects.filter(object_pk=str(policy.pk)).latest("timestamp")
    assert entry.actor == editor


def test_command_import_with_errors_lists_them_and_fails(tmp_path, capsys):
    target = tmp_path / "bad.yaml"
    target.write_text(THREE_ERRORS)

    with pytest.raises(CommandError, match="3 problem"):
        call_command("policy", "import", str(target))

    errors = capsys.readouterr().err
    assert f"{target}:5:" in errors and f"{target}:11:" in errors


BILLION_LAUGHS = """\
format: fwconsole-policy/1
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
servers:
  - name: *i
"""


def test_a_yaml_bomb_is_refused_at_its_first_alias_without_being_expanded():
    # Each problem message quotes the bad value: expanded, the name alone
    # would be a text of a billion "lol"s.
    report = import_text(BILLION_LAUGHS, apply=False)

    assert [(p.line, p.message.split(";")[0]) for p in report.problems] == [
        (3, "YAML syntax: *a is an alias")
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("format: fwconsole-policy/1\nservers:\n  - name: A\x1b[31m\n", 3, "U+001B"),
        ("format: fwconsole-policy/1\nservers: \x00\n", 2, "U+0000"),
        ("[" * 5000 + "]" * 5000, 1, "nested more than 50 levels"),
        ("", 1, "The file is empty"),
        (
            "format: fwconsole-policy/1\nservers:\n  - name: APP01\n"
            "    addresses: [10.20.1.10/" + "9" * 5000 + "]\n",
            4,
            "has no numeric prefix length",
        ),
        ("  \n\n", 1, "The file is empty"),
        ("servers:\n" + "  - name: S\n" * 200_000, 1, "a policy file is at most"),
    ],
)
def test_files_yaml_cannot_read_are_one_problem_with_its_line(text, line, message):
    services.create_server(name="KEEP01")
    before = export_text()

    report = import_text(text)

    assert [problem.line for problem in report.problems] == [line]
    assert message in report.problems[0].message
    assert not report.applied and export_text() == before


def test_command_refuses_a_huge_file_before_reading_it(tmp_path):
    target = tmp_path / "huge.yaml"
    with target.open("w") as huge:
        huge.truncate(9 * 1024 * 1024)

    with pytest.raises(CommandError, match=r"huge.yaml:1: The file holds 9,437,184"):
        call_command("policy", "import", str(target))


def test_upload_page_refuses_a_huge_file_and_a_control_character(editor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    huge = SimpleUploadedFile("p.yaml", b" " * (9 * 1024 * 1024), "application/yaml")
    response = editor_client.post(reverse("policies:policy_import"), {"file": huge})

    assert response.status_code == 200
    assert "a policy file is at most" in response.context["form"].errors["file"][0]

    escape = SimpleUploadedFile("p.yaml", b"servers:\n- name: \x1b[31m\n", "text/yaml")
    response = editor_client.post(reverse("policies:policy_import"), {"file": escape})

    assert response.status_code == 200
    assert "U+001B" in response.context["report"].problems[0].message
