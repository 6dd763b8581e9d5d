"""The effective configuration of a server: which policy wins each setting.

Settings behave like group policy registry values. Each setting (the bypass
list, port exceptions, program exceptions, ICMP settings, each predefined
group, the firewall state of a profile, the later-era global authorization
lists) comes from the highest-precedence shared policy that defines it
(``Policy.precedence``: 1 is highest; ties are broken by name); the server's
local policy counts only where no shared policy defines the setting. A policy
defines a list setting when it has at least one entry of that kind, and a
firewall state when the profile's field is non-empty.

XP-era exception settings are per profile, as in the XP group policy tree
(Domain Profile / Standard Profile); a rule with no profiles listed applies to
every profile. The bypass list is profile-independent.

Later-era *rules* (FirewallRule, BypassRule) are not settings: the rules of all
policies are merged, and a rule replaces a rule of the same name (of the same
model) from a lower-precedence policy.

Everything here works from ``PolicySettings`` values, so the evaluator can
resolve many servers from one in-memory snapshot; ``effective_configurations``
loads them from the database in a fixed number of queries.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from policies.models import (
    PROFILES_BY_ERA,
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    FirewallState,
    Policy,
)
from policies.ports import ICMP_ECHO_REQUEST, PortSet

STATE = "state"
BYPASS = "bypass"
PORT_EXCEPTIONS = "port_exceptions"
PROGRAM_EXCEPTIONS = "program_exceptions"
ICMP_SETTINGS = "icmp"
PREDEFINED_PREFIX = "predefined:"
AUTHORIZATION_PREFIX = "authorization:"

# Windows' own value when no policy configures the firewall state.
DEFAULT_STATE = FirewallState.ON

SETTING_LABELS = {
    STATE: "Firewall state",
    BYPASS: "Authenticated IPsec bypass list",
    PORT_EXCEPTIONS: "Port exceptions",
    PROGRAM_EXCEPTIONS: "Program exceptions",
    ICMP_SETTINGS: "ICMP settings",
}


@dataclass(frozen=True)
class PredefinedGroupServices:
    """What a predefined exception group opens.

    ``rpc_dynamic`` marks groups that also open the ports the RPC endpoint
    mapper hands out at run time, which no configuration records.
    """

    tcp: PortSet = PortSet()
    udp: PortSet = PortSet()
    icmp_types: frozenset = frozenset()
    rpc_dynamic: bool = False

    def ports_for(self, protocol):
        return self.tcp if protocol == "tcp" else self.udp


PREDEFINED_GROUP_SERVICES = {
    FirewallRule.PredefinedGroup.FILE_AND_PRINTER_SHARING: PredefinedGroupServices(
        tcp=PortSet.of(139, 445),
        udp=PortSet.of(137, 138),
        icmp_types=frozenset({ICMP_ECHO_REQUEST}),
    ),
    FirewallRule.PredefinedGroup.REMOTE_DESKTOP: PredefinedGroupServices(
        tcp=PortSet.of(3389)
    ),
    FirewallRule.PredefinedGroup.REMOTE_ADMINISTRATION: PredefinedGroupServices(
        tcp=PortSet.of(135, 445), rpc_dynamic=True
    ),
}


@dataclass(frozen=True)
class BypassRuleSettings:
    """A bypass rule with its entries (machines, users; allow and deny)."""

    rule: BypassRule
    entries: tuple[BypassEntry, ...] = ()

    def entries_for(self, role, *, deny=False):
        return tuple(e for e in self.entries if e.role == role and e.deny == deny)


@dataclass(frozen=True)
class PolicySettings:
    """One policy with every row that belongs to it, as loaded."""

    policy: Policy
    rules: tuple[FirewallRule, ...] = ()
    bypass_rules: tuple[BypassRuleSettings, ...] = ()
    authorization_entries: tuple[AuthorizationEntry, ...] = ()


@dataclass(frozen=True)
class EffectiveSetting:
    """One setting's effective value and the policy it came from.

    ``policy`` is None when no policy defines the setting (Windows' default
    applies). ``overridden`` lists the lower-precedence policies that also
    define it and lose.
    """

    name: str
    profile: str
    value: object
    policy: Policy | None
    overridden: tuple[Policy, ...] = ()

    @property
    def label(self):
        if self.name.startswith(PREDEFINED_PREFIX):
            group = self.name.removeprefix(PREDEFINED_PREFIX)
            base = FirewallRule.PredefinedGroup(group).label
        elif self.name.startswith(AUTHORIZATION_PREFIX):
            kind = self.name.removeprefix(AUTHORIZATION_PREFIX)
            base = (
                f"IPsec authorization list ({AuthorizationEntry.ListKind(kind).label})"
            )
        else:
            base = SETTING_LABELS[self.name]
        if self.profile:
            return f"{base} ({self.profile} profile)"
        return base

    @property
    def source_label(self):
        return str(self.policy) if self.policy else "Windows default"


@dataclass(frozen=True)
class EffectiveRule:
    """A later-era rule in force, the policy it came from and those it replaced."""

    rule: FirewallRule
    policy: Policy
    replaced: tuple[tuple[FirewallRule, Policy], ...] = ()


@dataclass(frozen=True)
class EffectiveBypassRule:
    """A later-era authenticated-bypass rule in force, with its entries."""

    settings: BypassRuleSettings
    policy: Policy
    replaced: tuple[tuple[BypassRule, Policy], ...] = ()

    @property
    def rule(self):
        return self.settings.rule


@dataclass
class EffectiveConfiguration:
    """The settings in force on one server, each naming the policy that won it."""

    server: object
    era: str
    policies: tuple[Policy, ...]
    settings: dict = field(default_factory=dict)
    rules: tuple[EffectiveRule, ...] = ()
    bypass_rules: tuple[EffectiveBypassRule, ...] = ()

    @property
    def profiles(self):
        return PROFILES_BY_ERA[Era(self.era)]

    def setting(self, name, profile=""):
        return self.settings[(name, profile)]

    def state(self, profile):
        """The firewall state setting (FirewallState value) of a profile."""
        return self.setting(STATE, profile)

    def bypass(self):
        """XP era: the bypass list setting (value: tuple of BypassRuleSettings)."""
        return self.setting(BYPASS)

    def exceptions(self, name, profile):
        """XP era: port, program or ICMP exceptions of a profile (tuple of rules)."""
        return self.setting(name, profile)

    def predefined(self, group, profile):
        """XP era: a predefined group's setting for a profile (tuple of rules)."""
        return self.setting(PREDEFINED_PREFIX + group, profile)

    def authorization(self, list_kind):
        """Later era: a global IPsec authorization list (tuple of entries)."""
        return self.setting(AUTHORIZATION_PREFIX + list_kind)

    def exception_rules(self, profile=None):
        """XP era: (rule, policy) of every exception setting, for one profile or all."""
        found = []
        for (name, setting_profile), setting in self.settings.items():
            if name in (STATE, BYPASS) or name.startswith(AUTHORIZATION_PREFIX):
                continue
            if profile is None or setting_profile == profile:
                found += [(rule, setting.policy) for rule in setting.value]
        return found

    def rules_for_profile(self, profile):
        return tuple(item for item in self.rules if rule_applies_to(item.rule, profile))

    def all_settings(self):
        """Every setting in a stable order, for display."""
        return [self.settings[key] for key in sorted(self.settings, key=_setting_order)]


def _setting_order(key):
    name, profile = key
    order = [STATE, BYPASS, PORT_EXCEPTIONS, PROGRAM_EXCEPTIONS, ICMP_SETTINGS]
    rank = order.index(name) if name in order else len(order)
    return (rank, name, profile)


def rule_profiles(rule):
    """The profiles a rule lists (empty tuple: every profile)."""
    return tuple(p.strip() for p in (rule.profiles or "").split(",") if p.strip())


def rule_applies_to(rule, profile):
    profiles = rule_profiles(rule)
    return not profiles or profile in profiles


def ordered_policies(server, policies):
    """Order the server's policies: shared by (precedence, name), the local last."""
    shared = sorted(
        (p for p in policies if p.local_server_id is None),
        key=lambda p: (p.precedence, p.name),
    )
    local = [p for p in policies if p.local_server_id == server.pk]
    return tuple(shared + local)


def _xp_setting_values(settings, profile):
    """The XP-era per-profile list settings one policy defines, by name."""
    values = defaultdict(list)
    for rule in settings.rules:
        if not rule_applies_to(rule, profile):
            continue
        if rule.kind == FirewallRule.Kind.PORT:
            values[PORT_EXCEPTIONS].append(rule)
        elif rule.kind == FirewallRule.Kind.PROGRAM:
            values[PROGRAM_EXCEPTIONS].append(rule)
        elif rule.kind == FirewallRule.Kind.ICMP:
            values[ICMP_SETTINGS].append(rule)
        elif rule.kind == FirewallRule.Kind.PREDEFINED and rule.predefined_group:
            values[PREDEFINED_PREFIX + rule.predefined_group].append(rule)
    return values


def _pick(name, profile, candidates, default):
    """Pick the first (highest-precedence) policy's value among the definers."""
    if not candidates:
        return EffectiveSetting(name, profile, default, None)
    (winner, value), *losers = candidates
    return EffectiveSetting(
        name, profile, value, winner, tuple(policy for policy, _ in losers)
    )


def resolve(server, policy_settings):
    """Compute a server's EffectiveConfiguration from its policies' settings.

    ``policy_settings`` holds a PolicySettings for every policy that applies to
    the server (shared and local) in any order.
    """
    by_policy = {item.policy.pk: item for item in policy_settings}
    policies = ordered_policies(server, [item.policy for item in policy_settings])
    ordered = [by_policy[policy.pk] for policy in policies]
    era = server.era
    config = EffectiveConfiguration(server=server, era=era, policies=policies)

    for profile in PROFILES_BY_ERA[Era(era)]:
        definers = [
            (item.policy, item.policy.state_for(profile))
            for item in ordered
            if item.policy.state_for(profile)
        ]
        config.settings[(STATE, profile)] = _pick(
            STATE, profile, definers, DEFAULT_STATE
        )

    if era == Era.XP:
        _resolve_xp(config, ordered)
    else:
        _resolve_advanced(config, ordered)
    return config


def _resolve_xp(config, ordered):
    definers = [
        (item.policy, item.bypass_rules)
        for item in ordered
        if any(rule.entries for rule in item.bypass_rules)
    ]
    config.settings[(BYPASS, "")] = _pick(BYPASS, "", definers, ())

    names = [PORT_EXCEPTIONS, PROGRAM_EXCEPTIONS, ICMP_SETTINGS] + [
        PREDEFINED_PREFIX + group for group in PREDEFINED_GROUP_SERVICES
    ]
    for profile in config.profiles:
        values = [(item.policy, _xp_setting_values(item, profile)) for item in ordered]
        for name in names:
            definers = [
                (policy, tuple(found[name])) for policy, found in values if found[name]
            ]
            config.settings[(name, profile)] = _pick(name, profile, definers, ())


def _merge_by_name(items):
    """Keep the first item of each name; later ones are replaced by it."""
    winners = {}
    replaced = defaultdict(list)
    for name, payload, policy in items:
        if name in winners:
            replaced[name].append((payload, policy))
        else:
            winners[name] = (payload, policy)
    return winners, replaced


def _resolve_advanced(config, ordered):
    for list_kind in AuthorizationEntry.ListKind.values:
        definers = [
            (item.policy, entries)
            for item in ordered
            if (
                entries := tuple(
                    e for e in item.authorization_entries if e.list_kind == list_kind
                )
            )
        ]
        name = AUTHORIZATION_PREFIX + list_kind
        config.settings[(name, "")] = _pick(name, "", definers, ())

    winners, replaced = _merge_by_name(
        (rule.name, rule, item.policy) for item in ordered for rule in item.rules
    )
    config.rules = tuple(
        EffectiveRule(rule, policy, tuple(replaced[name]))
        for name, (rule, policy) in winners.items()
    )

    bypass_winners, bypass_replaced = _merge_by_name(
        (settings.rule.name, settings, item.policy)
        for item in ordered
        for settings in item.bypass_rules
    )
    config.bypass_rules = tuple(
        EffectiveBypassRule(
            settings,
            policy,
            tuple((loser.rule, p) for loser, p in bypass_replaced[name]),
        )
        for name, (settings, policy) in bypass_winners.items()
    )


def load_policy_settings(policies):
    """Load every row of the given policies in four queries."""
    policies = list(policies)
    ids = [policy.pk for policy in policies]
    rules = defaultdict(list)
    for rule in FirewallRule.objects.filter(policy_id__in=ids).order_by("pk"):
        rules[rule.policy_id].append(rule)
    entries = defaultdict(list)
    for entry in BypassEntry.objects.filter(rule__policy_id__in=ids).order_by("pk"):
        entries[entry.rule_id].append(entry)
    bypass_rules = defaultdict(list)
    for rule in BypassRule.objects.filter(policy_id__in=ids).order_by("pk"):
        bypass_rules[rule.policy_id].append(
            BypassRuleSettings(rule, tuple(entries[rule.pk]))
        )
    authorization = defaultdict(list)
    for entry in AuthorizationEntry.objects.filter(policy_id__in=ids).order_by("pk"):
        authorization[entry.policy_id].append(entry)
    return {
        policy.pk: PolicySettings(
            policy=policy,
            rules=tuple(rules[policy.pk]),
            bypass_rules=tuple(bypass_rules[policy.pk]),
            authorization_entries=tuple(authorization[policy.pk]),
        )
        for policy in policies
    }


def policies_by_server(servers):
    """Map each server's pk to the policies that apply to it, in two queries."""
    server_ids = [server.pk for server in servers]
    links = Policy.servers.through.objects.filter(server_id__in=server_ids)
    linked = defaultdict(set)
    for link in links.values_list("server_id", "policy_id"):
        linked[link[0]].add(link[1])
    policy_ids = {pid for pids in linked.values() for pid in pids}
    policies = Policy.objects.filter(pk__in=policy_ids) | Policy.objects.filter(
        local_server_id__in=server_ids
    )
    by_pk = {policy.pk: policy for policy in policies}
    result = {}
    for server_id in server_ids:
        applying = [by_pk[pid] for pid in linked[server_id] if pid in by_pk]
        applying += [
            policy
            for policy in by_pk.values()
            if policy.local_server_id == server_id
            and policy.pk not in linked[server_id]
        ]
        result[server_id] = applying
    return result


def effective_configurations(servers):
    """Return {server pk: EffectiveConfiguration} in a fixed number of queries."""
    servers = list(servers)
    applying = policies_by_server(servers)
    all_policies = {p.pk: p for policies in applying.values() for p in policies}
    loaded = load_policy_settings(all_policies.values())
    return {
        server.pk: resolve(server, [loaded[p.pk] for p in applying[server.pk]])
        for server in servers
    }


def effective_configuration(server):
    """Return one server's EffectiveConfiguration."""
    return effective_configurations([server])[server.pk]
