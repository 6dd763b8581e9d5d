"""Full syncs of the test domain through the AD-limits proxy, checked against
the DC's own answers: the in-chain matching rule for every group, and
tokenGroups for the accounts."""

from dataclasses import dataclass

import ldap3
import pytest
from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.db.models import Max

from directory.graph import MembershipGraph
from directory.ldap.dn import dn_key
from directory.models import DirectoryObject, DirectorySource, Membership, SyncRun
from directory.services import sync_run_execute
from tests.directory import samba
from tests.directory.conftest import make_proxy, make_samba_source
from tests.directory.domain import BULK_COMPUTERS

pytestmark = [pytest.mark.samba, pytest.mark.django_db]


def run_sync(source, **fields):
    run = SyncRun.objects.create(
        source=source, trigger=SyncRun.Trigger.COMMAND, **fields
    )
    return sync_run_execute(run_id=run.pk)


@dataclass
class Synced:
    main: DirectorySource
    bulk: DirectorySource
    main_run: SyncRun
    bulk_run: SyncRun
    proxy: object


@pytest.fixture(scope="module")
def synced(samba_env, samba_domain, django_db_setup, django_db_blocker):
    """The main domain and the bulk OU synced once, committed for the module."""
    proxy = make_proxy(samba_env)
    with django_db_blocker.unblock():
        last_entry_before = LogEntry.objects.aggregate(Max("pk"))["pk__max"] or 0
        main = make_samba_source(samba_env, samba_domain.base, url=proxy.url)
        # Pages larger than MaxPageSize are asked for, so the proxy caps them.
        bulk = make_samba_source(
            samba_env, samba_domain.bulk_base, url=proxy.url, page_size=1500
        )
        main_run = run_sync(main)
        bulk_run = run_sync(bulk)
    yield Synced(main, bulk, main_run, bulk_run, proxy)
    proxy.stop()
    # The module's rows are removed outside any test: no actor to audit.
    with django_db_blocker.unblock(), disable_auditlog():
        main.delete()
        bulk.delete()
        # The sync starts were audited; left behind they would show up in the
        # change log of every later test.
        LogEntry.objects.filter(pk__gt=last_entry_before).delete()
    assert proxy.errors == []


def test_syncs_succeed(synced):
    assert synced.main_run.status == SyncRun.Status.SUCCEEDED, synced.main_run.error
    assert synced.bulk_run.status == SyncRun.Status.SUCCEEDED, synced.bulk_run.error


def test_sync_reads_more_than_max_page_size_and_max_val_range(synced):
    bulk = DirectoryObject.objects.get(source=synced.bulk, lookup_name="bulk-all")
    members = Membership.objects.filter(group=bulk)

    assert synced.bulk_run.counts["computers"] == BULK_COMPUTERS > 1000
    assert synced.proxy.capped_pages > 0
    assert synced.proxy.ranged_answers > 0
    assert bulk.members_complete is True
    assert members.count() == BULK_COMPUTERS
    assert len(set(members.values_list("member_id", flat=True))) == BULK_COMPUTERS


def _primary_members(conn, base):
    by_rid = {}
    entries = conn.extend.standard.paged_search(
        base,
        "(primaryGroupID=*)",
        ldap3.SUBTREE,
        attributes=["primaryGroupID"],
        paged_size=500,
        generator=True,
    )
    for entry in entries:
        if entry["type"] == "searchResEntry":
            rid = entry["raw_attributes"]["primaryGroupID"][0].decode()
            by_rid.setdefault(rid, set()).add(dn_key(entry["dn"]))
    return by_rid


@pytest.mark.parametrize("which", ["main", "bulk"])
def test_every_group_holds_what_the_dc_says_in_chain(
    synced, samba_domain, samba_conn, which
):
    source = getattr(synced, which)
    base = samba_domain.base if which == "main" else samba_domain.bulk_base
    graph = MembershipGraph.load()
    objects = {
        row["pk"]: row
        for row in DirectoryObject.objects.filter(source=source).values(
            "pk", "dn", "dn_key", "sid", "kind"
        )
    }
    rid_of = {row["dn_key"]: row["sid"].rsplit("-", 1)[1] for row in objects.values()}
    primary = _primary_members(samba_conn, base)
    groups = [row for row in objects.values() if row["kind"] == "group"]
    assert len(groups) >= (11 if which == "main" else 2)

    for group in groups:
        in_chain = {
            dn_key(dn) for dn in samba.in_chain_members(samba_conn, base, group["dn"])
        }
        # The matching rule does not follow primary groups: add the accounts
        # whose primary group is this group or a group nested in it.
        expected = set(in_chain)
        for nested_key in in_chain | {group["dn_key"]}:
            expected |= primary.get(rid_of.get(nested_key), set())
        expected.discard(group["dn_key"])
        held = {objects[pk]["dn_key"] for pk in graph.members_of(group["pk"])}
        assert held == expected, group["dn"]


@pytest.mark.parametrize("which", ["main", "bulk"])
def test_accounts_are_in_the_groups_their_token_names(synced, samba_conn, which):
    source = getattr(synced, which)
    graph = MembershipGraph.load()
    rows = list(
        DirectoryObject.objects.filter(source=source).values("pk", "dn", "sid", "kind")
    )
    group_pk_by_sid = {row["sid"]: row["pk"] for row in rows if row["kind"] == "group"}
    accounts = [row for row in rows if row["kind"] != "group"]
    if which == "bulk":
        # 1,600 alike computers: every 40th one stands for the rest.
        accounts = accounts[::40]

    mismatches = []
    for account in accounts:
        token = samba.token_group_sids(samba_conn, account["dn"])
        dc_groups = {group_pk_by_sid[sid] for sid in token if sid in group_pk_by_sid}
        if dc_groups != set(graph.groups_of(account["pk"])):
            mismatches.append(account["dn"])

    assert accounts
    assert mismatches == []


def test_primary_group_is_the_only_link_of_the_kiosks(synced):
    graph = MembershipGraph.load()
    by_name = dict(
        DirectoryObject.objects.filter(source=synced.main).values_list(
            "lookup_name", "pk"
        )
    )

    chain = graph.chain_to(by_name["kiosk-01"], by_name["fw-bypass-app01"])

    assert [link.via for link in chain.links] == ["primary", "member"]
    assert not Membership.objects.filter(
        member_id=by_name["kiosk-01"], via="member"
    ).exists()
    assert Membership.objects.filter(
        member_id=by_name["bmiller"], group_id=by_name["staff-all"], via="primary"
    ).exists()


def test_names_with_commas_quotes_plus_and_non_ascii_letters(synced):
    objects = DirectoryObject.objects.filter(source=synced.main)

    names = set(objects.values_list("name", flat=True))

    assert {
        "Roe, Jane",
        'Jo "JJ" Example',
        "Ågot Bjørnstad",
        "#Ops",
        "R+D Team",
        "Staff, All",
        "Servers+Admins",
        "WS-Ærø-01",
        "Jane Roe (admin)",
    } <= names
    assert not Membership.objects.filter(
        group__source=synced.main, state="unresolved"
    ).exists()
    assert set(objects.filter(enabled=False).values_list("name", flat=True)) == {
        "WS-BGN-07",
        "WS-BGN-08",
        "Old User",
    }
    synced.main.refresh_from_db()
    assert synced.main.netbios_name == "FWTEST"
    assert synced.main.dns_domain == "fwtest.example.test"
    assert synced.main.domain_sid.startswith("S-1-5-21-")


def test_an_unchanged_second_sync_changes_nothing(synced):
    run = run_sync(synced.main)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.counts["objects_added"], run.counts["objects_changed"]) == (0, 0)
    assert (run.counts["edges_added"], run.counts["edges_removed"]) == (0, 0)


def test_proxy_answers_like_windows(samba_domain, ad_proxy, samba_env):
    conn = samba.connect(samba_env, url=ad_proxy.url)
    bulk_all = samba_domain.dn["Bulk-All"]

    conn.search(bulk_all, "(objectClass=*)", ldap3.BASE, attributes=["member"])
    attrs = dict(conn.response[0]["raw_attributes"])
    # ldap3 reports sizeLimitExceeded in the result rather than raising it.
    conn.search(samba_domain.bulk_base, "(objectClass=computer)", attributes=["cn"])
    result = conn.result["result"]
    returned = len(conn.response)
    conn.unbind()

    assert list(attrs) == ["member;range=0-1499"]
    assert len(attrs["member;range=0-1499"]) == 1500
    assert (result, returned) == (4, 1000)
