"""Properties of the evaluator over generated situations (hypothesis).

Ranking verdicts denied < indeterminate < allowed:
- adding the client to a group listed on a bypass or authorization list (and
  not under a deny entry) never lowers the verdict;
- turning the firewall off never lowers it;
- removing an enabled allow exception or rule never raises it (a disabled
  entry can mask an enabled one, so removing a disabled one may).
"""

from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from directory.models import DirectoryObject
from policies.evaluator.engine import evaluate
from policies.evaluator.query import Query
from policies.models import BypassEntry, Era, FirewallState
from policies.ports import parse_service
from tests.policies.evaluator import memory

RANK = {"denied": 0, "indeterminate": 1, "allowed": 2}
COMPUTER = DirectoryObject.Kind.COMPUTER
GROUP = DirectoryObject.Kind.GROUP
USER = DirectoryObject.Kind.USER

ADDRESSES = ["10.20.1.50", "10.30.0.5", "192.168.50.70", "203.0.113.9"]
SCOPES = ["*", "LocalSubnet", "10.0.0.0/8", "10.30.0.0/16", "192.168.50.0/26"]
PORTS = ["445", "3389", "137-139", "8080", "1100"]
SERVICES = ["tcp/445", "tcp/3389", "udp/137", "icmp/8", "tcp/1100", "tcp/8080"]
STATES = ["", FirewallState.ON, FirewallState.SHIELDED, FirewallState.OFF]


@st.composite
def firewall_rules(draw, policy, era):
    rules = []
    for index in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["port", "port", "predefined", "icmp"]))
        fields = {
            "kind": kind,
            "enabled": draw(st.booleans()),
            "scope": draw(st.sampled_from(SCOPES)),
        }
        if era == Era.ADVANCED:
            fields["action"] = draw(st.sampled_from(["allow", "allow", "block"]))
        if kind == "port":
            fields["protocol"] = draw(st.sampled_from(["tcp", "udp"]))
            fields["ports"] = draw(st.sampled_from(PORTS))
        elif kind == "predefined":
            fields["predefined_group"] = draw(
                st.sampled_from(["file_and_printer", "remote_desktop", "remote_admin"])
            )
        else:
            fields["icmp_type"] = draw(st.sampled_from([8, 13]))
            if era == Era.XP:
                fields["scope"] = "*"
        rules.append(memory.rule(policy, f"Rule {index}", **fields))
    return rules


@st.composite
def situations(draw):
    era = draw(st.sampled_from([Era.XP, Era.ADVANCED]))
    profile = draw(
        st.sampled_from(["domain", "standard" if era == Era.XP else "public"])
    )
    world = memory.MemoryWorld(era=era, profile=profile)
    world.synced_hours_ago = draw(st.sampled_from([1, 1, 1, 30]))

    groups = [
        world.add_account(memory.account(GROUP, f"G{i}"))
        for i in range(draw(st.integers(1, 5)))
    ]
    computers = [
        world.add_account(
            memory.account(
                COMPUTER,
                f"WS{i}",
                enabled=draw(st.booleans()) or i == 0,
                addresses=draw(
                    st.lists(st.sampled_from(ADDRESSES), max_size=2, unique=True)
                ),
                os=draw(
                    st.sampled_from(
                        ["Windows 10 Enterprise", "Windows XP Professional", ""]
                    )
                ),
            )
        )
        for i in range(draw(st.integers(1, 4)))
    ]
    users = [world.add_account(memory.account(USER, f"user{i}")) for i in range(2)]
    members = computers + users + groups
    for _ in range(draw(st.integers(0, 10))):
        member = draw(st.sampled_from(members))
        group = draw(st.sampled_from(groups))
        if member is not group:
            world.add_edge(
                member, group, primary=draw(st.booleans()) and member.kind == COMPUTER
            )
    for group in groups:
        if draw(st.integers(0, 9)) == 0:
            world.incomplete.add(group.pk)

    policy = memory.policy(
        "GPO",
        **{
            f"state_{p}": draw(st.sampled_from(STATES))
            for p in ("domain", "standard", "private", "public")
        },
    )
    entries = []
    for group in draw(
        st.lists(st.sampled_from(groups), max_size=3, unique_by=lambda g: g.pk)
    ):
        entries.append((group.sid, group.name, BypassEntry.Role.MACHINE, False))
    if era == Era.ADVANCED:
        for group in draw(st.lists(st.sampled_from(groups), max_size=1)):
            entries.append((group.sid, group.name, BypassEntry.Role.MACHINE, True))
        for group in draw(st.lists(st.sampled_from(groups), max_size=1)):
            entries.append((group.sid, group.name, BypassEntry.Role.USER, False))
    if draw(st.integers(0, 5)) == 0:
        entries.append(
            (f"{memory.DOMAIN_SID}-99999", "Gone", BypassEntry.Role.MACHINE, False)
        )
    bypass = []
    if entries:
        ports = (
            draw(st.sampled_from(["", "445", "3389"])) if era == Era.ADVANCED else ""
        )
        bypass.append(
            memory.bypass_rule(
                policy, "Bypass", entries, protocol="tcp" if ports else "", ports=ports
            )
        )
    world.policies = [
        memory.settings(policy, rules=draw(firewall_rules(policy, era)), bypass=bypass)
    ]

    client = draw(st.sampled_from(computers))
    query = Query(
        server_id=1,
        service=parse_service(draw(st.sampled_from(SERVICES))),
        client_id=client.pk,
        client_address=draw(st.sampled_from([None, *ADDRESSES])),
        user_id=draw(st.sampled_from([None, *(u.pk for u in users)])),
        assume_ipsec=draw(st.sampled_from([True, False, None])),
    )
    return world, query


def verdict(snapshot, query):
    return str(evaluate(snapshot, query).verdict)


def deny_listed_groups(world):
    return {
        entry.sid
        for item in world.policies
        for bypass in item.bypass_rules
        for entry in bypass.entries
        if entry.deny and entry.role == BypassEntry.Role.MACHINE
    }


def allow_listed_groups(world, snapshot):
    """Groups on a machine allow list none of whose ancestors is deny-listed."""
    denied = deny_listed_groups(world)
    found = []
    for item in world.policies:
        for bypass in item.bypass_rules:
            for entry in bypass.entries_for(BypassEntry.Role.MACHINE):
                for target in snapshot.live_by_sid(entry.sid):
                    ancestors = snapshot.graph.groups_of(target.pk)
                    sids = {snapshot.accounts[pk].sid for pk in ancestors} | {
                        target.sid
                    }
                    if target.is_group and not sids & denied:
                        found.append(target.pk)
    return found


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(situations(), st.data())
def test_adding_the_machine_to_a_listed_group_never_takes_access_away(situation, data):
    world, query = situation
    snapshot = world.snapshot()
    listed = allow_listed_groups(world, snapshot)
    assume(listed)
    group = data.draw(st.sampled_from(listed))
    before = verdict(snapshot, query)
    after = verdict(snapshot, replace(query, client_groups_added=(group,)))
    assert RANK[after] >= RANK[before], (before, after)


@PROPERTY_SETTINGS
@given(situations())
def test_turning_the_firewall_off_never_takes_access_away(situation):
    world, query = situation
    before = verdict(world.snapshot(), query)
    off = [
        memory.with_state(item, world.profile, FirewallState.OFF)
        for item in world.policies
    ]
    after = verdict(world.snapshot(off), query)
    assert RANK[after] >= RANK[before], (before, after)


@PROPERTY_SETTINGS
@given(situations(), st.data())
def test_removing_an_enabled_allow_exception_never_grants_access(situation, data):
    world, query = situation
    (item,) = world.policies
    enabled_allows = [r for r in item.rules if r.enabled and r.action == "allow"]
    assume(enabled_allows)
    removed = data.draw(st.sampled_from(enabled_allows))
    before = verdict(world.snapshot(), query)
    remaining = tuple(r for r in item.rules if r is not removed)
    after = verdict(world.snapshot([replace(item, rules=remaining)]), query)
    assert RANK[after] <= RANK[before], (before, after, removed.name)


def test_removing_a_disabled_entry_can_grant_access():
    """The exception to the rule above: a disabled port entry masks enabled ones."""
    world = memory.MemoryWorld(era=Era.XP)
    world.add_account(memory.account(COMPUTER, "WS1", addresses=["10.30.0.5"]))
    gpo = memory.policy("GPO")
    opened = memory.rule(gpo, "Open", kind="port", protocol="tcp", ports="445")
    closed = memory.rule(
        gpo, "Closed", kind="port", protocol="tcp", ports="445", enabled=False
    )
    world.policies = [memory.settings(gpo, rules=[opened, closed])]
    query = Query(
        server_id=1, service=parse_service("tcp/445"), client_address="10.30.0.5"
    )
    assert verdict(world.snapshot(), query) == "denied"
    unmasked = [memory.settings(gpo, rules=[opened])]
    assert verdict(world.snapshot(unmasked), query) == "allowed"
