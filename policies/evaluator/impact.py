"""The impact of an edit before it is saved: who gains access, who loses it.

For a changed bypass rule, exception or rule, or a pretended group
membership, the servers and services the change concerns are evaluated
before and after (with the reverse query, every machine at once) and the
(machine, user, server, service) tuples whose verdict changes are listed.
The user is named where an access requirement guards the service: then each
user of the requirement's groups is evaluated, since the verdict depends on
the user.
"""

from dataclasses import dataclass, field

from policies.effective import PREDEFINED_GROUP_SERVICES
from policies.evaluator import changes
from policies.evaluator.access import applicable_requirements
from policies.evaluator.engine import evaluate
from policies.evaluator.query import Query
from policies.evaluator.reverse import icmp_types, port_boundaries, who_can_reach
from policies.evaluator.verdict import Verdict
from policies.models import BypassEntry, BypassRule, Era, FirewallRule
from policies.ports import ICMP_ECHO_REQUEST, PortSet, Service

SMB = PortSet.of(445)


@dataclass(frozen=True)
class AccessChange:
    """One (machine, user, server, service) whose verdict the edit changes."""

    machine: str
    machine_id: int
    user: str
    user_id: int | None
    server: str
    server_id: int
    service: str
    before: Verdict
    after: Verdict

    def as_dict(self):
        return {
            "machine": self.machine,
            "user": self.user,
            "server": self.server,
            "service": self.service,
            "before": str(self.before),
            "after": str(self.after),
        }


@dataclass
class Impact:
    """Tuples that would gain or lose access, and those that become uncertain."""

    gained: list = field(default_factory=list)
    lost: list = field(default_factory=list)
    uncertain: list = field(default_factory=list)
    examined: list = field(default_factory=list)

    @property
    def is_empty(self):
        return not (self.gained or self.lost or self.uncertain)

    def as_dict(self):
        return {
            "gained": [item.as_dict() for item in self.gained],
            "lost": [item.as_dict() for item in self.lost],
            "uncertain": [item.as_dict() for item in self.uncertain],
            "examined": list(self.examined),
        }


@dataclass(frozen=True)
class Concern:
    """The services of a change: port sets per protocol and ICMP types."""

    tcp: PortSet = PortSet()
    udp: PortSet = PortSet()
    icmp: frozenset = frozenset()
    every_service: bool = False

    def __or__(self, other):
        return Concern(
            self.tcp | other.tcp,
            self.udp | other.udp,
            self.icmp | other.icmp,
            self.every_service or other.every_service,
        )


EVERYTHING = Concern(every_service=True)


def _ports(snapshot, text):
    ports, _ = snapshot.ports(text)
    return ports or PortSet()


def rule_concern(snapshot, rule, era):
    """The services a firewall exception or rule is about."""
    kind = rule.kind
    if kind == FirewallRule.Kind.PORT:
        ports = _ports(snapshot, rule.ports)
        concern = Concern(**{rule.protocol or "tcp": ports})
        if era == Era.XP and rule.protocol == "tcp" and ports.overlaps(SMB):
            concern = concern | Concern(icmp=frozenset({ICMP_ECHO_REQUEST}))
        return concern
    if kind == FirewallRule.Kind.ICMP:
        return Concern(icmp=frozenset({rule.icmp_type}))
    if kind == FirewallRule.Kind.PREDEFINED:
        group = PREDEFINED_GROUP_SERVICES.get(rule.predefined_group)
        if group is None:
            return Concern()
        if group.rpc_dynamic:
            return EVERYTHING
        return Concern(group.tcp, group.udp, group.icmp_types)
    return EVERYTHING


def bypass_concern(snapshot, rule):
    if not rule.ports.strip() and not rule.protocol:
        return EVERYTHING
    if not rule.ports.strip():
        return Concern(**{rule.protocol: PortSet.every()})
    return Concern(**{rule.protocol or "tcp": _ports(snapshot, rule.ports)})


def _probes(before, after, info_before, info_after, concern):
    """One service per range of ports on which nothing changes, within the concern."""
    probes = []
    for protocol in ("tcp", "udp"):
        wanted = (
            PortSet.every() if concern.every_service else getattr(concern, protocol)
        )
        if not wanted:
            continue
        cuts = set(port_boundaries(before, info_before, protocol))
        cuts |= set(port_boundaries(after, info_after, protocol))
        for start, end in wanted.ranges:
            cuts.update((start, end + 1))
        cuts = sorted(cuts)
        for start, stop in zip(cuts, cuts[1:], strict=False):
            if wanted.contains(start):
                label = (
                    f"{protocol}/{start}"
                    if start == stop - 1
                    else f"{protocol}/{start}-{stop - 1}"
                )
                probes.append(
                    (label, Service(kind=protocol, protocol=protocol, port=start))
                )
    types = set(concern.icmp)
    if concern.every_service:
        types |= set(icmp_types(info_before)) | set(icmp_types(info_after))
    probes += [(f"icmp/{t}", Service.icmp(t)) for t in sorted(types)]
    return probes


def _user_entries(snapshot, info, service):
    """Principal entries that name users for this service: the groups of the
    access requirements guarding it and the authorized users of later-era
    bypass rules covering it."""
    entries = []
    for requirement in applicable_requirements(info, service):
        entries += list(requirement.groups)
    for item in info.config.bypass_rules:
        rule = item.rule
        if rule.protocol and (not service.is_port or rule.protocol != service.protocol):
            continue
        ports, _ = snapshot.ports(rule.ports) if rule.ports.strip() else (None, "")
        if ports is not None and not (service.is_port and ports.contains(service.port)):
            continue
        entries += item.settings.entries_for(BypassEntry.Role.USER)
    return entries


def _involved_users(snapshot, infos, service):
    """Users whose identity the verdict depends on, or [None] when none does.

    Known limitation: each such user is evaluated against every machine, so
    a requirement naming very large user groups makes the preview slow.
    """
    users = set()
    for info in infos:
        for entry in _user_entries(snapshot, info, service):
            for target in snapshot.live_by_sid(entry.sid):
                if target.is_group:
                    members = snapshot.graph.members_of(target.pk)
                    users |= {
                        pk for pk in members if snapshot.accounts[pk].kind == "user"
                    }
                elif target.kind == "user":
                    users.add(target.pk)
    return sorted(users) or [None]


def compare(
    before, after, *, concerns, user_id=None, user_overrides=None, machine_ids=None
):
    """Evaluate each concerned server and service before and after a change.

    ``concerns`` maps server ids to a Concern. ``machine_ids`` limits the
    machines reported (e.g. the one machine of a membership override).
    """
    impact = Impact()
    for server_id, concern in concerns.items():
        info_before = before.servers.get(server_id)
        info_after = after.servers.get(server_id)
        if info_before is None or info_after is None:
            continue
        for label, service in _probes(before, after, info_before, info_after, concern):
            impact.examined.append(f"{info_before.server.name} {label}")
            users = (
                [user_id]
                if user_id is not None
                else _involved_users(after, (info_before, info_after), service)
            )
            for user in users:
                _compare_one(
                    impact,
                    before,
                    after,
                    server_id,
                    service,
                    label,
                    user,
                    user_overrides,
                    machine_ids,
                )
    return impact


def _compare_one(
    impact, before, after, server_id, service, label, user, user_overrides, machine_ids
):
    old = who_can_reach(before, server_id, service, user_id=user)
    new = who_can_reach(
        after, server_id, service, user_id=user, **(user_overrides or {})
    )
    old_rows = {row.account.pk: row for row in old.rows}
    user_label = before.accounts[user].label if user else ""
    for row in new.rows:
        if machine_ids is not None and row.account.pk not in machine_ids:
            continue
        previous = old_rows.get(row.account.pk)
        if previous is None or previous.verdict == row.verdict:
            continue
        change = AccessChange(
            machine=row.account.label,
            machine_id=row.account.pk,
            user=user_label,
            user_id=user,
            server=new.server.name,
            server_id=server_id,
            service=label,
            before=previous.verdict,
            after=row.verdict,
        )
        if row.verdict == Verdict.ALLOWED:
            impact.gained.append(change)
        elif previous.verdict == Verdict.ALLOWED and row.verdict == Verdict.DENIED:
            impact.lost.append(change)
        else:
            impact.uncertain.append(change)


def servers_of_policy(snapshot, policy_id):
    return [
        server_id
        for server_id, info in snapshot.servers.items()
        if any(item.policy.pk == policy_id for item in info.policy_settings)
    ]


def _old_rule(snapshot, model, rule):
    if rule.pk is None:
        return None
    for info in snapshot.servers.values():
        for item in info.policy_settings:
            pool = (
                item.rules
                if model is FirewallRule
                else [b.rule for b in item.bypass_rules]
            )
            for candidate in pool:
                if candidate.pk == rule.pk:
                    return candidate
    return None


def firewall_rule_impact(snapshot, rule, *, delete=False):
    """Impact of saving (or deleting) a firewall exception or rule."""
    after = (
        changes.delete_firewall_rule(snapshot, rule)
        if delete
        else changes.put_firewall_rule(snapshot, rule)
    )
    old = _old_rule(snapshot, FirewallRule, rule)
    concerns = {}
    for server_id in servers_of_policy(snapshot, rule.policy_id):
        era = snapshot.servers[server_id].era
        concern = rule_concern(snapshot, rule, era)
        if old is not None:
            concern = concern | rule_concern(snapshot, old, era)
        concerns[server_id] = concern
    return compare(snapshot, after, concerns=concerns)


def bypass_rule_impact(snapshot, rule, entries=None, *, delete=False):
    """Impact of saving a bypass rule with its proposed entries (or deleting it)."""
    if delete:
        after = changes.delete_bypass_rule(snapshot, rule)
    else:
        after = changes.put_bypass_rule(snapshot, rule, entries or ())
    old = None
    if rule.pk is not None:
        old = _old_rule(snapshot, BypassRule, rule)
    concerns = {}
    for server_id in servers_of_policy(snapshot, rule.policy_id):
        concern = bypass_concern(snapshot, rule)
        if old is not None:
            concern = concern | bypass_concern(snapshot, old)
        if snapshot.servers[server_id].era == Era.XP:
            concern = EVERYTHING
        concerns[server_id] = concern
    return compare(snapshot, after, concerns=concerns)


def membership_impact(snapshot, change):
    """Impact of pretending an account joined or left a group, on every server."""
    account = snapshot.accounts[change.member_id]
    concerns = {server_id: EVERYTHING for server_id in snapshot.servers}
    key = "added" if change.add else "removed"
    if account.is_computer:
        return _machine_membership_impact(snapshot, account, change, concerns, key)
    overrides = {f"user_groups_{key}": (change.group_id,)}
    return compare(
        snapshot,
        snapshot,
        concerns=concerns,
        user_id=account.pk,
        user_overrides=overrides,
    )


def _machine_membership_impact(snapshot, account, change, concerns, key):
    impact = Impact()
    for server_id, concern in concerns.items():
        info = snapshot.servers[server_id]
        for label, service in _probes(snapshot, snapshot, info, info, concern):
            impact.examined.append(f"{info.server.name} {label}")
            for user in _involved_users(snapshot, (info,), service):
                base = Query(
                    server_id=server_id,
                    service=service,
                    client_id=account.pk,
                    user_id=user,
                )
                old = evaluate(snapshot, base).verdict
                new = evaluate(
                    snapshot,
                    base.with_changes(**{f"client_groups_{key}": (change.group_id,)}),
                ).verdict
                if old == new:
                    continue
                item = AccessChange(
                    account.label,
                    account.pk,
                    snapshot.accounts[user].label if user else "",
                    user,
                    info.server.name,
                    server_id,
                    label,
                    old,
                    new,
                )
                if new == Verdict.ALLOWED:
                    impact.gained.append(item)
                elif old == Verdict.ALLOWED and new == Verdict.DENIED:
                    impact.lost.append(item)
                else:
                    impact.uncertain.append(item)
    return impact
