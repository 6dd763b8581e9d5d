"""A directory and policies whose every dashboard figure is known in advance.

Directory "corp" (fresh) and "lab" (stale, a run in progress):

    computers  WS1 (10.1.0.11)  WS2 (10.1.0.12)  WS3 disabled (10.1.0.13)
               WS4 inactive for 200 days (10.2.0.14)  XP1 Windows XP (10.2.0.21)
               WS6 (no address)  OLD1 deleted, its edge in G-Nested still stored
               LAB1 in "lab" (10.9.0.1)
    groups     G-Admins = WS1 + G-Nested;  G-Nested = WS2, WS3, WS4, OLD1
               Domain Computers (RID 515) = primary group of the six live corp PCs
               +Big-Group = WS1, WS2, WS4, WS6, XP1;  G-XP = XP1, WS1
               G-Users = users U1, U2;  G-Other (named by no policy) = WS1

Servers (risk thresholds: broad above 4 accounts, inactive after 90 days):

    SRV-A  XP, policy P-Base: bypass G-Admins; exceptions SMB 445 *,
           RDP 3389 LocalSubnet (server 10.1.0.5/24), App 8080 10.2.0.14,10.2.0.21,
           a disabled one and an ICMP setting; access requirement G-Users + a
           SID of nobody
    SRV-B  XP, firewall off (local policy); bypass +Big-Group, Domain Computers
           and a SID of nobody
    SRV-C  XP, bypass G-XP; exceptions Legacy 1433 10.2.0.21 (XP1's only
           address: redundant), Wide 1434 10.2.0.21,10.2.0.99
    SRV-D  later era, bypass rule: computers G-XP and +Big-Group minus WS1,
           users G-Users; computer authorization list Authenticated Users;
           Web 443 10.1.0.0/24; its own IPsec policy authenticates users
    SRV-E  later era, block all connections; bypass G-Admins
    SRV-F  XP, bypass G-Admins, but its only IPsec policy uses a pre-shared key

IPsec: "Domain isolation" (Kerberos, request mode, every client) covers SRV-A
to SRV-E; "AuthIP isolation" (Kerberos with user authentication) SRV-D;
"Legacy PSK" (clients: OLD1, deleted) SRV-F.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from directory.models import Membership, SyncRun
from policies.models import (
    AuthorizationEntry,
    BypassEntry,
    Era,
    FirewallRule,
    FirewallState,
    IPsecClient,
    IPsecPolicy,
    Profile,
    RiskThresholds,
)
from tests.directory.factories import (
    DOMAIN_SID,
    ComputerFactory,
    DirectorySourceFactory,
    GroupFactory,
    MembershipChangeFactory,
    MembershipFactory,
    SyncRunFactory,
    UserFactory,
)
from tests.policies.factories import (
    AccessRequirementFactory,
    AddressFactory,
    BypassEntryFactory,
    BypassRuleFactory,
    IPsecPolicyFactory,
    PolicyFactory,
    RuleFactory,
    ServerFactory,
)

NOBODY_SID = "S-1-5-21-9-9-9-1234"
NOBODY_USER_SID = "S-1-5-21-9-9-9-4321"
AUTHENTICATED_USERS = "S-1-5-11"


@dataclass
class Scenario:
    """The objects built, by name."""

    objects: dict = field(default_factory=dict)
    servers: dict = field(default_factory=dict)
    policies: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    runs: dict = field(default_factory=dict)

    def pk(self, name):
        return self.objects[name].pk

    def sid(self, name):
        return self.objects[name].sid


def _computer(scenario, source, name, address=None, **fields):
    computer = ComputerFactory(
        source=source,
        name=name,
        addresses=[address] if address else [],
        **fields,
    )
    scenario.objects[name] = computer
    return computer


def _group(scenario, source, name, **fields):
    group = GroupFactory(source=source, name=name, **fields)
    scenario.objects[name] = group
    return group


def _member(group, member, via=Membership.Via.MEMBER):
    return MembershipFactory(group=group, member=member, via=via)


def build_directory(scenario, now):
    corp = DirectorySourceFactory(
        name="corp", last_success_at=now - timezone.timedelta(hours=2)
    )
    lab = DirectorySourceFactory(
        name="lab",
        domain_sid="S-1-5-21-7-7-7",
        last_success_at=now - timezone.timedelta(hours=30),
    )
    scenario.sources.update(corp=corp, lab=lab)
    scenario.runs["corp"] = SyncRunFactory(source=corp)
    scenario.runs["lab-running"] = SyncRunFactory(
        source=lab, status=SyncRun.Status.RUNNING, progress=40, phase="Reading groups"
    )

    recent = now - timezone.timedelta(days=1)
    ws1 = _computer(scenario, corp, "WS1", "10.1.0.11", last_logon=recent)
    ws2 = _computer(scenario, corp, "WS2", "10.1.0.12", last_logon=recent)
    ws3 = _computer(scenario, corp, "WS3", "10.1.0.13", enabled=False)
    ws4 = _computer(
        scenario,
        corp,
        "WS4",
        "10.2.0.14",
        last_logon=now - timezone.timedelta(days=200),
    )
    xp1 = _computer(
        scenario,
        corp,
        "XP1",
        "10.2.0.21",
        operating_system="Windows XP Professional",
        operating_system_version="5.1 (2600)",
    )
    ws6 = _computer(scenario, corp, "WS6")
    old1 = _computer(scenario, corp, "OLD1", "10.1.0.99", deleted_at=now)
    _computer(scenario, lab, "LAB1", "10.9.0.1")

    u1 = UserFactory(source=corp, name="U1")
    u2 = UserFactory(source=corp, name="U2")
    scenario.objects.update(U1=u1, U2=u2)

    admins = _group(scenario, corp, "G-Admins")
    nested = _group(scenario, corp, "G-Nested")
    domain_computers = _group(
        scenario, corp, "Domain Computers", sid=f"{DOMAIN_SID}-515"
    )
    big = _group(scenario, corp, "Big", sam_account_name="+Big-Group")
    xp_group = _group(scenario, corp, "G-XP")
    users = _group(scenario, corp, "G-Users")
    other = _group(scenario, corp, "G-Other")

    _member(admins, ws1)
    _member(admins, nested)
    for member in (ws2, ws3, ws4, old1):
        _member(nested, member)
    for member in (ws1, ws2, ws3, ws4, xp1, ws6):
        _member(domain_computers, member, via=Membership.Via.PRIMARY_GROUP)
    for member in (ws1, ws2, ws4, ws6, xp1):
        _member(big, member)
    _member(xp_group, xp1)
    _member(xp_group, ws1)
    _member(users, u1)
    _member(users, u2)
    _member(other, ws1)


def _entry(rule, obj=None, sid=None, **fields):
    return BypassEntryFactory(
        rule=rule,
        sid=sid or obj.sid,
        name=fields.pop("name", None) or (obj.sam_account_name if obj else sid),
        **fields,
    )


def build_policies(scenario):
    objects = scenario.objects

    srv_a = ServerFactory(name="SRV-A")
    AddressFactory(server=srv_a, address="10.1.0.5", prefix_length=24)
    base = PolicyFactory(name="P-Base", precedence=1, state_domain=FirewallState.ON)
    base.servers.add(srv_a)
    base_bypass = BypassRuleFactory(policy=base, name="Bypass list")
    _entry(base_bypass, objects["G-Admins"])
    RuleFactory(policy=base, name="SMB", ports="445", scope="*")
    RuleFactory(policy=base, name="RDP", ports="3389", scope="LocalSubnet")
    RuleFactory(policy=base, name="App", ports="8080", scope="10.2.0.14,10.2.0.21")
    RuleFactory(policy=base, name="Closed", ports="9999", scope="*", enabled=False)
    RuleFactory(
        policy=base,
        name="Ping",
        kind=FirewallRule.Kind.ICMP,
        protocol="",
        ports="",
        icmp_type=8,
        scope="*",
    )
    share = AccessRequirementFactory(server=srv_a, name="Share")
    share.groups.create(sid=objects["G-Users"].sid, name="G-Users")
    share.groups.create(sid=NOBODY_USER_SID, name="Gone-Users")

    srv_b = ServerFactory(name="SRV-B")
    local_b = srv_b.local_policy
    local_b.state_domain = FirewallState.OFF
    local_b.save()
    bypass_b = BypassRuleFactory(policy=local_b, name="Bypass list")
    _entry(bypass_b, objects["Big"])
    _entry(bypass_b, objects["Domain Computers"], name="Domain Computers")
    _entry(bypass_b, sid=NOBODY_SID, name="Gone-Group")

    srv_c = ServerFactory(name="SRV-C")
    bypass_c = BypassRuleFactory(policy=srv_c.local_policy, name="Bypass list")
    _entry(bypass_c, objects["G-XP"])
    RuleFactory(
        policy=srv_c.local_policy, name="Legacy", ports="1433", scope="10.2.0.21"
    )
    RuleFactory(
        policy=srv_c.local_policy,
        name="Wide",
        ports="1434",
        scope="10.2.0.21,10.2.0.99",
    )

    srv_d = ServerFactory(name="SRV-D", era=Era.ADVANCED, active_profile=Profile.DOMAIN)
    local_d = srv_d.local_policy
    rule_d = BypassRuleFactory(policy=local_d, name="Admins with users")
    _entry(rule_d, objects["G-XP"])
    _entry(rule_d, objects["Big"])
    _entry(rule_d, objects["WS1"], deny=True)
    _entry(rule_d, objects["G-Users"], role=BypassEntry.Role.USER)
    AuthorizationEntry.objects.create(
        policy=local_d,
        list_kind=AuthorizationEntry.ListKind.MACHINE,
        sid=AUTHENTICATED_USERS,
        name="Authenticated Users",
    )
    RuleFactory(policy=local_d, name="Web", ports="443", scope="10.1.0.0/24")
    RuleFactory(
        policy=local_d,
        name="Block telnet",
        ports="23",
        scope="*",
        action=FirewallRule.Action.BLOCK,
    )

    srv_e = ServerFactory(name="SRV-E", era=Era.ADVANCED, active_profile=Profile.DOMAIN)
    local_e = srv_e.local_policy
    local_e.state_domain = FirewallState.SHIELDED
    local_e.save()
    _entry(BypassRuleFactory(policy=local_e, name="Admins"), objects["G-Admins"])
    RuleFactory(policy=local_e, name="Web", ports="443", scope="*")

    srv_f = ServerFactory(name="SRV-F")
    _entry(
        BypassRuleFactory(policy=srv_f.local_policy, name="Bypass list"),
        objects["G-Admins"],
    )

    isolation = IPsecPolicyFactory(name="Domain isolation")
    isolation.servers.add(srv_a, srv_b, srv_c, srv_d, srv_e)
    authip = IPsecPolicyFactory(name="AuthIP isolation", user_authentication=True)
    authip.servers.add(srv_d)
    legacy = IPsecPolicyFactory(
        name="Legacy PSK", authentication=IPsecPolicy.Authentication.PRESHARED_KEY
    )
    legacy.servers.add(srv_f)
    IPsecClient.objects.create(policy=legacy, sid=objects["OLD1"].sid, name="OLD1$")

    scenario.servers.update(
        {
            "SRV-A": srv_a,
            "SRV-B": srv_b,
            "SRV-C": srv_c,
            "SRV-D": srv_d,
            "SRV-E": srv_e,
            "SRV-F": srv_f,
        }
    )
    scenario.policies.update(base=base)
    RiskThresholds.objects.create(
        pk=RiskThresholds.SINGLETON_PK, broad_group_size=4, inactive_days=90
    )


def build_history(scenario, now):
    """Two membership changes: one in a watched nested group, one elsewhere."""
    run = scenario.runs["corp"]
    MembershipChangeFactory(
        run=run,
        group=scenario.objects["G-Nested"],
        member=scenario.objects["WS4"],
        at=now - timezone.timedelta(days=2),
    )
    MembershipChangeFactory(
        run=run,
        group=scenario.objects["G-Other"],
        member=scenario.objects["WS1"],
        at=now - timezone.timedelta(days=1),
    )


def build(now=None):
    """Build the whole scenario and return it."""
    now = now or timezone.now()
    scenario = Scenario()
    build_directory(scenario, now)
    build_policies(scenario)
    build_history(scenario, now)
    return scenario
