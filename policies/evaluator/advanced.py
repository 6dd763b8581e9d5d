"""The Vista / Server 2008 and later ladder (Windows Firewall with Advanced Security).

After the IPsec rung: the global IPsec authorization lists, the profile's
firewall state ("block all connections" ignores even bypass rules),
authenticated-bypass rules (allow + override block rules), block rules, allow
rules, and the profile's inbound default (block).
"""

from policies.evaluator.bypass import (
    machine_bypass_applies,
    note_membership,
    user_bypass_applies,
)
from policies.evaluator.logic import and3
from policies.evaluator.matching import admits
from policies.evaluator.verdict import Effect, Outcome, Rung
from policies.evaluator.xp import default_rung
from policies.models import (
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    FirewallRule,
    FirewallState,
    IPsecPolicy,
)

ALLOW = frozenset({Effect.ALLOW})
DENY = frozenset({Effect.DENY})


def _entries(entries, *, deny):
    return [entry for entry in entries if entry.deny == deny]


def authorization_rung(ctx):
    rung = Rung("authorization", "IPsec authorization lists")
    machines = ctx.config.authorization(AuthorizationEntry.ListKind.MACHINE)
    users = ctx.config.authorization(AuthorizationEntry.ListKind.USER)
    if machines.policy is None and users.policy is None:
        rung.outcome = Outcome.PASSED
        rung.summary = "No global IPsec authorization list restricts who may connect."
        return rung
    if ctx.ipsec.negotiated is False:
        rung.outcome = Outcome.PASSED
        rung.summary = (
            "The authorization lists apply to IPsec peers; none is negotiated."
        )
        return rung

    checks = []
    if machines.policy is not None:
        rung.decided_by = ctx.policy_ref(
            machines.policy, f"computer authorization list of {machines.policy}"
        )
        result, allowed, denied = ctx.client_subject.authorized(
            _entries(machines.value, deny=False), _entries(machines.value, deny=True)
        )
        note_membership(
            ctx, rung, ctx.client_subject, allowed, denied, ctx.client_label
        )
        checks.append(result)
    if users.policy is not None and ctx.ipsec.user_authenticated and ctx.user:
        result, allowed, denied = ctx.user_subject.authorized(
            _entries(users.value, deny=False), _entries(users.value, deny=True)
        )
        note_membership(
            ctx, rung, ctx.user_subject, allowed, denied, f"user {ctx.user.label}"
        )
        checks.append(result)
        rung.decided_by = rung.decided_by or ctx.policy_ref(users.policy)

    authorized = and3(*checks)
    refused = and3(ctx.ipsec.negotiated, None if authorized is None else not authorized)
    if refused:
        rung.outcome = Outcome.DECIDED
        rung.effects = DENY
        rung.summary = (
            f"{ctx.client_label} is not on {ctx.server.name}'s IPsec authorization "
            "list: the IPsec layer refuses it before any firewall rule."
        )
        return rung
    if refused is None:
        rung.outcome = Outcome.UNKNOWN
        rung.effects = frozenset({Effect.DENY, Effect.CONTINUE})
        rung.summary = (
            "Whether the IPsec authorization lists admit the client is unknown."
        )
        return rung
    rung.outcome = Outcome.PASSED
    rung.summary = "The IPsec authorization lists admit the client."
    return rung


def state_rung(ctx):
    rung = Rung("state", "Profile and firewall state")
    setting = ctx.config.state(ctx.profile)
    rung.decided_by = ctx.policy_ref(setting.policy, setting.source_label)
    state = FirewallState(setting.value)
    where = f"the {ctx.profile} profile of {ctx.server.name}"
    if state == FirewallState.OFF:
        rung.outcome = Outcome.DECIDED
        rung.effects = ALLOW
        rung.summary = f"The firewall is off for {where}: network traffic is allowed."
    elif state == FirewallState.SHIELDED:
        rung.outcome = Outcome.DECIDED
        rung.effects = DENY
        rung.summary = (
            f'"Block all connections" is on for {where}: inbound traffic is '
            "dropped, even traffic that an authenticated-bypass rule would allow."
        )
    else:
        rung.outcome = Outcome.PASSED
        rung.summary = f"The firewall is on for {where}."
    return rung


def bypass_covers(ctx, rule):
    """Whether a bypass rule's protocol and ports cover the service (3-valued)."""
    service = ctx.service
    if rule.protocol:
        if not service.is_port or service.protocol != rule.protocol:
            return False, f"{rule.name} is limited to {rule.protocol.upper()}"
    if rule.ports.strip():
        ports, error = ctx.snapshot.ports(rule.ports)
        if ports is None:
            return None, f"the ports of {rule.name} cannot be read: {error}"
        if not service.is_port or not ports.contains(service.port):
            return False, f"{rule.name} is limited to ports {ports}"
    return True, ""


def bypass_rules_rung(ctx):
    rung = Rung("bypass", "Authenticated-bypass rules (override block rules)")
    candidates = [item for item in ctx.config.bypass_rules if item.rule.enabled]
    if not candidates:
        rung.outcome = Outcome.FAILED
        rung.summary = f"{ctx.server.name} has no enabled authenticated-bypass rule."
        return rung

    unknown = []
    for item in candidates:
        covers, why = bypass_covers(ctx, item.rule)
        if covers is False:
            rung.details.append(f"{why}, not {ctx.service.label}.")
            continue
        applies = _rule_applies(ctx, rung, item)
        applies = and3(covers, applies)
        if applies:
            rung.outcome = Outcome.DECIDED
            rung.effects = ALLOW
            rung.decided_by = ctx.rule_ref(item.rule, item.policy, "bypass")
            rung.summary = (
                f"Bypass rule {item.rule.name} authorizes {ctx.client_label}"
                + (
                    f" and user {ctx.user.label}"
                    if ctx.user and item.settings.entries_for(BypassEntry.Role.USER)
                    else ""
                )
                + " over authenticated IPsec: it overrides block rules."
            )
            return rung
        if applies is None:
            unknown.append(item)

    if unknown:
        rung.outcome = Outcome.UNKNOWN
        rung.effects = frozenset({Effect.ALLOW, Effect.CONTINUE})
        rung.objects = [ctx.rule_ref(i.rule, i.policy, "bypass") for i in unknown]
        rung.summary = "Whether an authenticated-bypass rule applies is unknown."
        return rung
    rung.outcome = Outcome.FAILED
    reason = rung.details[-1] if rung.details else ""
    rung.summary = (
        f"No authenticated-bypass rule applies to {ctx.client_label}. {reason}".strip()
    )
    return rung


def _encryption_condition(ctx, rung, rule):
    """A rule requiring encryption needs ESP with encryption, not AH or ESP-null."""
    if rule.security != BypassRule.Security.AUTHENC or ctx.ipsec.negotiated is not True:
        return True
    if ctx.ipsec.protection == IPsecPolicy.Protection.ESP:
        return True
    rung.details.append(
        f"{rule.name} requires encryption; the IPsec protection is "
        f"{IPsecPolicy.Protection(ctx.ipsec.protection).label}."
    )
    return False


def _rule_applies(ctx, rung, item):
    settings = item.settings
    encrypted = _encryption_condition(ctx, rung, item.rule)
    machines = machine_bypass_applies(
        ctx,
        rung,
        settings.entries_for(BypassEntry.Role.MACHINE),
        settings.entries_for(BypassEntry.Role.MACHINE, deny=True),
        xp=False,
    )
    user_allow = settings.entries_for(BypassEntry.Role.USER)
    if not user_allow:
        return and3(encrypted, machines)
    users = user_bypass_applies(
        ctx, rung, user_allow, settings.entries_for(BypassEntry.Role.USER, deny=True)
    )
    return and3(encrypted, machines, users)


def _matching_rules(ctx, action):
    for item in ctx.config.rules_for_profile(ctx.profile):
        rule = item.rule
        if rule.enabled and rule.action == action:
            yield item, admits(ctx, rule)


def _rules_rung(ctx, rung, action, effect, verb):
    unknown = []
    for item, admission in _matching_rules(ctx, action):
        if admission.result:
            rung.outcome = Outcome.DECIDED
            rung.effects = frozenset({effect})
            rung.decided_by = ctx.rule_ref(item.rule, item.policy)
            rung.summary = f"{verb} rule {item.rule.name} matches: {admission.reason}."
            return rung
        if admission.result is None:
            unknown.append((item, admission))
        elif admission.opens:
            rung.details.append(
                f"{item.rule.name} does not match the client: {admission.reason}."
            )
    if unknown:
        rung.outcome = Outcome.UNKNOWN
        rung.effects = frozenset({effect, Effect.CONTINUE})
        rung.objects = [ctx.rule_ref(item.rule, item.policy) for item, _ in unknown]
        rung.unknowns = [admission.reason for _, admission in unknown]
        rung.summary = f"Whether a {verb.lower()} rule matches is unknown."
        return rung
    rung.outcome = Outcome.PASSED if effect == Effect.DENY else Outcome.FAILED
    rung.summary = (
        f"No enabled {verb.lower()} rule matches {ctx.service.label} "
        f"from {ctx.client_label}."
    )
    return rung


def block_rules_rung(ctx):
    rung = Rung("block", "Block rules")
    return _rules_rung(ctx, rung, FirewallRule.Action.BLOCK, Effect.DENY, "Block")


def allow_rules_rung(ctx):
    rung = Rung("allow", "Allow rules")
    return _rules_rung(ctx, rung, FirewallRule.Action.ALLOW, Effect.ALLOW, "Allow")


LADDER = (
    authorization_rung,
    state_rung,
    bypass_rules_rung,
    block_rules_rung,
    allow_rules_rung,
    default_rung,
)
RUNG_TITLES = {
    "authorization": "IPsec authorization lists",
    "state": "Profile and firewall state",
    "bypass": "Authenticated-bypass rules (override block rules)",
    "block": "Block rules",
    "allow": "Allow rules",
    "default": "Inbound default",
}
