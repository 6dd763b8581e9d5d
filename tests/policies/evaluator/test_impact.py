"""The impact of an edit matches what saving it does."""

import pytest

from directory.models import DirectoryObject
from policies.evaluator import load_snapshot
from policies.evaluator.changes import MembershipChange
from policies.evaluator.impact import (
    bypass_rule_impact,
    firewall_rule_impact,
    membership_impact,
)
from policies.evaluator.reverse import who_can_reach
from policies.evaluator.verdict import Verdict
from policies.models import BypassEntry, BypassRule, Era, FirewallRule
from policies.ports import parse_service
from tests.policies.evaluator.world import World

pytestmark = pytest.mark.django_db


def allowed(server, service, **options):
    report = who_can_reach(
        load_snapshot(), server.pk, parse_service(service), **options
    )
    return {row.account.label for row in report.rows if row.verdict == Verdict.ALLOWED}


@pytest.fixture
def estate():
    w = World()
    server = w.server(era=Era.XP)
    gpo = w.policy(server)
    listed, site = w.group("FW-Bypass"), w.group("Site")
    for name in ("WS1", "WS2"):
        w.add(w.computer(name, addresses=["10.30.0.5"]), listed)
    for name in ("WS3", "WS4"):
        w.add(w.computer(name, addresses=["10.20.1.40"]), site)
    rule = w.bypass(gpo, listed)
    w.ipsec(server)
    sql = w.port(gpo, "SQL", "1433", scope="LocalSubnet")
    return w, server, gpo, rule, sql, site


def test_adding_a_group_to_the_bypass_list_gains_its_members_every_port(estate):
    w, server, gpo, rule, sql, site = estate
    entries = list(BypassEntry.objects.filter(rule=rule))
    entries.append(BypassEntry(rule=rule, sid=site.sid, name=site.name))
    impact = bypass_rule_impact(load_snapshot(), rule, entries)

    gained = {(item.machine, item.service) for item in impact.gained}
    assert ("WS3", "tcp/445") in gained
    assert any(
        machine == "WS4" and service.startswith("udp/") for machine, service in gained
    )
    assert not any(
        machine in ("WS3", "WS4") and service.startswith("tcp/1433")
        for machine, service in gained
    )
    assert impact.lost == []
    assert {item.machine for item in impact.gained} == {"WS3", "WS4"}


def test_narrowing_an_exception_scope_loses_exactly_who_saving_it_loses(estate):
    w, server, gpo, rule, sql, site = estate
    before = allowed(server, "tcp/1433")
    sql.scope = "10.20.1.0/28"
    impact = firewall_rule_impact(load_snapshot(), sql)
    sql.save()
    after = allowed(server, "tcp/1433")

    lost = {item.machine for item in impact.lost if item.service.startswith("tcp/1433")}
    assert lost == before - after == {"WS3", "WS4"}
    assert all(item.server == "APP01" for item in impact.lost)


def test_a_new_exception_concerns_only_its_own_service(estate):
    w, server, gpo, rule, sql, site = estate
    new = FirewallRule(
        policy=gpo, name="Web", kind="port", protocol="tcp", ports="443", scope="*"
    )
    impact = firewall_rule_impact(load_snapshot(), new)
    assert {item.service for item in impact.gained} == {"tcp/443"}
    assert {item.machine for item in impact.gained} == {"WS3", "WS4"}
    assert all(entry.startswith("APP01 tcp/443") for entry in impact.examined)


def test_deleting_the_bypass_rule_loses_its_members(estate):
    w, server, gpo, rule, sql, site = estate
    impact = bypass_rule_impact(load_snapshot(), rule, delete=True)
    assert {item.machine for item in impact.lost} == {"WS1", "WS2"}


def test_a_machine_joining_a_listed_group_gains_on_every_server_listing_it(estate):
    w, server, gpo, rule, sql, site = estate
    other = w.server("APP02", era=Era.ADVANCED)
    w.ipsec(other)
    w.bypass(
        w.policy(other),
        BypassEntry.objects.filter(rule=rule).first().sid,
        ports="3389",
        protocol="tcp",
    )
    newcomer = w.computer("WS9")
    group = DirectoryObject.objects.get(
        sid=BypassEntry.objects.filter(rule=rule).first().sid
    )
    impact = membership_impact(load_snapshot(), MembershipChange(newcomer.pk, group.pk))
    servers = {(item.server, item.service.split("/")[0]) for item in impact.gained}
    assert ("APP01", "tcp") in servers
    assert ("APP02", "tcp") in servers
    assert all(item.machine == "WS9" for item in impact.gained)
    assert not any(
        item.server == "APP02" and item.service == "tcp/445" for item in impact.gained
    )


def test_a_user_is_named_where_an_access_requirement_guards_the_service():
    w = World()
    server = w.server(era=Era.ADVANCED)
    gpo = w.policy(server)
    readers = w.group("DB Readers")
    bob = w.user("bob")
    w.add(bob, readers)
    w.requirement(server, readers, protocol="tcp", ports="1433")
    w.computer("WS1", addresses=["10.1.1.1"])
    new = FirewallRule(
        policy=gpo, name="SQL", kind="port", protocol="tcp", ports="1433"
    )
    impact = firewall_rule_impact(load_snapshot(), new)
    assert {(item.machine, item.user, item.service) for item in impact.gained} == {
        ("WS1", "bob", "tcp/1433")
    }


def test_an_unlinked_policy_changes_nothing():
    w = World()
    w.server()
    lonely = w.policy(w.server("OTHER"))
    lonely.servers.clear()
    rule = BypassRule(policy=lonely, name="Bypass")
    impact = bypass_rule_impact(load_snapshot(), rule, [])
    assert impact.is_empty
