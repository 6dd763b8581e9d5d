"""Bypass exposure: which machines each server admits, and through what.

The what-if evaluator answers for one client at a time; the dashboard needs
the same answers for every known machine and every server at once, so it
computes them as sets, following the evaluator's ladder for a machine (no
user, no assumption) and counting only certain answers:

1. IPsec: the server's enabled IPsec policies are tried in name order; the
   first one that covers a machine (its client addresses, if any, admit all
   of the machine's known addresses; its client list, if any, names the
   machine directly or through nested groups; Kerberos needs an enabled,
   live computer account) is negotiated. A machine that negotiates nothing
   while a policy in require mode covers its addresses is dropped before the
   firewall. Later era: a negotiated machine outside the server's global
   computer authorization list is refused at the IPsec layer too.
2. Firewall state of the server's active profile: off admits every machine
   not dropped above ("open"); later-era "block all connections" admits
   nobody, not even through a bypass. With XP-era "don't allow exceptions"
   Microsoft's texts conflict on whether the bypass still applies: the
   machines it would admit are kept apart as in conflict, not counted.
3. Bypass: the machine is listed (directly or through nested groups,
   primary groups included), not refused by a deny entry, and negotiated
   Kerberos IPsec with the server. A later-era rule that also authorizes
   users needs AuthIP: only Vista-and-later clients whose negotiated policy
   authenticates users count (they reach the server when an authorized user
   uses them).
4. Exceptions (XP "don't allow exceptions" closes them): each enabled allow
   exception or rule of the active profile admits the machines its scope
   admits, counted by the kind of scope part: Any (every machine, address
   known or not), LocalSubnet (all the machine's known addresses on a subnet
   of one of the server's addresses) or a custom address list. A disabled
   XP port entry closes the ports it names.

ICMP settings have no scope and open no service, so they count as no
exposure. A source older than its staleness limit is marked in sync health;
its memberships still count here, where the evaluator calls answers that rest
on them indeterminate.

Known limitation: later-era block rules are not subtracted from the allow
rules' counts, because a block rule removes a service rather than a machine;
the what-if evaluator answers per service.

Known limitation: a well-known SID on a list (Everyone, Authenticated Users)
is taken to stand for every enabled computer, as Windows reads it, where the
evaluator (which resolves SIDs through the directory alone) calls such a
match unknown.
"""

import logging
from dataclasses import dataclass, field

from policies.dashboard.facts import lacks_authip
from policies.effective import (
    PORT_EXCEPTIONS,
    PREDEFINED_GROUP_SERVICES,
    PREDEFINED_PREFIX,
    PROGRAM_EXCEPTIONS,
)
from policies.models import (
    AuthorizationEntry,
    BypassEntry,
    Era,
    FirewallRule,
    FirewallState,
    IPsecPolicy,
)
from policies.ports import PortSet, PortSpecError, parse_ports
from policies.scopes import ScopeError, parse_scope

logger = logging.getLogger(__name__)

ANY = "any"
LOCAL_SUBNET = "local-subnet"
CUSTOM = "custom"
SCOPE_KINDS = (ANY, LOCAL_SUBNET, CUSTOM)
SCOPE_LABELS = {ANY: "Any", LOCAL_SUBNET: "LocalSubnet", CUSTOM: "Custom"}

# Well-known SIDs every domain computer's token carries (Everyone,
# Authenticated Users); they match no synced object, so they are expanded here.
EVERY_COMPUTER_SIDS = frozenset({"S-1-1-0", "S-1-5-11"})

KERBEROS = IPsecPolicy.Authentication.KERBEROS


@dataclass(frozen=True)
class ListedPrincipal:
    """An allow entry of a bypass list, with the machines it stands for."""

    sid: str
    name: str
    principal: object
    machine_ids: frozenset

    @property
    def label(self):
        if self.principal is not None:
            return self.principal.label
        return self.name or self.sid


@dataclass(frozen=True)
class ScopedException:
    """An exception in force on a server, with the machines each scope part admits."""

    rule: FirewallRule
    policy: object
    scope_kinds: tuple[str, ...]
    machine_ids: dict

    @property
    def is_any(self):
        return ANY in self.scope_kinds


@dataclass(frozen=True)
class IPsecView:
    """What the IPsec layer does for each machine with one server."""

    kerberos_ids: frozenset = frozenset()
    user_auth_ids: frozenset = frozenset()
    negotiated_ids: frozenset = frozenset()
    dropped_ids: frozenset = frozenset()


@dataclass
class ServerExposure:
    """Who can reach one server, and through which setting."""

    server: object
    state: str
    all_ids: frozenset = frozenset()
    ipsec: IPsecView = field(default_factory=IPsecView)
    dropped_ids: frozenset = frozenset()
    bypass_policy: object = None
    listed: list = field(default_factory=list)
    bypass_ids: frozenset = frozenset()
    conflict_ids: frozenset = frozenset()
    exceptions: list = field(default_factory=list)
    exception_ids: dict = field(default_factory=dict)

    @property
    def firewall_off(self):
        return self.state == FirewallState.OFF

    @property
    def open_ids(self):
        """Machines the firewall lets through whatever the port (firewall off)."""
        return self.all_ids - self.dropped_ids if self.firewall_off else frozenset()

    @property
    def open_count(self):
        return len(self.open_ids)

    @property
    def bypass_count(self):
        return len(self.bypass_ids)

    @property
    def conflict_count(self):
        return len(self.conflict_ids)

    def exception_count(self, scope_kind):
        return len(self.exception_ids.get(scope_kind, ()))

    @property
    def any_count(self):
        return self.exception_count(ANY)

    @property
    def local_subnet_count(self):
        return self.exception_count(LOCAL_SUBNET)

    @property
    def custom_count(self):
        return self.exception_count(CUSTOM)

    @property
    def exception_total(self):
        found = set()
        for ids in self.exception_ids.values():
            found |= ids
        return len(found)

    @property
    def any_exceptions(self):
        return [item for item in self.exceptions if item.is_any]

    @property
    def through(self):
        """(listed principal, machines it admits here) pairs, in label order."""
        return [(item, len(item.machine_ids & self.bypass_ids)) for item in self.listed]


class ExposureCalculator:
    """Computes ServerExposure rows, sharing work between servers."""

    def __init__(self, facts):
        self.facts = facts
        self._principal_machines = {}
        self._scope_machines = {}
        self._ipsec_views = {}
        self.all_machine_ids = frozenset(facts.computers)
        self.enabled_ids = frozenset(facts.enabled_computer_ids)
        self.authip_ids = frozenset(
            pk
            for pk, computer in facts.computers.items()
            if not lacks_authip(computer.operating_system)
        )

    def computers_of(self, sid):
        """Return the live computers a listed SID stands for (enabled or not)."""
        if sid not in self._principal_machines:
            if sid in EVERY_COMPUTER_SIDS:
                machines = self.all_machine_ids
            else:
                principal = self.facts.principal(sid)
                machines = frozenset(self.facts.computers_in(principal))
            self._principal_machines[sid] = machines
        return self._principal_machines[sid]

    def machines_of(self, sid):
        """Return the enabled live computers a listed SID stands for."""
        return self.computers_of(sid) & self.enabled_ids

    def listed_machines(self, entries):
        found = set()
        for entry in entries:
            found |= self.computers_of(entry.sid)
        return found

    def exposure(self, info):
        """Return the ServerExposure of one server of the what-if snapshot."""
        server, config, interfaces = info.server, info.config, info.interfaces
        profile = server.active_profile
        state = config.state(profile).value if profile in config.profiles else ""
        ipsec = self.ipsec_view(info.ipsec, interfaces)
        dropped = set(ipsec.dropped_ids)
        if config.era == Era.ADVANCED:
            dropped |= ipsec.negotiated_ids - self._authorized(config)
        row = ServerExposure(
            server=server,
            state=state,
            all_ids=self.all_machine_ids,
            ipsec=ipsec,
            dropped_ids=frozenset(dropped),
        )
        if state == FirewallState.OFF:
            return row
        blocks_all = state == FirewallState.SHIELDED and config.era == Era.ADVANCED
        if not blocks_all:
            self._add_bypass(row, config)
        if state != FirewallState.SHIELDED:
            self._add_exceptions(row, config, profile, interfaces)
        return row

    def ipsec_view(self, infos, interfaces):
        """Follow the IPsec rung for every machine with one server."""
        key = tuple(info.policy.pk for info in infos)
        key += tuple(str(network) for network in interfaces)
        if key in self._ipsec_views:
            return self._ipsec_views[key]
        negotiated = set()
        kerberos = set()
        user_auth = set()
        refused = set()
        for info in infos:
            applies = self._ipsec_applies(info, interfaces)
            if info.clients:
                holds = self.listed_machines(info.clients)
            else:
                holds = applies
            if info.policy.authentication == KERBEROS:
                holds = holds & self.enabled_ids
            chosen = (applies & holds) - negotiated
            negotiated |= chosen
            if info.policy.authentication == KERBEROS:
                kerberos |= chosen
                if info.policy.user_authentication:
                    user_auth |= chosen
            if info.policy.server_mode == IPsecPolicy.Mode.REQUIRE:
                refused |= applies - holds
        view = IPsecView(
            kerberos_ids=frozenset(kerberos),
            user_auth_ids=frozenset(user_auth & self.authip_ids),
            negotiated_ids=frozenset(negotiated),
            dropped_ids=frozenset(refused - negotiated),
        )
        self._ipsec_views[key] = view
        return view

    def _ipsec_applies(self, info, interfaces):
        if info.scope_error:
            return set()
        if info.scope is None:
            return set(self.all_machine_ids)
        found = set()
        for ids in self._scope_ids(info.scope, interfaces).values():
            found |= ids
        return found

    def _authorized(self, config):
        """Machines the later-era global computer authorization list admits."""
        setting = config.authorization(AuthorizationEntry.ListKind.MACHINE)
        if setting.policy is None:
            return set(self.all_machine_ids)
        entries = setting.value
        allowed = self.listed_machines(e for e in entries if not e.deny)
        return allowed - self.listed_machines(e for e in entries if e.deny)

    def _listed(self, entry):
        return ListedPrincipal(
            sid=entry.sid,
            name=entry.name,
            principal=self.facts.principal(entry.sid),
            machine_ids=self.machines_of(entry.sid),
        )

    def _add_bypass(self, row, config):
        if config.era == Era.XP:
            setting = config.bypass()
            row.bypass_policy = setting.policy
            rules = [(item, setting.policy) for item in setting.value]
        else:
            rules = [(item.settings, item.policy) for item in config.bypass_rules]
        rules = [(item, policy) for item, policy in rules if item.rule.enabled]
        if config.era == Era.ADVANCED and rules:
            row.bypass_policy = rules[0][1]

        admitted = set()
        listed = {}
        for rule_settings, _ in rules:
            allow = rule_settings.entries_for(BypassEntry.Role.MACHINE)
            deny = rule_settings.entries_for(BypassEntry.Role.MACHINE, deny=True)
            denied = self.listed_machines(deny)
            negotiated = row.ipsec.kerberos_ids
            if config.era == Era.ADVANCED and rule_settings.entries_for(
                BypassEntry.Role.USER
            ):
                negotiated = row.ipsec.user_auth_ids
            for entry in allow:
                item = listed.get(entry.sid) or self._listed(entry)
                listed[entry.sid] = item
                admitted |= (item.machine_ids - denied) & negotiated
        row.listed = sorted(listed.values(), key=lambda item: item.label.casefold())
        admitted = frozenset(admitted - row.dropped_ids)
        if config.era == Era.XP and row.state == FirewallState.SHIELDED:
            row.conflict_ids = admitted
        else:
            row.bypass_ids = admitted

    def _rules_in_force(self, config, profile):
        """Return (rule, policy) pairs of enabled allow exceptions with a scope."""
        if config.era == Era.ADVANCED:
            return [
                (item.rule, item.policy)
                for item in config.rules_for_profile(profile)
                if item.rule.enabled
                and item.rule.action == FirewallRule.Action.ALLOW
                and item.rule.kind != FirewallRule.Kind.ICMP
            ]
        names = [PORT_EXCEPTIONS, PROGRAM_EXCEPTIONS] + [
            PREDEFINED_PREFIX + group for group in PREDEFINED_GROUP_SERVICES
        ]
        pairs = []
        for name in names:
            setting = config.exceptions(name, profile)
            rules = setting.value
            closed = _closed_ports(rules) if name == PORT_EXCEPTIONS else {}
            for rule in rules:
                if not rule.enabled or rule.action != FirewallRule.Action.ALLOW:
                    continue
                if _is_closed(rule, closed):
                    continue
                pairs.append((rule, setting.policy))
        return pairs

    def _add_exceptions(self, row, config, profile, interfaces):
        for rule, policy in self._rules_in_force(config, profile):
            scope = self._parse(rule.scope, config.era)
            if scope is None:
                continue
            machine_ids = {
                kind: ids - row.dropped_ids
                for kind, ids in self._scope_ids(scope, interfaces).items()
            }
            kinds = tuple(kind for kind in SCOPE_KINDS if kind in machine_ids)
            row.exceptions.append(ScopedException(rule, policy, kinds, machine_ids))
            for kind, ids in machine_ids.items():
                row.exception_ids.setdefault(kind, set()).update(ids)
        for kind in SCOPE_KINDS:
            row.exception_ids.setdefault(kind, set())

    def _parse(self, text, era):
        try:
            return parse_scope(text, era)
        except ScopeError as error:
            logger.warning("Skipping an unreadable scope %r: %s", text, error)
            return None

    def _scope_ids(self, scope, interfaces):
        """Return {scope kind: machine ids} for a parsed scope on a server."""
        key = (scope.canonical(), tuple(str(network) for network in interfaces))
        if key in self._scope_machines:
            return self._scope_machines[key]
        found = {}
        if scope.any:
            found[ANY] = set(self.all_machine_ids)
        if scope.local_subnet:
            networks = [
                network
                for network in interfaces
                if None in scope.local_subnet or network.version in scope.local_subnet
            ]
            found[LOCAL_SUBNET] = self.facts.addresses.machines_on(networks)
        if scope.addresses:
            found[CUSTOM] = self.facts.addresses.machines_in(scope.addresses)
        self._scope_machines[key] = found
        return found


def _ports(rule):
    try:
        return parse_ports(rule.ports)
    except PortSpecError:
        return None


def _closed_ports(rules):
    """Ports that a disabled entry of the port exception setting closes, by protocol."""
    closed = {}
    for rule in rules:
        if rule.kind == FirewallRule.Kind.PORT and not rule.enabled:
            ports = _ports(rule)
            if ports is not None:
                closed[rule.protocol] = closed.get(rule.protocol, PortSet()) | ports
    return closed


def _is_closed(rule, closed):
    """Whether every port an enabled port entry opens is closed by a disabled one."""
    if rule.kind != FirewallRule.Kind.PORT or rule.protocol not in closed:
        return False
    ports = _ports(rule)
    return (
        ports is not None and (ports | closed[rule.protocol]) == closed[rule.protocol]
    )


def server_exposures(server_infos, facts):
    """Return a ServerExposure per snapshot ServerInfo, in the same order."""
    calculator = ExposureCalculator(facts)
    return [calculator.exposure(info) for info in server_infos]
