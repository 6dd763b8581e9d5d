"""A generated directory and policy set of any size, with every kind of case.

``generate(machines)`` builds the same shape whatever the number of machines:
seven servers of both eras (firewall on, off, "don't allow exceptions" /
"block all connections"), bypass lists through nested and primary groups,
deny entries, an authorization list, a rule that authorizes users, exceptions
with Any, LocalSubnet and custom scopes, IPsec policies in request and
require mode, and computers that are disabled, deleted, XP-era, without an
address or with two. Membership follows the machine number, so group sizes
grow with the data while the number of servers, groups and rules stays put.
"""

import uuid

from django.utils import timezone

from directory.models import DirectoryObject, DirectorySource, Membership
from policies.models import (
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    FirewallState,
    IPsecClient,
    IPsecPolicy,
    Policy,
    Server,
    ServerAddress,
)

DOMAIN = "S-1-5-21-4242-4242-4242"
BASE = "DC=gen,DC=example,DC=test"
GROUPS = 6
TCP_PORTS = (445, 3389, 8080, 8081, 443, 5999)

COMPUTER = DirectoryObject.Kind.COMPUTER
GROUP = DirectoryObject.Kind.GROUP
USER = DirectoryObject.Kind.USER


def _object(source, kind, name, rid, **fields):
    sam = f"{name}$" if kind == COMPUTER else name
    dn = f"CN={name},OU=Gen,{BASE}"
    return DirectoryObject(
        source=source,
        kind=kind,
        guid=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{DOMAIN}-{rid}")),
        sid=f"{DOMAIN}-{rid}",
        dn=dn,
        dn_key=dn.casefold(),
        name=name,
        sam_account_name=sam,
        lookup_name=name.casefold(),
        **fields,
    )


def _addresses(number):
    if number % 13 == 0:
        return []
    address = f"10.{number % 4}.{number // 250 % 250}.{number % 250 + 1}"
    if number % 17 == 1:
        return [address, f"10.9.{number // 250 % 250}.{number % 250 + 1}"]
    return [address]


def _computers(source, machines, now):
    computers = []
    for number in range(machines):
        computers.append(
            _object(
                source,
                COMPUTER,
                f"PC{number:05d}",
                10000 + number,
                enabled=number % 11 != 5,
                deleted_at=now if number % 9 == 8 else None,
                operating_system=(
                    "Windows XP Professional" if number % 7 == 3 else "Windows 10"
                ),
                addresses=_addresses(number),
                last_logon=now - timezone.timedelta(days=number * 37 % 150),
                primary_group_id=515,
            )
        )
    return DirectoryObject.objects.bulk_create(computers)


def generate_directory(machines, now=None):
    """Create the source, computers, users and groups; return them by name."""
    now = now or timezone.now()
    source = DirectorySource.objects.create(
        name="gen", base_dn=BASE, domain_sid=DOMAIN, last_success_at=now
    )
    computers = _computers(source, machines, now)
    groups = DirectoryObject.objects.bulk_create(
        [_object(source, GROUP, f"G{index}", 500 + index) for index in range(GROUPS)]
        + [
            _object(source, GROUP, "Domain Computers", 515),
            _object(source, GROUP, "Operators", 600),
        ]
    )
    users = DirectoryObject.objects.bulk_create(
        [_object(source, USER, f"user{index}", 700 + index) for index in range(3)]
    )
    named = {group.name: group for group in groups}

    edges = []
    for number, computer in enumerate(computers):
        group = named[f"G{number % GROUPS}"]
        edges.append(_edge(group, computer))
        if computer.deleted_at is None:
            edges.append(
                _edge(named["Domain Computers"], computer, Membership.Via.PRIMARY_GROUP)
            )
    # G1 inside G0, G3 inside G2, and G0 inside G3: a cycle the graph must survive.
    for outer, inner in (("G0", "G1"), ("G2", "G3"), ("G3", "G0")):
        edges.append(_edge(named[outer], named[inner]))
    edges += [_edge(named["Operators"], user) for user in users]
    Membership.objects.bulk_create(edges)
    return {"source": source, **named, "users": users}


def _edge(group, member, via=Membership.Via.MEMBER):
    return Membership(
        group=group,
        member=member,
        member_dn=member.dn,
        member_key=member.dn_key,
        member_sid=member.sid,
        via=via,
    )


def _server(name, era, address, state=""):
    server = Server.objects.create(name=name, era=era)
    ServerAddress.objects.create(server=server, address=address, prefix_length=16)
    policy = Policy.objects.create(
        name=f"local:{name}", era=era, local_server=server, state_domain=state
    )
    return server, policy


def _bypass(policy, name, allow=(), deny=(), users=()):
    rule = BypassRule.objects.create(policy=policy, name=name)
    for group in allow:
        BypassEntry.objects.create(rule=rule, sid=group.sid, name=group.name)
    for group in deny:
        BypassEntry.objects.create(rule=rule, sid=group.sid, name=group.name, deny=True)
    for group in users:
        BypassEntry.objects.create(
            rule=rule, sid=group.sid, name=group.name, role=BypassEntry.Role.USER
        )
    return rule


def _allow(policy, name, ports, scope, **fields):
    return FirewallRule.objects.create(
        policy=policy, name=name, protocol="tcp", ports=ports, scope=scope, **fields
    )


def generate_policies(directory):
    """Create seven servers and their policies over the generated directory."""
    g = directory
    xp, advanced = Era.XP, Era.ADVANCED
    s0, p0 = _server("S0-xp", xp, "10.0.0.5", FirewallState.ON)
    _bypass(p0, "Bypass list", allow=[g["G0"]])
    _allow(p0, "SMB", "445", "*")
    _allow(p0, "RDP", "3389", "LocalSubnet")
    _allow(p0, "App", "8080", "10.1.0.0/25,10.2.0.7")
    _allow(p0, "Legacy", "8081", "*")
    _allow(p0, "Legacy closed", "8081", "*", enabled=False)

    s1, p1 = _server("S1-xp-off", xp, "10.1.0.5", FirewallState.OFF)
    _bypass(p1, "Bypass list", allow=[g["G2"]])

    s2, p2 = _server("S2-xp", xp, "10.2.0.5")
    _bypass(p2, "Bypass list", allow=[g["Domain Computers"]])
    _allow(p2, "App", "8080", "10.2.0.0/24,LocalSubnet")

    s3, p3 = _server("S3-adv", advanced, "10.3.0.5", FirewallState.ON)
    _bypass(p3, "Admins", allow=[g["G2"]], deny=[g["G3"]])
    AuthorizationEntry.objects.create(
        policy=p3, list_kind="machine", sid=g["G2"].sid, name="G2"
    )
    AuthorizationEntry.objects.create(
        policy=p3, list_kind="machine", sid=g["G4"].sid, name="G4"
    )
    _allow(p3, "Web", "443", "10.3.0.0/24")
    _allow(p3, "SMB", "445", "LocalSubnet")

    s4, p4 = _server("S4-adv-users", advanced, "10.0.0.6")
    _bypass(p4, "Operators", allow=[g["G4"], g["G5"]], users=[g["Operators"]])
    _allow(p4, "Web", "443", "*")

    s5, p5 = _server("S5-adv-block", advanced, "10.1.0.6", FirewallState.SHIELDED)
    _bypass(p5, "Admins", allow=[g["G0"]])
    _allow(p5, "Web", "443", "*")

    s6, p6 = _server("S6-xp-shielded", xp, "10.2.0.6", FirewallState.SHIELDED)
    _bypass(p6, "Bypass list", allow=[g["G1"]])
    _allow(p6, "SMB", "445", "*")

    isolation = IPsecPolicy.objects.create(name="Isolation")
    isolation.servers.add(s0, s1, s2, s3, s5, s6)
    for name in ("G0", "G2", "G4"):
        IPsecClient.objects.create(policy=isolation, sid=g[name].sid, name=name)
    required = IPsecPolicy.objects.create(
        name="Require 10.2",
        server_mode=IPsecPolicy.Mode.REQUIRE,
        client_addresses="10.2.0.0/16",
    )
    required.servers.add(s2)
    user_auth = IPsecPolicy.objects.create(name="User auth", user_authentication=True)
    user_auth.servers.add(s4)
    return [s0, s1, s2, s3, s4, s5, s6]


def generate(machines, now=None):
    """Create the whole data set; return (directory objects by name, servers)."""
    directory = generate_directory(machines, now)
    return directory, generate_policies(directory)
