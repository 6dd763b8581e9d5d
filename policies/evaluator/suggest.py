"""On a denial: the smallest changes that would allow the access.

Candidates come from the objects the ladder consulted: groups listed on the
bypass and authorization lists (add the machine or the user), exceptions and
rules that cover the service but not the client (widen the scope), disabled
rules (enable), masking disabled entries and block rules (remove), the
firewall state (turn exceptions back on), a group the client is in (list it),
and a new exception for the client alone. Each candidate is applied to a copy
of the snapshot and kept only if the verdict becomes ``allowed``; if no single
change does it, pairs are tried. They are ordered by the number of objects
changed, then by how many other machines or users they would also open to.
"""

import copy
from dataclasses import dataclass, field

from policies.effective import PORT_EXCEPTIONS
from policies.evaluator import changes
from policies.evaluator.access import applicable_requirements
from policies.evaluator.context import Context
from policies.evaluator.engine import evaluate
from policies.evaluator.matching import opens
from policies.evaluator.reverse import who_can_reach
from policies.evaluator.verdict import Verdict
from policies.models import BypassEntry, Era, FirewallRule, FirewallState
from policies.scopes import ScopeError, parse_scope


@dataclass
class Candidate:
    """One proposed change: how to describe it, and how to apply it."""

    title: str
    steps: tuple
    objects: int = 1
    snapshot_change: object = None
    added_groups: tuple = ()
    added_user_groups: tuple = ()
    opens_others: bool = True

    def apply(self, snapshot, query):
        if self.snapshot_change is not None:
            snapshot = self.snapshot_change(snapshot)
        query = query.with_changes(
            client_groups_added=(*query.client_groups_added, *self.added_groups),
            user_groups_added=(*query.user_groups_added, *self.added_user_groups),
        )
        return snapshot, query

    def combine(self, other):
        def both(snapshot):
            for candidate in (self, other):
                if candidate.snapshot_change is not None:
                    snapshot = candidate.snapshot_change(snapshot)
            return snapshot

        has_change = self.snapshot_change or other.snapshot_change
        return Candidate(
            title=f"{self.title}, and {other.title[0].lower()}{other.title[1:]}",
            steps=self.steps + other.steps,
            objects=self.objects + other.objects,
            snapshot_change=both if has_change else None,
            added_groups=self.added_groups + other.added_groups,
            added_user_groups=self.added_user_groups + other.added_user_groups,
            opens_others=self.opens_others or other.opens_others,
        )


@dataclass
class Suggestion:
    """A change that turns the denial into an allow, with its side effects."""

    title: str
    steps: tuple
    objects: int
    others: int
    others_of: list = field(default_factory=list)

    def as_dict(self):
        return {
            "title": self.title,
            "steps": list(self.steps),
            "objects_changed": self.objects,
            "also_opens_to": self.others,
            "also_opens_to_examples": self.others_of[:10],
        }


def _group_candidates(ctx, entries, where, *, user=False):
    snapshot = ctx.snapshot
    subject = ctx.user_subject if user else ctx.client_subject
    account = ctx.user if user else ctx.client
    if account is None:
        return []
    found = []
    for entry in entries:
        for target in snapshot.live_by_sid(entry.sid):
            if not target.is_group or subject.chain_to(target.pk) is not None:
                continue
            who = f"user {account.label}" if user else account.label
            title = f"Add {who} to group {target.label} ({where})"
            step = {
                "kind": "add_member",
                "member_id": account.pk,
                "group_id": target.pk,
            }
            found.append(
                Candidate(
                    title,
                    (step,),
                    added_groups=() if user else (target.pk,),
                    added_user_groups=(target.pk,) if user else (),
                    opens_others=False,
                )
            )
    return found


def _membership_candidates(ctx):
    config = ctx.config
    machine, users = [], []
    if ctx.era == Era.XP:
        setting = config.bypass()
        for item in setting.value:
            if item.rule.enabled:
                machine += _group_candidates(
                    ctx,
                    item.entries_for(BypassEntry.Role.MACHINE),
                    f"bypass list of {setting.policy}",
                )
    else:
        for item in config.bypass_rules:
            if not item.rule.enabled:
                continue
            where = f"bypass rule {item.rule.name}"
            machine += _group_candidates(
                ctx, item.settings.entries_for(BypassEntry.Role.MACHINE), where
            )
            users += _group_candidates(
                ctx, item.settings.entries_for(BypassEntry.Role.USER), where, user=True
            )
        authorization = config.authorization("machine")
        allow = [e for e in authorization.value if not e.deny]
        machine += _group_candidates(
            ctx, allow, f"IPsec authorization list of {authorization.policy}"
        )
    for info in ctx.server_info.ipsec:
        machine += _group_candidates(
            ctx, info.clients, f"clients of IPsec policy {info.policy}"
        )
    for requirement in applicable_requirements(ctx.server_info, ctx.service):
        users += _group_candidates(
            ctx,
            requirement.groups,
            f"access requirement {requirement.requirement.name}",
            user=True,
        )
    return machine, users


def _rules_covering(ctx):
    """(rule, policy) of the server's exceptions or rules that cover the service."""
    config = ctx.config
    if ctx.era == Era.XP:
        for rule, policy in config.exception_rules(ctx.profile):
            if opens(ctx, rule)[0]:
                yield rule, policy
    else:
        for item in config.rules_for_profile(ctx.profile):
            if opens(ctx, item.rule)[0]:
                yield item.rule, item.policy


def _client_address(ctx):
    return ctx.addresses[0] if len(ctx.addresses) == 1 else None


def _rule_candidates(ctx):
    found = []
    address = _client_address(ctx)
    for rule, policy in _rules_covering(ctx):
        if rule.action == FirewallRule.Action.BLOCK:
            if rule.enabled:
                found.append(
                    _rule_change(
                        f"Remove block rule {rule.name} (policy {policy})",
                        rule,
                        delete=True,
                    )
                )
            continue
        if not rule.enabled:
            if ctx.era == Era.XP and rule.kind == FirewallRule.Kind.PORT:
                title = f"Remove the disabled port entry {rule.name} (policy {policy})"
                found.append(_rule_change(title, rule, delete=True))
            title = f"Enable {rule.name} (policy {policy})"
            found.append(_rule_change(title, rule, enabled=True))
            continue
        if address is not None:
            scope = _widened(rule.scope, address, ctx.era)
            if scope is not None:
                title = (
                    f"Widen the scope of {rule.name} (policy {policy}) "
                    f"to include {address}"
                )
                found.append(_rule_change(title, rule, scope=scope))
    return found


def _widened(text, address, era):
    try:
        scope = parse_scope(f"{text},{address}" if text.strip() != "*" else text, era)
    except ScopeError:
        return None
    return scope.canonical()


def _rule_change(title, rule, *, delete=False, **fields):
    changed = copy.copy(rule)
    for name, value in fields.items():
        setattr(changed, name, value)
    step = {"kind": "delete_rule" if delete else "change_rule", "rule_id": rule.pk}
    if fields:
        step["fields"] = fields

    def apply(snapshot):
        if delete:
            return changes.delete_firewall_rule(snapshot, rule)
        return changes.put_firewall_rule(snapshot, changed)

    return Candidate(title, (step,), snapshot_change=apply)


def _new_rule_candidate(ctx):
    address = _client_address(ctx)
    service = ctx.service
    if ctx.era == Era.XP:
        policy = ctx.config.exceptions(PORT_EXCEPTIONS, ctx.profile).policy
    else:
        policy = next((item.policy for item in ctx.config.rules), None)
    policy = policy or (ctx.config.policies[0] if ctx.config.policies else None)
    if policy is None or address is None:
        return []
    fields = {"name": f"What-if: {service} from {address}", "scope": address}
    if service.is_port:
        fields.update(
            kind=FirewallRule.Kind.PORT,
            protocol=service.protocol,
            ports=str(service.port),
        )
    elif service.is_icmp:
        fields.update(kind=FirewallRule.Kind.ICMP, icmp_type=service.icmp_type)
        if ctx.era == Era.XP:
            fields["scope"] = "*"
    else:
        fields.update(kind=FirewallRule.Kind.PROGRAM, program_path=service.program_path)
    rule = FirewallRule(policy_id=policy.pk, **fields)
    step = {"kind": "add_rule", "policy_id": policy.pk, "fields": fields}
    title = (
        f"Add an exception for {service.label} from {fields['scope']} "
        f"to policy {policy}"
    )
    return [
        Candidate(
            title, (step,), snapshot_change=lambda s: changes.put_firewall_rule(s, rule)
        )
    ]


def _state_candidates(ctx):
    setting = ctx.config.state(ctx.profile)
    if setting.value != FirewallState.SHIELDED or setting.policy is None:
        return []
    policy, profile = setting.policy, ctx.profile
    step = {
        "kind": "set_state",
        "policy_id": policy.pk,
        "profile": profile,
        "state": "on",
    }
    title = f"Allow exceptions again on the {profile} profile (policy {policy})"
    return [
        Candidate(
            title,
            (step,),
            snapshot_change=lambda s: changes.set_state(
                s, policy, profile, FirewallState.ON
            ),
        )
    ]


def _list_group_candidates(ctx):
    """List one of the client's own groups on the bypass list (opens its members)."""
    if ctx.client is None:
        return []
    config = ctx.config
    if ctx.era == Era.XP:
        rules = [item for item in config.bypass().value if item.rule.enabled]
    else:
        rules = [item.settings for item in config.bypass_rules if item.rule.enabled]
    groups = ctx.snapshot.graph.groups_of(ctx.client.pk)
    found = []
    for settings in rules[:1]:
        for group_id, chain in groups.items():
            if chain.depth != 1:
                continue
            group = ctx.snapshot.accounts[group_id]
            entry = BypassEntry(
                rule_id=settings.rule.pk, sid=group.sid, name=group.label
            )
            proposed = (*settings.entries, entry)
            step = {
                "kind": "add_bypass_entry",
                "rule_id": settings.rule.pk,
                "sid": group.sid,
                "name": group.label,
            }

            def apply(snapshot, rule=settings.rule, proposed=proposed):
                return changes.put_bypass_rule(snapshot, rule, proposed)

            title = f"List group {group.label} on bypass rule {settings.rule.name}"
            found.append(Candidate(title, (step,), snapshot_change=apply))
    return found


def _allows(snapshot, query, candidate):
    changed_snapshot, changed_query = candidate.apply(snapshot, query)
    return evaluate(changed_snapshot, changed_query).verdict == Verdict.ALLOWED


def _others(snapshot, query, candidate):
    """Machines other than the client that the change would also let in."""
    if not candidate.opens_others:
        return []
    changed_snapshot, _ = candidate.apply(snapshot, query)
    options = {"user_id": query.user_id, "assume_ipsec": query.assume_ipsec}
    before = who_can_reach(snapshot, query.server_id, query.service, **options)
    after = who_can_reach(changed_snapshot, query.server_id, query.service, **options)
    allowed_before = {
        row.account.pk for row in before.rows if row.verdict == Verdict.ALLOWED
    }
    return [
        row.account.label
        for row in after.rows
        if row.verdict == Verdict.ALLOWED
        and row.account.pk not in allowed_before
        and row.account.pk != query.client_id
    ]


def suggest(snapshot, query, *, limit=6):
    """Return Suggestions that would allow a query that is not allowed now."""
    if evaluate(snapshot, query).verdict == Verdict.ALLOWED:
        return []
    ctx = Context(snapshot, query, now=snapshot.taken_at)
    machine, users = _membership_candidates(ctx)
    network = (
        machine
        + _rule_candidates(ctx)
        + _state_candidates(ctx)
        + _list_group_candidates(ctx)
        + _new_rule_candidate(ctx)
    )
    working = [c for c in network + users if _allows(snapshot, query, c)]
    if not working:
        pairs = [a.combine(b) for a in network for b in users]
        pairs += [
            a.combine(b)
            for i, a in enumerate(network)
            for b in network[i + 1 :]
            if a.steps != b.steps
        ]
        working = [c for c in pairs[:200] if _allows(snapshot, query, c)]

    seen = set()
    suggestions = []
    for candidate in sorted(working, key=lambda c: c.objects):
        key = tuple(sorted(str(step) for step in candidate.steps))
        if key in seen:
            continue
        seen.add(key)
        others = _others(snapshot, query, candidate)
        suggestions.append(
            Suggestion(
                candidate.title, candidate.steps, candidate.objects, len(others), others
            )
        )
    suggestions.sort(key=lambda s: (s.objects, s.others))
    return suggestions[:limit]
