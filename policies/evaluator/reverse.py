"""Reverse queries: who can reach a server on a service, and what a machine can reach.

"Who can reach" would cost one evaluation per machine. Machines that agree on
every input the ladder reads (account state, era, source, the answer of each
principal list the server consults, the answer of each scope) get the same
verdict, so the evaluator runs once per such class; the inputs of each
machine come from transitive member sets computed once per listed group.
The single-query evaluator itself decides each class, so both answer alike
(a test checks it on every pair of a generated directory).

"What can M reach" splits each server's ports into ranges on which nothing
the ladder reads changes, and evaluates one port per range.
"""

import time
from collections import defaultdict
from dataclasses import dataclass, field

from policies.effective import PREDEFINED_GROUP_SERVICES
from policies.evaluator.advanced import bypass_covers
from policies.evaluator.context import Context, decide_addresses, os_era
from policies.evaluator.engine import evaluate
from policies.evaluator.matching import RPC_DYNAMIC_RANGES, SMB_PORT, opens
from policies.evaluator.query import Query
from policies.evaluator.verdict import Verdict
from policies.models import BypassEntry, Era
from policies.ports import PORT_MAX, PORT_MIN, Service

# A documentation address (RFC 5737) for contexts that have no real client.
PROBE_ADDRESS = "192.0.2.1"


class EntryOracle:
    """Answers, for many accounts, what Subject.match answers for one entry.

    Everything that does not depend on the account (the entry's targets,
    their transitive members, what makes their membership uncertain, how
    fresh their sources are) is worked out once; per account only set and
    string tests remain. ``result`` returns Subject.match's result, or the
    pk of the group (or "self") the account was found through, so that
    accounts found through different groups are kept apart.
    """

    def __init__(self, snapshot, entry, now, members):
        self.sid = entry.sid
        targets = snapshot.live_by_sid(entry.sid)
        self.groups = [
            (target.pk, members(target.pk), _stale(snapshot, target.source_id, now))
            for target in targets
            if target.is_group
        ]
        self.all_stale = any(
            _stale(snapshot, target.source_id, now) for target in targets
        )
        self.always_unknown = not targets
        self.foreign = []
        for target in targets:
            if not target.is_group:
                continue
            for uncertainty in snapshot.graph.uncertainties(target.pk):
                kind, _, value = uncertainty.reason.partition(":")
                if kind == "foreign":
                    self.foreign.append(value)
                else:
                    self.always_unknown = True

    def result(self, account, account_stale):
        if account.sid and account.sid == self.sid:
            return None if account_stale else "self"
        for group_id, members, group_stale in self.groups:
            if account.pk in members:
                return None if account_stale or group_stale else group_id
        unknown = self.always_unknown or any(
            _could_be_foreign(account, sid) for sid in self.foreign
        )
        if unknown or account_stale or self.all_stale:
            return None
        return False


def _could_be_foreign(account, sid):
    domain = account.domain_sid
    return not domain or sid.startswith(domain + "-")


def _stale(snapshot, source_id, now):
    return snapshot.sources[source_id].is_stale(now)


@dataclass
class ReachRow:
    """One machine's answer in a reverse query."""

    account: object
    verdict: Verdict
    path: str
    reasons: tuple = ()


@dataclass
class ReachReport:
    """Every machine's verdict for one server and service, grouped by path."""

    server: object
    service: Service
    rows: list
    classes: int
    seconds: float
    by_path: dict = field(default_factory=dict)

    def counts(self):
        found = defaultdict(int)
        for row in self.rows:
            found[str(row.verdict)] += 1
        return dict(found)

    def group(self):
        groups = defaultdict(list)
        for row in self.rows:
            if row.verdict == Verdict.ALLOWED:
                groups[row.path].append(row)
            elif row.verdict == Verdict.INDETERMINATE:
                groups["Indeterminate"].append(row)
        self.by_path = dict(sorted(groups.items()))
        return self.by_path


def _consulted_entries(ctx):
    """Every machine-side principal entry the ladder may consult for the service."""
    config = ctx.config
    entries = []
    if ctx.era == Era.XP:
        for item in config.bypass().value:
            entries += item.entries_for(BypassEntry.Role.MACHINE)
            entries += item.entries_for(BypassEntry.Role.MACHINE, deny=True)
    else:
        for item in config.bypass_rules:
            if bypass_covers(ctx, item.rule)[0] is False:
                continue
            entries += item.settings.entries_for(BypassEntry.Role.MACHINE)
            entries += item.settings.entries_for(BypassEntry.Role.MACHINE, deny=True)
        entries += list(config.authorization("machine").value)
    for ipsec in ctx.server_info.ipsec:
        entries += list(ipsec.clients)
    return entries


def _consulted_scopes(ctx):
    """The scopes the ladder may test the client's address against, for the service.

    Rules that cannot cover the service are left out (on XP, rules opening
    TCP 445 stay in for ICMP echo, which they admit too).
    """
    config = ctx.config
    if ctx.era == Era.XP:
        rules = [rule for rule, _ in config.exception_rules(ctx.profile)]
    else:
        rules = [item.rule for item in config.rules]
    smb = ctx.with_service_port("tcp", SMB_PORT) if ctx.service.is_icmp else None
    scopes = {}
    for rule in rules:
        covered = opens(ctx, rule)[0] is not False
        if smb is not None and ctx.era == Era.XP:
            covered = covered or opens(smb, rule)[0] is not False
        if not covered:
            continue
        scope, _ = ctx.snapshot.scope(rule.scope, ctx.era)
        if scope is not None:
            scopes[scope.canonical()] = scope
    for ipsec in ctx.server_info.ipsec:
        if ipsec.scope is not None:
            scopes[ipsec.scope.canonical()] = ipsec.scope
    return list(scopes.values())


def _machine_key(info, account, oracles, scopes, stale_sources):
    """The inputs of the ladder that differ between machines."""
    account_stale = account.source_id in stale_sources
    memberships = tuple(oracle.result(account, account_stale) for oracle in oracles)
    addresses = account.addresses
    scope_results = tuple(
        decide_addresses(scope, addresses, info.interfaces) for scope in scopes
    )
    # A machine listed by its own SID is named in its path, and one with
    # several addresses in the reasons: such machines get answers of their own.
    own = account.pk if "self" in memberships or len(addresses) > 1 else None
    return (
        account.kind,
        account.enabled,
        account.deleted,
        os_era(account.operating_system),
        account.source_id,
        memberships,
        scope_results,
        own,
    )


def who_can_reach(
    snapshot,
    server_id,
    service,
    *,
    user_id=None,
    assume_ipsec=None,
    user_groups_added=(),
    user_groups_removed=(),
    now=None,
):
    """Evaluate every live directory computer against one server and service."""
    started = time.perf_counter()
    now = now or snapshot.taken_at
    info = snapshot.servers[server_id]
    # A context for the server and service alone: which rules and entries
    # the ladder can consult does not depend on the client.
    probe = Context(
        snapshot,
        Query(server_id=server_id, service=service, client_address=PROBE_ADDRESS),
        now=now,
    )
    scopes = _consulted_scopes(probe)
    member_sets = {}

    def members(group_id):
        if group_id not in member_sets:
            member_sets[group_id] = frozenset(snapshot.graph.member_ids(group_id))
        return member_sets[group_id]

    oracles = [
        EntryOracle(snapshot, entry, now, members)
        for entry in _consulted_entries(probe)
    ]
    stale_sources = {
        pk for pk, source in snapshot.sources.items() if source.is_stale(now)
    }
    classes = {}
    rows = []
    for account in snapshot.computers():
        key = _machine_key(info, account, oracles, scopes, stale_sources)
        answer = classes.get(key)
        if answer is None:
            query = Query(
                server_id=server_id,
                service=service,
                client_id=account.pk,
                user_id=user_id,
                assume_ipsec=assume_ipsec,
                user_groups_added=tuple(user_groups_added),
                user_groups_removed=tuple(user_groups_removed),
            )
            evaluation = evaluate(snapshot, query, now=now)
            answer = (evaluation.verdict, evaluation.path, tuple(evaluation.reasons))
            classes[key] = answer
        rows.append(ReachRow(account, *answer))
    rows.sort(key=lambda row: row.account.label.casefold())
    report = ReachReport(
        server=info.server,
        service=service,
        rows=rows,
        classes=len(classes),
        seconds=time.perf_counter() - started,
    )
    report.group()
    return report


def port_boundaries(snapshot, info, protocol):
    """Port numbers at which something the ladder reads may change."""
    cuts = {PORT_MIN, PORT_MAX + 1}

    def add(ports):
        for start, end in ports.ranges:
            cuts.update((start, end + 1))

    config = info.config
    rules = [item.rule for item in config.rules]
    rules += [rule for rule, _ in config.exception_rules()]
    for rule in rules:
        if rule.ports.strip():
            ports, _ = snapshot.ports(rule.ports)
            if ports is not None:
                add(ports)
    bypass_rules = [item.rule for item in config.bypass_rules]
    if info.era == Era.XP:
        bypass_rules += [item.rule for item in config.bypass().value]
    for rule in bypass_rules:
        if rule.ports.strip():
            ports, _ = snapshot.ports(rule.ports)
            if ports is not None:
                add(ports)
    for group in PREDEFINED_GROUP_SERVICES.values():
        add(group.ports_for(protocol))
    for program in info.listening:
        if program.ports is not None:
            add(program.ports)
    for requirement in info.requirements:
        if requirement.ports is not None:
            add(requirement.ports)
    low, high = RPC_DYNAMIC_RANGES[Era(info.era)]
    cuts.update((low, high + 1))
    return sorted(cut for cut in cuts if PORT_MIN <= cut <= PORT_MAX + 1)


def port_segments(snapshot, info):
    """Return (protocol, start, end) ranges covering every TCP and UDP port."""
    segments = []
    for protocol in ("tcp", "udp"):
        cuts = port_boundaries(snapshot, info, protocol)
        segments += [
            (protocol, start, end - 1)
            for start, end in zip(cuts, cuts[1:], strict=False)
        ]
    return segments


def icmp_types(info):
    types = {8}
    types |= {
        rule.icmp_type
        for rule, _ in info.config.exception_rules()
        if rule.icmp_type is not None
    }
    types |= {
        item.rule.icmp_type
        for item in info.config.rules
        if item.rule.icmp_type is not None
    }
    return sorted(types)


@dataclass
class ReachableService:
    """A server and a range of ports (or an ICMP type) with its verdict."""

    server: object
    label: str
    service: Service
    verdict: Verdict
    path: str
    reasons: tuple = ()


def what_can_reach(
    snapshot,
    client_id=None,
    *,
    ip=None,
    user_id=None,
    assume_ipsec=None,
    external=None,
    now=None,
):
    """Every server and port range the client can (or may) reach."""
    now = now or snapshot.taken_at
    found = []
    for info in sorted(
        snapshot.servers.values(), key=lambda i: i.server.name.casefold()
    ):
        probes = []
        for protocol, start, end in port_segments(snapshot, info):
            label = (
                f"{protocol.upper()} {start}"
                if start == end
                else f"{protocol.upper()} {start}-{end}"
            )
            probes.append(
                (label, Service(kind=protocol, protocol=protocol, port=start))
            )
        probes += [(f"ICMP type {t}", Service.icmp(t)) for t in icmp_types(info)]
        for label, service in probes:
            query = Query(
                server_id=info.server.pk,
                service=service,
                client_id=client_id,
                external_client=external,
                client_address=ip,
                user_id=user_id,
                assume_ipsec=assume_ipsec,
            )
            evaluation = evaluate(snapshot, query, now=now)
            if evaluation.verdict != Verdict.DENIED:
                found.append(
                    ReachableService(
                        info.server,
                        label,
                        service,
                        evaluation.verdict,
                        evaluation.path,
                        tuple(evaluation.reasons),
                    )
                )
    return found
