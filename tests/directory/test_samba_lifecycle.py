"""Syncs against the Samba DC in an OU of the test's own: renames, moves,
deletions and disabling between two syncs, failures half-way (FC-14), a
group read in ranges of three (FC-01), escaped filters (FC-11, FC-16), the
connection test and StartTLS."""

import socket
import threading
import time

import ldap
import ldap3
import pytest

from directory.ldap.connection import connection_test, open_connection
from directory.ldap.entry import Entry
from directory.ldap.errors import DirectoryUnavailable
from directory.ldap.reader import LdapEntrySource
from directory.ldap.values import guid_text
from directory.models import (
    DirectoryObject,
    Membership,
    MembershipChange,
    ObjectChange,
    SyncLogEntry,
    SyncRun,
)
from directory.services import sync_run_execute
from tests.directory import samba
from tests.directory.conftest import make_proxy
from tests.policies.cases.runner import build_policy
from tests.policies.cases.variants import bypass_server, check, query

pytestmark = [pytest.mark.samba, pytest.mark.django_db]


def run_sync(source, *, final_attempt=True, **fields):
    run = SyncRun.objects.create(
        source=source, trigger=SyncRun.Trigger.COMMAND, **fields
    )
    return sync_run_execute(run_id=run.pk, final_attempt=final_attempt)


def add_computer(env, dn, name, **options):
    classes, attrs = samba.computer_attrs(
        name, dns_domain=env["FWCONSOLE_SAMBA_REALM"].lower(), **options
    )
    samba.add_entries(env, [(dn, classes, attrs)], threads=1)


def tag(ou):
    """The OU's random part: account names are unique in the whole domain."""
    return ou[11:17]


def build_floor(env, conn, ou, count=5):
    """Two floors, computers on the first, two nested groups."""
    floor1, floor2 = f"OU=Floor1,{ou}", f"OU=Floor2,{ou}"
    samba.add_ou(conn, floor1)
    samba.add_ou(conn, floor2)
    dns = {}
    for number in range(1, count + 1):
        name = f"LC{number:02}"
        dns[name] = f"CN={name},{floor1}"
        add_computer(env, dns[name], f"{name}-{tag(ou)}")
    for name in ("G1", "G2"):
        dns[name] = f"CN={name},{ou}"
        samba.add_entries(
            env, [(dns[name], *samba.group_attrs(f"{name}-{tag(ou)}"))], threads=1
        )
    samba.add_members(
        conn, dns["G1"], [dns[f"LC{n:02}"] for n in range(1, min(count, 4) + 1)]
    )
    samba.add_members(
        conn, dns["G2"], [dns["G1"]] + ([dns["LC05"]] if count >= 5 else [])
    )
    return dns


def state(source):
    """Everything the sync stores for a source, to compare before and after."""
    objects = sorted(
        DirectoryObject.objects.filter(source=source).values_list(
            "pk", "guid", "dn", "enabled", "deleted_at", "members_complete"
        )
    )
    edges = sorted(
        Membership.objects.filter(group__source=source).values_list(
            "pk", "group_id", "member_id", "member_key", "via", "state"
        )
    )
    source.refresh_from_db()
    return objects, edges, source.last_success_at


def test_rename_move_delete_disable_and_a_reused_dn_between_two_syncs(
    samba_env, samba_conn, samba_ou, samba_source
):
    dns = build_floor(samba_env, samba_conn, samba_ou)
    source = samba_source(samba_ou)
    first = run_sync(source)
    assert first.status == SyncRun.Status.SUCCEEDED, first.error
    before = {o.name: o for o in DirectoryObject.objects.filter(source=source)}
    floor2 = f"OU=Floor2,{samba_ou}"

    samba_conn.modify_dn(dns["LC01"], "CN=LC01-R")
    samba_conn.modify_dn(dns["LC02"], "CN=LC02", new_superior=floor2)
    samba_conn.delete(dns["LC03"])
    samba_conn.modify(
        dns["LC04"], {"userAccountControl": [(ldap3.MODIFY_REPLACE, ["4098"])]}
    )
    add_computer(samba_env, dns["LC01"], f"LC01-{tag(samba_ou)}-N")
    second = run_sync(source)

    assert second.status == SyncRun.Status.SUCCEEDED, second.error
    after = {o.guid: o for o in DirectoryObject.objects.filter(source=source)}
    renamed = after[before["LC01"].guid]
    assert (renamed.pk, renamed.name) == (before["LC01"].pk, "LC01-R")
    moved = after[before["LC02"].guid]
    assert moved.dn == f"CN=LC02,{floor2}"
    deleted = after[before["LC03"].guid]
    assert deleted.deleted_at is not None
    assert after[before["LC04"].guid].enabled is False
    history = set(
        ObjectChange.objects.filter(run=second).values_list("obj_id", "change")
    )
    assert {
        (renamed.pk, "renamed"),
        (moved.pk, "moved"),
        (deleted.pk, "deleted"),
        (before["LC04"].pk, "disabled"),
    } <= history
    newcomer = DirectoryObject.objects.get(
        source=source, name="LC01", deleted_at__isnull=True
    )
    assert newcomer.pk not in {o.pk for o in before.values()}
    assert list(newcomer.history.values_list("change", flat=True)) == ["created"]
    assert not Membership.objects.filter(member=newcomer, via="member").exists()
    g1 = before["G1"]
    assert set(
        Membership.objects.filter(group=g1).values_list("member__name", flat=True)
    ) == {
        "LC01-R",
        "LC02",
        "LC04",
    }
    left = MembershipChange.objects.filter(run=second, change="removed")
    assert set(left.values_list("member_id", flat=True)) == {deleted.pk}
    assert second.counts["objects_removed"] == 1


@pytest.mark.parametrize(
    "failure",
    ["cut", "hang", "credentials", "busy", "unavailable", "no_such_base", "empty"],
)
def test_failing_run_leaves_the_last_good_state(
    samba_env, samba_conn, samba_ou, samba_source, failure
):
    build_floor(samba_env, samba_conn, samba_ou, count=4)
    proxy = make_proxy(samba_env)
    try:
        source = samba_source(samba_ou, url=proxy.url, page_size=2, timeout_seconds=3)
        good = run_sync(source)
        assert good.status == SyncRun.Status.SUCCEEDED, good.error
        before = state(source)

        if failure in ("cut", "hang"):
            # Half-way: after the first page of computers.
            proxy.mode, proxy.after_entries = failure, proxy.entries_sent + 2
        elif failure in ("busy", "unavailable", "empty"):
            proxy.mode = failure
        elif failure == "credentials":
            source.bind_password = "rotated-password"
            source.save()
        elif failure == "no_such_base":
            source.computer_base = f"OU=Gone,{samba_ou}"
            source.save()
        run = run_sync(source)
    finally:
        proxy.stop()

    assert run.status == SyncRun.Status.FAILED
    assert run.error
    assert state(source) == before
    assert SyncLogEntry.objects.filter(run=run, level="ERROR").exists()
    expected = {
        "cut": "session terminated",
        "hang": "timed out",
        "credentials": "invalidCredentials",
        "busy": "busy (51)",
        "unavailable": "unavailable (52)",
        "no_such_base": "noSuchObject (32)",
        "empty": "answered with 0 objects",
    }[failure]
    assert expected.lower() in run.error.lower(), run.error
    assert run.retryable == (failure in ("cut", "hang", "busy", "unavailable"))


def test_transient_failure_puts_the_run_back_in_the_queue(
    samba_env, samba_ou, samba_source
):
    proxy = make_proxy(samba_env)
    proxy.mode = "busy"
    try:
        source = samba_source(samba_ou, url=proxy.url)
        with pytest.raises(DirectoryUnavailable):
            run_sync(source, final_attempt=False)
    finally:
        proxy.stop()

    run = SyncRun.objects.get(source=source)
    assert (run.status, run.retryable, run.attempts) == (SyncRun.Status.QUEUED, True, 1)
    assert "busy" in run.error


def test_fc01_group_read_in_ranges_of_three(
    samba_env, samba_conn, samba_ou, samba_source
):
    members = []
    for number in range(1, 8):
        dn = f"CN=WS01{number:02},{samba_ou}"
        add_computer(samba_env, dn, f"W{number}-{tag(samba_ou)}")
        members.append(dn)
    group = f"CN=FW-Bypass-App01,{samba_ou}"
    samba.add_entries(
        samba_env,
        [(group, *samba.group_attrs(f"FWB-{tag(samba_ou)}"))],
        threads=1,
    )
    samba.add_members(samba_conn, group, members)
    proxy = make_proxy(samba_env, max_val_range=3, max_page_size=3)
    try:
        source = samba_source(samba_ou, url=proxy.url)
        run = run_sync(source)
    finally:
        proxy.stop()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert proxy.errors == []
    stored = DirectoryObject.objects.get(source=source, kind="group")
    assert stored.members_complete is True
    listed = Membership.objects.filter(group=stored, via="member")
    assert sorted(listed.values_list("member__name", flat=True)) == [
        f"WS01{n:02}" for n in range(1, 8)
    ]
    assert proxy.ranged_answers >= 3
    assert proxy.capped_pages > 0
    # The case's queries: the last chunk's and a middle chunk's machine pass.
    build_policy("FC-01", {"policy": {"servers": [bypass_server("APP01", [group])]}})
    check(
        "FC-01",
        [
            query("q1", f"W7-{tag(samba_ou)}", "allow"),
            query("q2", f"W4-{tag(samba_ou)}", "allow"),
        ],
    )


def test_fc04_a_distribution_group_in_a_chain_is_not_in_the_token(
    samba_env, samba_conn, samba_ou, samba_source
):
    """The DC's tokenGroups leave out a security group reached through a
    distribution group, and the what-if agrees after a sync."""
    through_mail, direct = f"CN=DG01,{samba_ou}", f"CN=DG02,{samba_ou}"
    add_computer(samba_env, through_mail, f"DG01-{tag(samba_ou)}")
    add_computer(samba_env, direct, f"DG02-{tag(samba_ou)}")
    mail, listed = f"CN=Mail,{samba_ou}", f"CN=FW-Bypass-App01,{samba_ou}"
    samba.add_entries(
        samba_env,
        [
            (mail, *samba.group_attrs(f"M-{tag(samba_ou)}", group_type=2)),
            (listed, *samba.group_attrs(f"FWB-{tag(samba_ou)}")),
        ],
        threads=1,
    )
    samba.add_members(samba_conn, mail, [through_mail])
    samba.add_members(samba_conn, listed, [mail, direct])

    tokens = samba.token_group_sids(samba_conn, through_mail)
    assert samba.object_sid(samba_conn, listed) not in tokens
    assert samba.object_sid(samba_conn, listed) in samba.token_group_sids(
        samba_conn, direct
    )
    run = run_sync(samba_source(samba_ou))
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    build_policy("FC-04", {"policy": {"servers": [bypass_server("APP01", [listed])]}})
    check(
        "FC-04",
        [
            query("direct", f"DG02-{tag(samba_ou)}", "allow"),
            query("through mail", f"DG01-{tag(samba_ou)}", "deny"),
        ],
    )


def test_fc16_an_ou_named_with_filter_characters_is_synced_as_a_base(
    samba_env, samba_conn, samba_ou, samba_source
):
    """FC-16's other report: an asterisk (and parentheses, a backslash) in an
    OU name broke a sync tool's queries. Here that OU is the computer base
    and holds a member of a group outside it."""
    lab = f"OU=Lab\\5C*(Test),{samba_ou}"
    samba.add_ou(samba_conn, lab)
    machine = f"CN=LAB01,{lab}"
    add_computer(samba_env, machine, f"LAB01-{tag(samba_ou)}")
    listed = f"CN=FW-Bypass-Lab,{samba_ou}"
    samba.add_entries(
        samba_env, [(listed, *samba.group_attrs(f"FWL-{tag(samba_ou)}"))], threads=1
    )
    samba.add_members(samba_conn, listed, [machine])
    source = samba_source(samba_ou, computer_base=lab)

    run = run_sync(source)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.counts["computers"] == 1
    stored = DirectoryObject.objects.get(source=source, kind="computer")
    assert (stored.name, stored.in_scope) == ("LAB01", True)
    edge = Membership.objects.get(member=stored)
    assert (edge.group.name, edge.state) == ("FW-Bypass-Lab", "resolved")


def test_fc01_a_group_outside_the_group_base_is_read_in_ranges_too(
    samba_env, samba_conn, samba_ou, samba_source
):
    """FC-01 inside FC-04: the large group is not found by the group search
    but read on its own because the listed group nests it; its members still
    come in ranges of three and must all arrive."""
    firewall, sites = f"OU=Firewall,{samba_ou}", f"OU=Sites,{samba_ou}"
    samba.add_ou(samba_conn, firewall)
    samba.add_ou(samba_conn, sites)
    members = []
    for number in range(1, 8):
        dn = f"CN=WS01{number:02},{samba_ou}"
        add_computer(samba_env, dn, f"W{number}-{tag(samba_ou)}")
        members.append(dn)
    site, listed = f"CN=Site-Big,{sites}", f"CN=FW-Bypass-App01,{firewall}"
    samba.add_entries(
        samba_env,
        [
            (site, *samba.group_attrs(f"SB-{tag(samba_ou)}")),
            (listed, *samba.group_attrs(f"FWB-{tag(samba_ou)}")),
        ],
        threads=1,
    )
    samba.add_members(samba_conn, site, members)
    samba.add_members(samba_conn, listed, [site])
    proxy = make_proxy(samba_env, max_val_range=3, max_page_size=3)
    try:
        source = samba_source(samba_ou, url=proxy.url, group_base=firewall)
        run = run_sync(source)
    finally:
        proxy.stop()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert proxy.errors == []
    nested = DirectoryObject.objects.get(source=source, name="Site-Big")
    assert (nested.in_scope, nested.members_complete) == (False, True)
    assert sorted(
        Membership.objects.filter(group=nested).values_list("member__name", flat=True)
    ) == [f"WS01{n:02}" for n in range(1, 8)]
    assert proxy.ranged_answers >= 3


class _TwoRangeKeys:
    """A connection answering each range read with two range keys, the last
    chunk first: the order that made ldap3's own loop stop early (FC-01)."""

    def __init__(self, values, chunk):
        self.values = values
        self.chunk = chunk
        self.answers = {}

    def search_ext(self, dn, scope, search_filter, attributes, serverctrls=None):
        low = int(attributes[0].split("=")[1].split("-")[0])
        high = min(low + self.chunk, len(self.values)) - 1
        label = "*" if high == len(self.values) - 1 else str(high)
        tail = f"member;range={len(self.values) - 1}-*"
        message_id = len(self.answers) + 1
        self.answers[message_id] = [
            (
                dn,
                {
                    tail: [self.values[-1]],
                    f"member;range={low}-{label}": self.values[low : high + 1],
                },
            )
        ]
        return message_id

    def result3(self, message_id, all, timeout, resp_ctrl_classes):  # noqa: A002
        return ldap.RES_SEARCH_RESULT, self.answers.pop(message_id), message_id, []


def test_range_loop_takes_the_chunk_it_asked_for_when_two_keys_come_back(samba_source):
    values = [f"CN=M{n},DC=x".encode() for n in range(10)]
    connection = _TwoRangeKeys(values, chunk=3)
    reader = LdapEntrySource(samba_source("DC=x"), connection)
    entry = Entry(
        dn="CN=G,DC=x",
        attrs={"member;range=9-*": [values[-1]], "member;range=0-2": values[:3]},
    )

    reader.complete_ranges(entry)

    assert entry.attrs == {"member": values}


def test_filters_are_escaped_for_names_and_binary_guids(
    samba_domain, samba_env, samba_source
):
    source = samba_source(samba_domain.base)
    connection = open_connection(source)
    reader = LdapEntrySource(source, connection)
    try:
        admin = reader.find_accounts("jroe(adm)")
        plain = reader.find_accounts("jroe")
        star = reader.find_accounts("*")
        injected = reader.find_accounts("*)(sAMAccountName=*")
        [(_, attrs)] = connection.search_s(
            samba_domain.dn["WS-OSL-01"], ldap.SCOPE_BASE, attrlist=["objectGUID"]
        )
        guid = guid_text(attrs["objectGUID"][0])
        by_guid = reader.find_by_guid(guid)
    finally:
        connection.unbind_s()

    assert admin == [samba_domain.dn["jroe(adm)"]]
    assert plain == [samba_domain.dn["jroe"]]
    assert star == [] and injected == []
    assert by_guid == [samba_domain.dn["WS-OSL-01"]]


def test_connection_test_passes_every_step_against_the_dc(samba_domain, samba_source):
    report = connection_test(samba_source(samba_domain.base))

    assert [step.name for step in report.steps] == ["DNS", "TCP", "TLS", "bind", "base"]
    assert report.ok, report.steps
    assert "certificate verified" in report.steps[2].detail


@pytest.mark.parametrize(
    ("change", "failed_step", "detail"),
    [
        ({"server_urls": "ldaps://no-such-host.invalid"}, "DNS", "does not resolve"),
        ({"server_urls": "ldaps://127.0.0.1:1"}, "TCP", "no connection"),
        ({"ca_file": "/etc/ssl/certs/ca-certificates.crt"}, "TLS", "certificate"),
        ({"bind_password": "wrong"}, "bind", "invalid credentials"),
        (
            {"user_base": "OU=Nowhere,DC=fwtest,DC=example,DC=test"},
            "base",
            "does not exist",
        ),
    ],
)
def test_connection_test_says_exactly_what_failed(
    samba_domain, samba_source, change, failed_step, detail
):
    report = connection_test(samba_source(samba_domain.base, **change))

    failed = [step for step in report.steps if step.ok is False]
    assert [step.name for step in failed] == [failed_step]
    assert detail in failed[0].detail
    assert not report.ok


def test_untrusted_certificate_fails_the_run_without_retry(samba_domain, samba_source):
    source = samba_source(
        samba_domain.base, ca_file="/etc/ssl/certs/ca-certificates.crt"
    )

    run = run_sync(source)

    assert run.status == SyncRun.Status.FAILED
    assert "certificate" in run.error.lower()
    assert run.retryable is False


def test_untrusted_certificate_after_start_tls_fails_the_run_without_retry(
    samba_domain, samba_env, samba_source
):
    source = samba_source(
        samba_domain.base,
        url=samba_env["FWCONSOLE_SAMBA_LDAP_URL"],
        start_tls=True,
        ca_file="/etc/ssl/certs/ca-certificates.crt",
    )

    run = run_sync(source)

    assert run.status == SyncRun.Status.FAILED
    assert "certificate not trusted" in run.error.lower(), run.error
    assert run.retryable is False


def test_a_server_that_never_answers_is_passed_over_after_one_timeout(
    samba_domain, samba_env, samba_source
):
    silent = socket.create_server(("127.0.0.1", 0))
    held = []

    def hold_connections():
        while True:
            try:
                held.append(silent.accept()[0])
            except OSError:
                return

    threading.Thread(target=hold_connections, daemon=True).start()
    port = silent.getsockname()[1]
    source = samba_source(
        samba_domain.base,
        url=f"ldaps://127.0.0.1:{port}\n{samba_env['FWCONSOLE_SAMBA_URL']}",
        timeout_seconds=2,
    )
    try:
        started = time.monotonic()
        connection = open_connection(source)
        waited = time.monotonic() - started
        connection.unbind_s()
    finally:
        silent.close()
        for held_connection in held:
            held_connection.close()

    # The TLS handshake the silent server never answers costs one timeout.
    assert 2 <= waited < 3.5, waited


def test_start_tls_on_plain_ldap_reads_the_directory(
    samba_domain, samba_env, samba_source
):
    source = samba_source(
        samba_domain.base, url=samba_env["FWCONSOLE_SAMBA_LDAP_URL"], start_tls=True
    )

    report = connection_test(source)
    run = run_sync(source)

    assert report.ok, report.steps
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.counts["computers"] > 20


def test_member_outside_the_computer_base_is_read_and_kept_out_of_scope(
    samba_env, samba_conn, samba_ou, samba_source
):
    dns = build_floor(samba_env, samba_conn, samba_ou)
    samba_conn.modify_dn(dns["LC02"], "CN=LC02", new_superior=f"OU=Floor2,{samba_ou}")
    source = samba_source(samba_ou, computer_base=f"OU=Floor1,{samba_ou}")

    run = run_sync(source)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    outside = DirectoryObject.objects.get(source=source, name="LC02")
    assert outside.in_scope is False
    edge = Membership.objects.get(member=outside)
    assert (edge.group.name, edge.state) == ("G1", "out_of_scope")
    assert run.counts["computers"] == 4
    assert run.counts["out_of_scope"] == 1


def test_an_admin_can_allow_one_run_to_shrink_the_directory(
    samba_env, samba_conn, samba_ou, samba_source
):
    build_floor(samba_env, samba_conn, samba_ou, count=4)
    proxy = make_proxy(samba_env)
    try:
        source = samba_source(samba_ou, url=proxy.url)
        assert run_sync(source).status == SyncRun.Status.SUCCEEDED
        proxy.mode = "empty"
        refused = run_sync(source)
        allowed = run_sync(source, allow_shrink=True)
    finally:
        proxy.stop()

    assert refused.status == SyncRun.Status.FAILED
    assert allowed.status == SyncRun.Status.SUCCEEDED, allowed.error
    assert allowed.counts["objects_removed"] == 6
    assert not DirectoryObject.objects.filter(
        source=source, deleted_at__isnull=True
    ).exists()
    assert not Membership.objects.filter(group__source=source).exists()
