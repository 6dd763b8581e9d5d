"""The XP SP2 / Server 2003 ladder (Windows Firewall with authenticated bypass).

After the IPsec rung: the profile's firewall state, the authenticated bypass
(machine identity only, every port), "don't allow exceptions", the exceptions
(port, program, predefined groups, ICMP; a disabled port entry beats enabled
ones; opening TCP 445 admits ICMP echo), and the inbound default (drop).
"""

from policies.effective import (
    ICMP_SETTINGS,
    PORT_EXCEPTIONS,
    PREDEFINED_GROUP_SERVICES,
    PROGRAM_EXCEPTIONS,
)
from policies.evaluator.bypass import machine_bypass_applies
from policies.evaluator.matching import SMB_PORT, admits, smb_admits
from policies.evaluator.verdict import Effect, Outcome, Rung
from policies.models import BypassEntry, FirewallState

ALLOW = frozenset({Effect.ALLOW})
DENY = frozenset({Effect.DENY})


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
        return rung
    rung.outcome = Outcome.PASSED
    rung.summary = f"The firewall is {state.label.lower()} for {where}."
    return rung


def shielded(ctx):
    return ctx.config.state(ctx.profile).value == FirewallState.SHIELDED


def bypass_rung(ctx):
    rung = Rung("bypass", "Authenticated IPsec bypass")
    setting = ctx.config.bypass()
    if setting.policy is None:
        rung.outcome = Outcome.FAILED
        rung.summary = f"{ctx.server.name} has no authenticated-bypass list."
        return rung

    rules = [item for item in setting.value if item.rule.enabled]
    allow = [e for item in rules for e in item.entries_for(BypassEntry.Role.MACHINE)]
    deny = [
        e
        for item in rules
        for e in item.entries_for(BypassEntry.Role.MACHINE, deny=True)
    ]
    rung.decided_by = ctx.policy_ref(setting.policy, f"bypass list of {setting.policy}")
    if not allow:
        rung.outcome = Outcome.FAILED
        rung.summary = f"The bypass list from {setting.policy} is disabled or empty."
        return rung

    applies = machine_bypass_applies(ctx, rung, allow, deny)
    if ctx.user is not None:
        rung.details.append(
            "The user plays no part at this layer: XP-era IPsec authenticates "
            "machines only."
        )

    if applies is True:
        if shielded(ctx):
            rung.outcome = Outcome.DECIDED
            rung.effects = frozenset({Effect.ALLOW, Effect.DENY})
            rung.summary = (
                f"{ctx.client_label} passes the authenticated bypass, but \"Don't "
                f"allow exceptions\" is on for the {ctx.profile} profile. Microsoft's "
                "texts conflict: the bypass help says it overrides settings that "
                'block, the "Don\'t allow exceptions" help says it overrides every '
                "setting that allows. The console cannot tell which wins."
            )
            rung.unknowns.append(
                'documented conflict: authenticated bypass vs "Don\'t allow exceptions"'
            )
            return rung
        rung.outcome = Outcome.DECIDED
        rung.effects = ALLOW
        rung.summary = (
            f"{ctx.client_label} is on the bypass list and its traffic is "
            "IPsec-authenticated with Kerberos: the firewall is bypassed for every "
            "port."
        )
        return rung
    if applies is None:
        rung.outcome = Outcome.UNKNOWN
        rung.effects = frozenset({Effect.ALLOW, Effect.CONTINUE})
        rung.summary = f"Whether the bypass applies to {ctx.client_label} is unknown."
        return rung
    rung.outcome = Outcome.FAILED
    rung.summary = rung.summary or f"The bypass does not apply to {ctx.client_label}."
    return rung


def shield_rung(ctx):
    rung = Rung("shield", "Don't allow exceptions")
    setting = ctx.config.state(ctx.profile)
    rung.decided_by = ctx.policy_ref(setting.policy, setting.source_label)
    if shielded(ctx):
        rung.outcome = Outcome.DECIDED
        rung.effects = DENY
        rung.summary = (
            f'"Don\'t allow exceptions" is on for the {ctx.profile} profile: '
            "unsolicited inbound traffic is dropped, whatever the exceptions say."
        )
        return rung
    rung.outcome = Outcome.PASSED
    rung.summary = "Exceptions are allowed."
    return rung


def _port_entries(ctx, rung=None):
    """Candidate admissions from the port exception list (disabled entry wins).

    A disabled entry covering the port closes it; ``rung`` (if given) notes it.
    """
    setting = ctx.config.exceptions(PORT_EXCEPTIONS, ctx.profile)
    matching = []
    for rule in setting.value:
        admission = admits(ctx, rule)
        if admission.opens is not False:
            matching.append((rule, admission))
    disabled = [
        rule for rule, admission in matching if not rule.enabled and admission.opens
    ]
    if disabled and rung is not None:
        rung.details.append(
            f"Port entry {disabled[0].name} for {ctx.service.label} is disabled, "
            "which closes the port whatever the enabled entries say."
        )
        rung.objects.append(ctx.rule_ref(disabled[0], setting.policy, "exception"))
    if disabled:
        return []
    return [
        (rule, admission, setting.policy)
        for rule, admission in matching
        if rule.enabled
    ]


def _other_settings(ctx):
    """Program exceptions, predefined groups and ICMP settings of the profile."""
    names = [PROGRAM_EXCEPTIONS, ICMP_SETTINGS] + [
        f"predefined:{group}" for group in PREDEFINED_GROUP_SERVICES
    ]
    for name in names:
        setting = ctx.config.exceptions(name, ctx.profile)
        for rule in setting.value:
            if rule.enabled:
                yield rule, setting.policy


def exceptions_rung(ctx):
    rung = Rung("exceptions", "Exceptions")
    candidates = _port_entries(ctx, rung) if ctx.service.is_port else []
    for rule, policy in _other_settings(ctx):
        candidates.append((rule, admits(ctx, rule), policy))
    if ctx.service.is_icmp:
        candidates += _smb_echo_candidates(ctx)

    unknown = []
    for rule, admission, policy in candidates:
        if admission.result:
            rung.outcome = Outcome.DECIDED
            rung.effects = ALLOW
            rung.decided_by = ctx.rule_ref(rule, policy, "exception")
            rung.summary = (
                f"Exception {rule.name} admits {ctx.client_label}: {admission.reason}."
            )
            return rung
        if admission.result is None:
            unknown.append((rule, admission, policy))
        elif admission.opens:
            rung.details.append(
                f"{rule.name} does not admit the client: {admission.reason}."
            )

    if unknown:
        rung.outcome = Outcome.UNKNOWN
        rung.effects = frozenset({Effect.ALLOW, Effect.CONTINUE})
        rung.objects += [
            ctx.rule_ref(rule, policy, "exception") for rule, _, policy in unknown
        ]
        rung.unknowns += [admission.reason for _, admission, _ in unknown]
        rung.summary = "Whether an exception admits the client is unknown."
        return rung
    rung.outcome = Outcome.FAILED
    rung.summary = (
        f"No enabled exception admits {ctx.client_label} to {ctx.service.label}."
    )
    return rung


def _smb_echo_candidates(ctx):
    """XP: whatever opens TCP 445 to the client also admits ICMP echo."""
    found = []
    smb_context = ctx.with_service_port("tcp", SMB_PORT)
    rules = [(rule, policy) for rule, _, policy in _port_entries(smb_context)]
    for name in [PROGRAM_EXCEPTIONS] + [
        f"predefined:{group}" for group in PREDEFINED_GROUP_SERVICES
    ]:
        setting = ctx.config.exceptions(name, ctx.profile)
        rules += [(rule, setting.policy) for rule in setting.value if rule.enabled]
    for rule, policy in rules:
        admission = smb_admits(ctx, rule)
        if admission.result is not False:
            found.append((rule, admission, policy))
    return found


def default_rung(ctx):
    rung = Rung("default", "Inbound default")
    rung.outcome = Outcome.DECIDED
    rung.effects = DENY
    rung.decided_by = ctx.server_ref()
    rung.summary = (
        f"Nothing lets unsolicited {ctx.service.label} traffic from "
        f"{ctx.client_label} in: the firewall drops it (inbound default)."
    )
    return rung


LADDER = (state_rung, bypass_rung, shield_rung, exceptions_rung, default_rung)
RUNG_TITLES = {
    "state": "Profile and firewall state",
    "bypass": "Authenticated IPsec bypass",
    "shield": "Don't allow exceptions",
    "exceptions": "Exceptions",
    "default": "Inbound default",
}
