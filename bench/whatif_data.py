"""Generated directory and policies for the what-if benchmark.

Computers sit in leaf groups of a tree of security groups nested eight
levels deep (every group but the top ones is a member of a group one level
up); every computer's primary group is Domain Computers, and some computers
are also direct members of groups higher up. Twelve servers of both eras
carry bypass lists naming top and middle groups (so a membership check walks
the whole depth), exceptions of every scope kind, block rules, IPsec policies
and access requirements.
"""

import random

from django.utils import timezone

from directory.models import DirectoryObject, DirectorySource, Membership
from policies.models import (
    AccessRequirement,
    AccessRequirementGroup,
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
from tests.policies.evaluator.generated import (
    DOMAIN_SID,
    directory_object,
    membership_edge,
)

DEPTH = 8
BATCH = 5000


def _levels(groups):
    """Split the groups into DEPTH levels, growing toward the leaves."""
    weights = [2**level for level in range(DEPTH)]
    total = sum(weights)
    levels, start = [], 0
    for weight in weights:
        size = max(1, len(groups) * weight // total)
        levels.append(groups[start : start + size])
        start += size
    levels[-1] += groups[start:]
    return levels


def generate_directory(rng, computers, groups, users):
    source = DirectorySource.objects.create(
        name="corp",
        kind=DirectorySource.Kind.LDIF,
        base_dn="DC=corp,DC=example,DC=test",
        dns_domain="corp.example.test",
        netbios_name="CORP",
        domain_sid=DOMAIN_SID,
        last_success_at=timezone.now(),
    )
    domain_computers = directory_object(source, "group", "Domain Computers", 515)
    domain_computers.save()
    group_rows = DirectoryObject.objects.bulk_create(
        [
            directory_object(source, "group", f"G{i:05}", 100000 + i)
            for i in range(groups)
        ],
        batch_size=BATCH,
    )
    user_rows = DirectoryObject.objects.bulk_create(
        [
            directory_object(source, "user", f"user{i:05}", 300000 + i)
            for i in range(users)
        ],
        batch_size=BATCH,
    )
    machines = []
    for i in range(computers):
        subnet = rng.choice(["10.20.1", "10.30.1", "10.30.7", "192.168.50", "172.16.5"])
        machines.append(
            directory_object(
                source,
                "computer",
                f"WS{i:06}",
                400000 + i,
                enabled=rng.random() > 0.03,
                operating_system=rng.choice(
                    ["Windows 10 Enterprise", "Windows 11 Pro"]
                ),
                addresses=[f"{subnet}.{rng.randint(1, 250)}"],
                primary_group_id=515,
            )
        )
    machine_rows = DirectoryObject.objects.bulk_create(machines, batch_size=BATCH)

    levels = _levels(group_rows)
    edges = []
    for depth in range(1, DEPTH):
        for group in levels[depth]:
            edges.append(membership_edge(rng.choice(levels[depth - 1]), group))
    leaves = levels[-1]
    for machine in machine_rows:
        edges.append(membership_edge(rng.choice(leaves), machine))
        if rng.random() < 0.1:
            edges.append(
                membership_edge(rng.choice(levels[rng.randrange(DEPTH)]), machine)
            )
        edges.append(
            membership_edge(domain_computers, machine, Membership.Via.PRIMARY_GROUP)
        )
    for user in user_rows:
        edges.append(membership_edge(rng.choice(leaves), user))
    unique = {(e.group_id, e.member_id, e.via): e for e in edges}
    Membership.objects.bulk_create(unique.values(), batch_size=BATCH)
    return levels, user_rows, machine_rows


def _rules(rng, policy, era):
    scopes = ["*", "LocalSubnet", "10.0.0.0/8", "10.30.0.0/16", "192.168.50.0/26"]
    if era == Era.ADVANCED:
        scopes += ["10.30.1.1-10.30.1.99"]
    for index, ports in enumerate(["445", "3389", "1433", "137-139", "8080,8443"]):
        FirewallRule.objects.create(
            policy=policy,
            name=f"Port {index}",
            kind="port",
            protocol="udp" if ports == "137-139" else "tcp",
            ports=ports,
            scope=rng.choice(scopes),
            action="block" if era == Era.ADVANCED and index == 1 else "allow",
        )
    FirewallRule.objects.create(
        policy=policy,
        name="File and Printer Sharing",
        kind="predefined",
        predefined_group="file_and_printer",
        scope="LocalSubnet",
    )


def generate_servers(rng, levels, users, count=12):
    servers = []
    for index in range(count):
        era = Era.XP if index % 2 == 0 else Era.ADVANCED
        server = Server.objects.create(name=f"SRV{index:02}", era=era)
        ServerAddress.objects.create(
            server=server, address="10.20.1.10", prefix_length=24
        )
        ServerAddress.objects.create(
            server=server, address="192.168.50.10", prefix_length=26
        )
        policy = Policy.objects.create(
            name=f"GPO {server.name}",
            precedence=10,
            era=era,
            state_domain=FirewallState.ON,
        )
        policy.servers.add(server)
        _rules(rng, policy, era)
        rule = BypassRule.objects.create(
            policy=policy,
            name="Bypass",
            protocol="" if era == Era.XP else "tcp",
            ports="" if era == Era.XP else "3389",
        )
        for group in (rng.choice(levels[0]), rng.choice(levels[3])):
            BypassEntry.objects.create(rule=rule, sid=group.sid, name=group.name)
        if era == Era.ADVANCED:
            deny = rng.choice(levels[5])
            BypassEntry.objects.create(
                rule=rule, sid=deny.sid, name=deny.name, deny=True
            )
        ipsec = IPsecPolicy.objects.create(name=f"IPsec {server.name}")
        ipsec.servers.add(server)
        IPsecClient.objects.create(
            policy=ipsec, sid=levels[0][0].sid, name=levels[0][0].name
        )
        if index % 3 == 0:
            requirement = AccessRequirement.objects.create(
                server=server, name="Share", protocol="tcp", ports="445"
            )
            group = rng.choice(levels[1])
            AccessRequirementGroup.objects.create(
                requirement=requirement, sid=group.sid, name=group.name
            )
        servers.append(server)
    return servers


def generate(computers=50_000, groups=5_000, users=2_000, seed=7):
    rng = random.Random(seed)
    levels, users, machines = generate_directory(rng, computers, groups, users)
    servers = generate_servers(rng, levels, users)
    return machines, users, servers
