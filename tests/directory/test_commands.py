"""Management commands: directory_source, members, import_ldif, sync_directory."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.models import DirectoryObject, DirectorySource, Membership, SyncRun
from tests.directory.factories import (
    ComputerFactory,
    DirectorySourceFactory,
    GroupFactory,
    MembershipFactory,
    UserFactory,
)
from tests.directory.ldif_samples import BASE_DN, MALFORMED, nested_export
from tests.services import database_url_for_subprocess

pytestmark = pytest.mark.django_db

BIND_PASSWORD = "Cli-secret-7731"


def run_command(*args, stdin=None):
    """Run a command; return (stdout, stderr), or raise its CommandError."""
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = stdin
    call_command(*args, **options)
    return out.getvalue(), err.getvalue()


class NoTerminal(io.StringIO):
    def isatty(self):
        return False


ADD_ARGS = (
    "directory_source",
    "add",
    "corp",
    "--kind",
    "ad",
    "--server-url",
    "ldaps://dc1.corp.example.test",
    "--server-url",
    "ldaps://dc2.corp.example.test",
    "--bind-dn",
    "CN=svc-fwconsole,OU=Service,DC=corp,DC=example,DC=test",
    "--base-dn",
    "DC=corp,DC=example,DC=test",
    "--computer-base",
    "OU=Workstations,DC=corp,DC=example,DC=test",
    "--group-filter",
    "(groupType:1.2.840.113556.1.4.803:=2147483648)",
    "--staleness-limit",
    "12",
    "--sync-interval",
    "30",
    "--shrink-threshold",
    "20",
    "--resolve-addresses",
)


def test_add_reads_the_password_from_stdin_and_never_prints_it(caplog):
    out, err = run_command(
        *ADD_ARGS, "--bind-password-stdin", stdin=NoTerminal(BIND_PASSWORD + "\n")
    )

    source = DirectorySource.objects.get(name="corp")
    assert source.bind_password == BIND_PASSWORD
    assert source.server_urls.splitlines() == [
        "ldaps://dc1.corp.example.test",
        "ldaps://dc2.corp.example.test",
    ]
    assert source.computer_base == "OU=Workstations,DC=corp,DC=example,DC=test"
    assert source.staleness_limit_hours == 12
    assert source.sync_interval_minutes == 30
    assert source.shrink_threshold_percent == 20
    assert source.resolve_addresses is True
    assert source.verify_certificate is True
    assert "Created directory source corp" in out
    assert BIND_PASSWORD not in out + err + caplog.text


def test_add_prompts_for_the_password_without_echo(monkeypatch):
    prompts = []

    def fake_getpass(prompt):
        prompts.append(prompt)
        return BIND_PASSWORD

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("getpass.getpass", fake_getpass)

    out, _err = run_command(*ADD_ARGS, stdin=Terminal())

    assert prompts == [
        "Bind password for CN=svc-fwconsole,OU=Service,DC=corp,DC=example,DC=test: "
    ]
    assert DirectorySource.objects.get().bind_password == BIND_PASSWORD
    assert BIND_PASSWORD not in out


def test_add_without_a_terminal_or_password_option_is_refused():
    with pytest.raises(CommandError, match="--bind-password-env"):
        run_command(*ADD_ARGS, stdin=NoTerminal(""))

    assert not DirectorySource.objects.exists()


def test_add_with_an_environment_variable_stores_no_password():
    _out, err = run_command(*ADD_ARGS, "--bind-password-env", "FWCONSOLE_TEST_UNSET")

    source = DirectorySource.objects.get()
    assert not source.bind_password
    assert source.bind_password_env == "FWCONSOLE_TEST_UNSET"
    assert "FWCONSOLE_TEST_UNSET is not set here" in err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--base-dn", "corp.example.test", "--base-dn: Not a valid distinguished"),
        ("--computer-filter", "(cn=a", "--computer-filter: Not a valid LDAP filter"),
        ("--server-url", "ldap://dc1", "--server-url: ldap://dc1 would send"),
        ("--staleness-limit", "0", "--staleness-limit: Ensure this value"),
    ],
)
def test_add_refuses_bad_input_naming_the_option_and_saves_nothing(
    option, value, message
):
    args = [*ADD_ARGS, "--bind-password-env", "CORP_BIND"]
    if option == "--server-url":
        args = [arg for arg in args if not arg.startswith("ldaps://")]
        args.remove("--server-url")
        args.remove("--server-url")
    args += [option, value]

    with pytest.raises(CommandError) as raised:
        run_command(*args)

    assert message in str(raised.value)
    assert "Nothing was saved" in str(raised.value)
    assert not DirectorySource.objects.exists()


def test_add_refuses_a_duplicate_name():
    DirectorySourceFactory(name="corp")

    with pytest.raises(CommandError, match="NAME: .*already exists"):
        run_command(*ADD_ARGS, "--bind-password-env", "CORP_BIND")


def test_list_shows_sources_without_passwords():
    DirectorySourceFactory(name="corp", bind_password=BIND_PASSWORD)
    DirectorySourceFactory(name="lab", bind_password_env="LAB_BIND", bind_password="")

    out, _err = run_command("directory_source", "list")
    as_json, _err = run_command("directory_source", "list", "--json")

    assert "corp" in out
    assert "stored" in out
    assert "env:LAB_BIND" in out
    assert BIND_PASSWORD not in out + as_json
    rows = json.loads(as_json)
    assert [row["name"] for row in rows] == ["corp", "lab"]
    assert rows[0]["password"] == "stored"


def test_list_escapes_control_characters_in_names():
    DirectorySourceFactory(name="corp", base_dn="DC=corp\n\x1b[31mFAKE")

    out, _err = run_command("directory_source", "list")

    assert "\x1b" not in out
    assert "\\x1b" in out
    assert len(out.strip().splitlines()) == 2


def test_remove_needs_confirmation_then_deletes():
    source = DirectorySourceFactory(name="corp")
    ComputerFactory(source=source)

    with pytest.raises(CommandError, match="--yes"):
        run_command("directory_source", "remove", "corp", stdin=NoTerminal(""))
    assert DirectorySource.objects.exists()

    out, _err = run_command("directory_source", "remove", "corp", "--yes")

    assert "Deleted directory source corp" in out
    assert not DirectorySource.objects.exists()


def test_remove_of_an_unknown_source_fails():
    with pytest.raises(CommandError, match="No directory source named 'nope'"):
        run_command("directory_source", "remove", "nope", "--yes")


@pytest.fixture
def nested_groups():
    source = DirectorySourceFactory(name="corp")
    top = GroupFactory(source=source, name="FW-Bypass-App01")
    site = GroupFactory(source=source, name="Site-Oslo")
    domain_computers = GroupFactory(source=source, name="Domain Computers")
    ws = ComputerFactory(source=source, name="WS0401")
    kiosk = ComputerFactory(source=source, name="KIOSK-0407", enabled=False)
    user = UserFactory(source=source, name="jroe")
    MembershipFactory(group=top, member=site)
    MembershipFactory(group=top, member=ws)
    MembershipFactory(group=site, member=domain_computers)
    MembershipFactory(
        group=domain_computers, member=kiosk, via=Membership.Via.PRIMARY_GROUP
    )
    MembershipFactory(group=site, member=user)
    MembershipFactory(
        group=top,
        member=None,
        member_dn="CN=WS1099,OU=Gone,DC=corp,DC=example,DC=test",
        state=Membership.State.UNRESOLVED,
    )
    return {
        "source": source,
        "top": top,
        "site": site,
        "ws": ws,
        "kiosk": kiosk,
        "user": user,
        "dc": domain_computers,
    }


def test_members_prints_direct_members_and_unresolved_ones(nested_groups):
    out, _err = run_command("members", "FW-Bypass-App01", "--source", "corp")

    assert "Members (direct): 2" in out
    assert "WS0401" in out
    assert "Site-Oslo" in out
    assert "KIOSK-0407" not in out
    assert "Unresolved: CN=WS1099,OU=Gone" in out


def test_members_transitive_prints_chains_with_primary_groups(nested_groups):
    out, _err = run_command(
        "members", "fw-bypass-app01", "--source", "corp", "--transitive"
    )

    assert "Members (at any depth): 5" in out
    assert (
        "KIOSK-0407 -> [primary group] Domain Computers -> Site-Oslo -> "
        "FW-Bypass-App01" in out
    )
    assert "KIOSK-0407 (disabled)" in out
    assert "jroe" in out


def test_members_json_is_machine_readable(nested_groups):
    out, _err = run_command(
        "members", "FW-Bypass-App01", "--source", "corp", "--transitive", "--json"
    )

    report = json.loads(out)
    members = {member["name"]: member for member in report["members"]}
    assert set(members) == {
        "Site-Oslo",
        "WS0401",
        "Domain Computers",
        "KIOSK-0407",
        "jroe",
    }
    assert members["KIOSK-0407"]["depth"] == 3
    assert [step["primary"] for step in members["KIOSK-0407"]["chain"]] == [
        False,
        True,
        False,
        False,
    ]
    assert report["unresolved"][0]["dn"].startswith("CN=WS1099")
    assert report["uncertainties"][0]["reason"] == "unresolved"


def test_members_finds_the_group_by_sid_and_by_dn(nested_groups):
    top = nested_groups["top"]

    by_sid, _ = run_command("members", top.sid, "--source", "corp", "--json")
    by_dn, _ = run_command("members", top.dn, "--source", "corp", "--json")

    assert json.loads(by_sid)["group"]["id"] == top.pk
    assert json.loads(by_dn)["group"]["id"] == top.pk


def test_members_of_an_unknown_group_or_source_fails(nested_groups):
    with pytest.raises(CommandError, match="No group 'Nope' in source corp"):
        run_command("members", "Nope", "--source", "corp")
    with pytest.raises(CommandError, match="No directory source named 'lab'"):
        run_command("members", "FW-Bypass-App01", "--source", "lab")


def test_members_output_escapes_newlines_in_names(nested_groups):
    ComputerFactory(
        source=nested_groups["source"], name="WS\nFAKE-LINE", sam_account_name="X$"
    )
    hostile = ComputerFactory(source=nested_groups["source"], name="EVIL")
    hostile.sam_account_name = "EVIL\n  computer WS-FORGED$"
    hostile.save()
    MembershipFactory(group=nested_groups["top"], member=hostile)

    out, _err = run_command("members", "FW-Bypass-App01", "--source", "corp")

    assert "EVIL\\n  computer WS-FORGED" in out
    assert not any(
        line.strip().startswith("computer WS-FORGED") for line in out.splitlines()
    )


def test_import_ldif_into_a_missing_source_fails_and_creates_nothing(tmp_path):
    ldif = tmp_path / "export.ldif"
    ldif.write_text("dn: CN=WS1,DC=corp,DC=example,DC=test\nobjectClass: computer\n")

    with pytest.raises(
        CommandError, match="No directory source named 'corp'"
    ) as raised:
        run_command("import_ldif", str(ldif), "--source", "corp")

    assert raised.value.returncode == 1
    assert not DirectorySource.objects.exists()


def test_import_ldif_of_a_missing_file_fails():
    DirectorySourceFactory(name="corp")

    with pytest.raises(CommandError, match="no such file"):
        run_command("import_ldif", "/nonexistent/export.ldif", "--source", "corp")


def test_sync_of_an_unknown_source_fails():
    with pytest.raises(CommandError, match="No directory source named 'nope'"):
        run_command("sync_directory", "nope")


def write_ldif(tmp_path, text, name="export.ldf"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def offline_source():
    return DirectorySourceFactory(
        name="offline", kind="ldif", base_dn=BASE_DN, server_urls="", domain_sid=""
    )


def test_import_ldif_imports_and_reports_counts(tmp_path):
    source = offline_source()
    path = write_ldif(tmp_path, nested_export())

    out, _err = run_command("import_ldif", str(path), "--source", "offline")

    run = SyncRun.objects.get(source=source)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert f"Imported {path} into offline (run #{run.pk}, succeeded)" in out
    assert "objects +9 ~0 -0" in out
    assert DirectoryObject.objects.filter(source=source).count() == 9


def test_import_ldif_of_a_malformed_file_names_the_line_and_changes_nothing(
    tmp_path,
):
    source = offline_source()
    run_command(
        "import_ldif", str(write_ldif(tmp_path, nested_export())), "--source", "offline"
    )
    before = list(DirectoryObject.objects.values_list("pk", "dn", "deleted_at"))
    broken = write_ldif(tmp_path, MALFORMED, name="broken.ldf")

    with pytest.raises(CommandError) as raised:
        run_command("import_ldif", str(broken), "--source", "offline")

    assert raised.value.returncode == 1
    assert "broken.ldf, line 4" in str(raised.value)
    assert "nothing was changed" in str(raised.value)
    assert list(DirectoryObject.objects.values_list("pk", "dn", "deleted_at")) == before
    assert SyncRun.objects.filter(source=source).count() == 1


def test_import_ldif_exits_non_zero_from_the_shell(tmp_path):
    broken = write_ldif(tmp_path, MALFORMED, name="broken.ldf")

    result = subprocess.run(
        [sys.executable, "manage.py", "import_ldif", str(broken), "--source", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "FWCONSOLE_DATABASE_URL": database_url_for_subprocess()},
    )

    assert result.returncode == 1
    assert "No directory source named 'nope'" in result.stderr


def test_members_after_an_import_follows_nesting_and_primary_groups(tmp_path):
    offline_source()
    run_command(
        "import_ldif", str(write_ldif(tmp_path, nested_export())), "--source", "offline"
    )
    group_dn = "cn=fw-bypass-app01,ou=groups,dc=corp,dc=example,dc=test"

    out, _err = run_command(
        "members", group_dn, "--source", "offline", "--transitive", "--json"
    )

    report = json.loads(out)
    chains = {member["name"]: member for member in report["members"]}
    assert set(chains) == {"Site-Oslo", "Oslo-Kiosks", "WS0401", "KIOSK-0407"}
    assert [step["name"] for step in chains["KIOSK-0407"]["chain"]] == [
        "KIOSK-0407",
        "Oslo-Kiosks",
        "Site-Oslo",
        "FW-Bypass-App01",
    ]
    assert chains["KIOSK-0407"]["enabled"] is False
    assert report["unresolved"] == [
        {
            "dn": "CN=WS1099,OU=Gone,DC=corp,DC=example,DC=test",
            "sid": "",
            "state": "unresolved",
            "via": "member",
        }
    ]

    primary, _err = run_command("members", "Domain Computers", "--source", "offline")
    assert "Members (direct): 3" in primary
    assert "via primaryGroupID" in primary


def test_sync_directory_queues_a_run_from_the_command_line():
    source = DirectorySourceFactory(name="corp")

    out, _err = run_command("sync_directory", "corp", "--allow-shrink")

    run = SyncRun.objects.get(source=source)
    assert run.trigger == SyncRun.Trigger.COMMAND
    assert run.allow_shrink is True
    assert f"Run #{run.pk} of corp is queued." in out


def test_sync_directory_wait_gives_up_after_the_timeout_with_exit_code_2(
    no_celery_worker,
):
    DirectorySourceFactory(name="corp")

    with pytest.raises(CommandError, match="still queued after 1 s") as raised:
        run_command(
            "sync_directory", "corp", "--wait", "--timeout", "1", "--interval", "0.2"
        )

    assert raised.value.returncode == 2


@pytest.mark.worker
def test_sync_directory_wait_reports_a_failed_run_with_its_reason(celery_worker):
    DirectorySourceFactory(
        name="corp",
        server_urls="ldaps://127.0.0.1:1",
        bind_password="",
        bind_password_env="FWCONSOLE_TEST_UNSET_BIND_PASSWORD",
    )

    with pytest.raises(CommandError) as raised:
        run_command("sync_directory", "corp", "--wait", "--timeout", "60")

    message = str(raised.value)
    assert raised.value.returncode == 1
    assert "failed" in message
    assert "FWCONSOLE_TEST_UNSET_BIND_PASSWORD" in message
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert run.trigger == SyncRun.Trigger.COMMAND


def test_add_an_ldif_snapshot_source_needs_no_server_or_password():
    out, _err = run_command(
        "directory_source",
        "add",
        "offline",
        "--kind",
        "ldif",
        "--base-dn",
        BASE_DN,
        "--sync-interval",
        "0",
        stdin=NoTerminal(""),
    )

    source = DirectorySource.objects.get(name="offline")
    assert source.kind == DirectorySource.Kind.LDIF
    assert source.server_urls == ""
    assert "Created directory source offline" in out


def test_members_refuses_a_name_that_matches_several_groups():
    source = DirectorySourceFactory(name="corp")
    GroupFactory(source=source, name="Ops", sam_account_name="ops-a", container="OU=A")
    GroupFactory(source=source, name="Ops", sam_account_name="ops-b", container="OU=B")

    with pytest.raises(CommandError, match="names several groups"):
        run_command("members", "Ops", "--source", "corp")
