"""A generated directory and policy estate of a few hundred machines and a
dozen servers, varied enough to exercise every rung (seeded, so repeatable)."""

import random
import uuid

from django.utils import timezone

from directory.models import DirectoryObject, DirectorySource, Membership
from policies.models import (
    AccessRequirement,
    AccessRequirementGroup,
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    FirewallState,
    IPsecClient,
    IPsecPolicy,
    ListeningProgram,
    Policy,
    Server,
    ServerAddress,
)

DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
SCOPES = [
    "*",
    "LocalSubnet",
    "10.0.0.0/8",
    "10.30.0.0/16",
    "192.168.50.0/26",
    "10.20.1.0/255.255.255.0",
]
LATER_SCOPES = SCOPES + ["10.30.1.1-10.30.1.99", "DNS"]
OS_NAMES = ["Windows 10 Enterprise", "Windows XP Professional", "Windows 11 Pro", ""]


def directory_object(source, kind, name, rid, **fields):
    """An unsaved DirectoryObject with a GUID, SID and DN derived from its RID."""
    sam = f"{name}$" if kind == DirectoryObject.Kind.COMPUTER else name
    dn = f"CN={name},OU={kind.title()}s,DC=corp,DC=example,DC=test"
    return DirectoryObject(
        source=source,
        kind=kind,
        guid=str(uuid.UUID(int=rid)),
        sid=f"{DOMAIN_SID}-{rid}",
        dn=dn,
        dn_key=dn.casefold(),
        name=name,
        sam_account_name=sam,
        lookup_name=name.casefold(),
        **fields,
    )


def membership_edge(group, member, via=Membership.Via.MEMBER):
    """An unsaved direct membership edge between two saved objects."""
    return Membership(
        group_id=group.pk,
        member_id=member.pk,
        member_dn=member.dn,
        member_key=member.dn_key,
        member_sid=member.sid,
        via=via,
    )


def build_directory(rng, *, computers=300, groups=40, users=20):
    source = DirectorySource.objects.create(
        name="corp",
        kind=DirectorySource.Kind.LDIF,
        base_dn="DC=corp,DC=example,DC=test",
        dns_domain="corp.example.test",
        netbios_name="CORP",
        domain_sid=DOMAIN_SID,
        last_success_at=timezone.now(),
    )
    group_rows = DirectoryObject.objects.bulk_create(
        [
            directory_object(
                source, "group", f"G{i:03}", 5000 + i, members_complete=(i != 7)
            )
            for i in range(groups)
        ]
    )
    user_rows = DirectoryObject.objects.bulk_create(
        [
            directory_object(source, "user", f"user{i:03}", 20000 + i)
            for i in range(users)
        ]
    )
    machines = []
    for i in range(computers):
        subnet = rng.choice(["10.20.1", "10.30.1", "10.30.7", "192.168.50", "172.16.5"])
        addresses = [] if rng.random() < 0.08 else [f"{subnet}.{rng.randint(1, 250)}"]
        if rng.random() < 0.05:
            addresses.append(f"10.30.7.{rng.randint(1, 250)}")
        machines.append(
            directory_object(
                source,
                "computer",
                f"WS{i:04}",
                10000 + i,
                enabled=rng.random() > 0.06,
                deleted_at=timezone.now() if rng.random() < 0.02 else None,
                operating_system=rng.choice(OS_NAMES),
                addresses=addresses,
            )
        )
    machine_rows = DirectoryObject.objects.bulk_create(machines)

    edges = []
    for index, group in enumerate(group_rows[1:], start=1):
        if rng.random() < 0.6:
            edges.append(membership_edge(group_rows[rng.randrange(0, index)], group))
    for machine in machine_rows:
        for group in rng.sample(group_rows, rng.randint(0, 2)):
            edges.append(membership_edge(group, machine))
        if rng.random() < 0.2:
            edges.append(
                membership_edge(
                    rng.choice(group_rows), machine, Membership.Via.PRIMARY_GROUP
                )
            )
    for user in user_rows:
        for group in rng.sample(group_rows[:10], rng.randint(0, 2)):
            edges.append(membership_edge(group, user))
    unique = {(e.group_id, e.member_id, e.via): e for e in edges}
    Membership.objects.bulk_create(unique.values())
    Membership.objects.create(
        group=group_rows[11],
        member_dn="CN=Gone,OU=Computers,DC=corp,DC=example,DC=test",
        member_key="cn=gone,ou=computers,dc=corp,dc=example,dc=test",
        state=Membership.State.UNRESOLVED,
    )
    return group_rows, user_rows, machine_rows


def build_servers(rng, groups, users, machines=(), *, count=12):
    shared = Policy.objects.create(
        name="Baseline", precedence=50, state_domain=FirewallState.ON
    )
    FirewallRule.objects.create(policy=shared, name="Echo", kind="icmp", icmp_type=8)
    servers = []
    for index in range(count):
        era = Era.XP if index % 2 == 0 else Era.ADVANCED
        profile = rng.choice(
            ["domain", "standard"] if era == Era.XP else ["domain", "public"]
        )
        server = Server.objects.create(
            name=f"SRV{index:02}", era=era, active_profile=profile
        )
        ServerAddress.objects.create(
            server=server, address="10.20.1.10", prefix_length=24
        )
        if rng.random() < 0.5:
            ServerAddress.objects.create(
                server=server, address="192.168.50.10", prefix_length=26
            )
        state = rng.choice(
            [
                "",
                FirewallState.ON,
                FirewallState.ON,
                FirewallState.SHIELDED,
                FirewallState.OFF,
            ]
        )
        policy = Policy.objects.create(
            name=f"GPO {server.name}",
            precedence=10,
            era=era,
            **{f"state_{profile}": state},
        )
        policy.servers.add(server)
        if era == Era.XP or rng.random() < 0.5:
            shared.servers.add(server)
        _rules(rng, policy, era)
        _bypass(rng, policy, era, groups, users, machines)
        if era == Era.ADVANCED and rng.random() < 0.3:
            AuthorizationEntry.objects.create(
                policy=policy,
                list_kind="machine",
                sid=rng.choice(groups).sid,
                name="auth",
            )
        if rng.random() < 0.3:
            ListeningProgram.objects.create(
                server=server,
                program_path=r"C:\App\app.exe",
                protocol="tcp",
                ports="1433",
            )
            FirewallRule.objects.create(
                policy=policy,
                name="App",
                kind="program",
                program_path=r"C:\App\app.exe",
                scope=rng.choice(SCOPES),
            )
        if rng.random() < 0.4:
            ipsec = IPsecPolicy.objects.create(
                name=f"IPsec {server.name}",
                authentication=rng.choice(
                    ["kerberos", "kerberos", "psk", "certificate"]
                ),
                server_mode=rng.choice(["request", "require"]),
                client_addresses=rng.choice(["", "10.30.0.0/16"]),
            )
            ipsec.servers.add(server)
            IPsecClient.objects.create(
                policy=ipsec, sid=rng.choice(groups).sid, name="holders"
            )
        if rng.random() < 0.3:
            requirement = AccessRequirement.objects.create(
                server=server, name="Share", protocol="tcp", ports="445"
            )
            AccessRequirementGroup.objects.create(
                requirement=requirement,
                sid=groups[rng.randrange(10)].sid,
                name="share users",
            )
        servers.append(server)
    return servers


def _rules(rng, policy, era):
    scopes = SCOPES if era == Era.XP else LATER_SCOPES
    for index in range(rng.randint(1, 4)):
        FirewallRule.objects.create(
            policy=policy,
            name=f"Port {index}",
            kind="port",
            protocol=rng.choice(["tcp", "tcp", "udp"]),
            ports=rng.choice(["445", "3389", "1433", "137-139", "8080,8443"]),
            scope=rng.choice(scopes),
            enabled=rng.random() > 0.15,
            action="block" if era == Era.ADVANCED and rng.random() < 0.25 else "allow",
        )
    if rng.random() < 0.4:
        group = rng.choice(["file_and_printer", "remote_desktop", "remote_admin"])
        FirewallRule.objects.create(
            policy=policy,
            name=FirewallRule.PredefinedGroup(group).label,
            kind="predefined",
            predefined_group=group,
            scope=rng.choice(scopes),
        )


def _bypass(rng, policy, era, groups, users, machines):
    if rng.random() < 0.15:
        return
    protocol, ports = "", ""
    if era == Era.ADVANCED and rng.random() < 0.5:
        protocol, ports = "tcp", rng.choice(["445", "3389"])
    rule = BypassRule.objects.create(
        policy=policy, name="Bypass", protocol=protocol, ports=ports
    )
    for group in rng.sample(groups, rng.randint(1, 3)):
        BypassEntry.objects.create(rule=rule, sid=group.sid, name=group.name)
    if era == Era.ADVANCED:
        if rng.random() < 0.3:
            group = rng.choice(groups)
            BypassEntry.objects.create(
                rule=rule, sid=group.sid, name=group.name, deny=True
            )
        if rng.random() < 0.3:
            group = rng.choice(groups[:10])
            BypassEntry.objects.create(
                rule=rule, sid=group.sid, name=group.name, role="user"
            )
    if rng.random() < 0.1:
        BypassEntry.objects.create(rule=rule, sid=f"{DOMAIN_SID}-99999", name="Gone")
    if machines and rng.random() < 0.4:
        machine = rng.choice(machines)
        BypassEntry.objects.create(rule=rule, sid=machine.sid, name=machine.name)


def build_estate(seed=5, **sizes):
    rng = random.Random(seed)
    groups, users, machines = build_directory(rng, **sizes)
    servers = build_servers(rng, groups, users, machines)
    return groups, users, machines, servers
