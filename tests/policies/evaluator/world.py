"""A small builder of directories and policies for evaluator tests.

``World`` writes real rows (directory objects, memberships, servers,
policies, rules) and answers queries with a fresh snapshot, so each test reads
like the situation it describes.
"""

from django.utils import timezone

from directory.models import DirectoryObject, Membership
from policies.evaluator import build_query, evaluate, load_snapshot
from policies.models import (
    AccessRequirement,
    AccessRequirementGroup,
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    IPsecClient,
    IPsecPolicy,
    ListeningProgram,
    Policy,
    Server,
    ServerAddress,
)
from tests.directory.factories import (
    ComputerFactory,
    DirectorySourceFactory,
    GroupFactory,
    UserFactory,
)


class World:
    """One directory source and the servers and policies of a test."""

    def __init__(self, *, synced_hours_ago=1, staleness_limit_hours=24):
        self.source = DirectorySourceFactory(
            name="corp",
            last_success_at=timezone.now() - timezone.timedelta(hours=synced_hours_ago),
            staleness_limit_hours=staleness_limit_hours,
        )
        self.servers = {}
        self.policies = {}

    def computer(
        self,
        name,
        *,
        enabled=True,
        deleted=False,
        os="Windows 10 Enterprise",
        addresses=(),
    ):
        return ComputerFactory(
            source=self.source,
            name=name,
            enabled=enabled,
            user_account_control=4096 | (2 if not enabled else 0),
            deleted_at=timezone.now() if deleted else None,
            operating_system=os,
            addresses=list(addresses),
        )

    def user(self, name, *, enabled=True):
        return UserFactory(source=self.source, name=name, enabled=enabled)

    def group(self, name, *members, complete=True):
        group = GroupFactory(source=self.source, name=name, members_complete=complete)
        for member in members:
            self.add(member, group)
        return group

    def add(self, member, group, *, primary=False):
        via = Membership.Via.PRIMARY_GROUP if primary else Membership.Via.MEMBER
        Membership.objects.create(
            group=group,
            member=member,
            member_dn=member.dn,
            member_key=member.dn_key,
            member_sid=member.sid,
            via=via,
        )

    def dangling(self, group, member_dn):
        Membership.objects.create(
            group=group,
            member_dn=member_dn,
            member_key=member_dn.casefold(),
            state=Membership.State.UNRESOLVED,
        )

    def server(
        self,
        name="APP01",
        *,
        era=Era.XP,
        profile="domain",
        addresses=("10.20.1.10/24",),
    ):
        server = Server.objects.create(name=name, era=era, active_profile=profile)
        for interface in addresses:
            address, _, prefix = interface.partition("/")
            ServerAddress.objects.create(
                server=server, address=address, prefix_length=int(prefix)
            )
        self.servers[name] = server
        return server

    def policy(self, server, name=None, *, precedence=10, **states):
        policy = Policy.objects.create(
            name=name or f"GPO {server.name} {len(self.policies)}",
            precedence=precedence,
            era=server.era,
            **states,
        )
        policy.servers.add(server)
        self.policies[policy.name] = policy
        return policy

    def port(
        self,
        policy,
        name,
        ports,
        *,
        protocol="tcp",
        scope="*",
        enabled=True,
        action="allow",
        profiles="",
    ):
        return FirewallRule.objects.create(
            policy=policy,
            name=name,
            kind=FirewallRule.Kind.PORT,
            protocol=protocol,
            ports=ports,
            scope=scope,
            enabled=enabled,
            action=action,
            profiles=profiles,
        )

    def program(self, policy, name, path, *, scope="*", enabled=True):
        return FirewallRule.objects.create(
            policy=policy,
            name=name,
            kind=FirewallRule.Kind.PROGRAM,
            program_path=path,
            scope=scope,
            enabled=enabled,
        )

    def listening(self, server, path, ports, *, protocol="tcp"):
        return ListeningProgram.objects.create(
            server=server, program_path=path, protocol=protocol, ports=ports
        )

    def predefined(self, policy, group, *, scope="*", enabled=True):
        return FirewallRule.objects.create(
            policy=policy,
            name=FirewallRule.PredefinedGroup(group).label,
            kind=FirewallRule.Kind.PREDEFINED,
            predefined_group=group,
            scope=scope,
            enabled=enabled,
        )

    def icmp(self, policy, icmp_type, *, enabled=True):
        return FirewallRule.objects.create(
            policy=policy,
            name=f"ICMP {icmp_type}",
            kind=FirewallRule.Kind.ICMP,
            icmp_type=icmp_type,
            enabled=enabled,
        )

    def bypass(
        self,
        policy,
        *machines,
        users=(),
        deny=(),
        user_deny=(),
        name="Bypass",
        protocol="",
        ports="",
        enabled=True,
    ):
        rule = BypassRule.objects.create(
            policy=policy, name=name, protocol=protocol, ports=ports, enabled=enabled
        )
        for principals, role, is_deny in (
            (machines, BypassEntry.Role.MACHINE, False),
            (deny, BypassEntry.Role.MACHINE, True),
            (users, BypassEntry.Role.USER, False),
            (user_deny, BypassEntry.Role.USER, True),
        ):
            for principal in principals:
                sid, label = _sid(principal)
                BypassEntry.objects.create(
                    rule=rule, sid=sid, name=label, role=role, deny=is_deny
                )
        return rule

    def authorization(self, policy, kind, *principals, deny=()):
        for items, is_deny in ((principals, False), (deny, True)):
            for principal in items:
                sid, label = _sid(principal)
                AuthorizationEntry.objects.create(
                    policy=policy, list_kind=kind, sid=sid, name=label, deny=is_deny
                )

    def ipsec(
        self,
        server,
        *clients,
        authentication="kerberos",
        protection="esp",
        mode="request",
        addresses="",
        user_authentication=False,
        name=None,
    ):
        policy = IPsecPolicy.objects.create(
            name=name or f"IPsec {server.name} {IPsecPolicy.objects.count()}",
            authentication=authentication,
            protection=protection,
            server_mode=mode,
            client_addresses=addresses,
            user_authentication=user_authentication,
        )
        policy.servers.add(server)
        for client in clients:
            sid, label = _sid(client)
            IPsecClient.objects.create(policy=policy, sid=sid, name=label)
        return policy

    def requirement(self, server, *groups, name="Share", protocol="", ports=""):
        requirement = AccessRequirement.objects.create(
            server=server, name=name, protocol=protocol, ports=ports
        )
        for group in groups:
            AccessRequirementGroup.objects.create(
                requirement=requirement, sid=group.sid, name=group.name
            )
        return requirement

    def ask(
        self,
        client=None,
        *,
        server="APP01",
        service="tcp/445",
        ip=None,
        user=None,
        **overrides,
    ):
        snapshot = load_snapshot()
        query = build_query(
            snapshot,
            client=client.name if isinstance(client, DirectoryObject) else client,
            ip=ip,
            user=user.name if isinstance(user, DirectoryObject) else user,
            server=server,
            service=service,
            **overrides,
        )
        return evaluate(snapshot, query)


def _sid(principal):
    if isinstance(principal, str):
        return principal, ""
    return principal.sid, principal.name
