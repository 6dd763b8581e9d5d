"""Run the ladder for one query and turn the rungs into a verdict.

Each rung says what it may do to the traffic (``Rung.effects``): continue,
allow, deny, or, when the console cannot tell, several of these. The ladder
stops at the first rung that cannot continue. The network verdict is every
effect the visited rungs could have had; the user layer then applies to the
traffic the network lets through. One possible outcome gives ``allowed`` or
``denied``; more than one gives ``indeterminate``, naming what is unknown.
"""

from django.utils import timezone

from policies.evaluator import access, advanced, xp
from policies.evaluator.context import Context
from policies.evaluator.ipsec import ipsec_rung
from policies.evaluator.membership import Subject
from policies.evaluator.verdict import (
    Effect,
    Evaluation,
    Facts,
    Outcome,
    Rung,
    Verdict,
)
from policies.models import Era

LADDERS = {
    Era.XP: ((ipsec_rung, *xp.LADDER), xp.RUNG_TITLES),
    Era.ADVANCED: ((ipsec_rung, *advanced.LADDER), advanced.RUNG_TITLES),
}

# Keys of the rungs in ladder order (the IPsec rung first), for placeholders.
RUNG_KEYS = {
    Era.XP: ("ipsec", "state", "bypass", "shield", "exceptions", "default"),
    Era.ADVANCED: (
        "ipsec",
        "authorization",
        "state",
        "bypass",
        "block",
        "allow",
        "default",
    ),
}


def evaluate(snapshot, query, *, now=None, subject_class=Subject):
    """Evaluate a Query against a Snapshot and return an Evaluation."""
    now = now or snapshot.taken_at or timezone.now()
    ctx = Context(snapshot, query, now=now, subject_class=subject_class)
    era = Era(ctx.era)
    functions, titles = LADDERS[era]

    rungs = []
    network = set()
    decided = False
    for function in functions:
        rung = function(ctx)
        _tidy(rung)
        rungs.append(rung)
        network |= rung.effects - {Effect.CONTINUE}
        if Effect.CONTINUE not in rung.effects:
            decided = True
            break
    if not decided:
        raise RuntimeError(f"The {era} ladder ended without a deciding rung.")

    reached = {rung.key for rung in rungs}
    decider = rungs[-1]
    for key in RUNG_KEYS[era]:
        if key not in reached:
            rungs.append(_skipped(key, titles.get(key, key), decider))

    user = _user_layer(ctx, network)
    rungs.append(user)
    final = _combine(network, user)
    return _evaluation(ctx, rungs, final, network, user)


def _tidy(rung):
    rung.details = list(dict.fromkeys(rung.details))
    rung.unknowns = list(dict.fromkeys(rung.unknowns))
    seen = set()
    chains = []
    for chain in rung.chains:
        if chain.text not in seen:
            seen.add(chain.text)
            chains.append(chain)
    rung.chains = chains


def _skipped(key, title, decider):
    return Rung(
        key,
        title,
        Outcome.SKIPPED,
        f'Not reached: the ladder stopped at "{decider.title}".',
    )


def _user_layer(ctx, network):
    if Effect.ALLOW not in network:
        rung = Rung(access.KEY, access.TITLE, Outcome.SKIPPED)
        rung.summary = "Not reached: the network does not let the traffic through."
        return rung
    rung = access.user_rung(ctx)
    _tidy(rung)
    return rung


def _combine(network, user):
    final = set()
    for effect in network:
        if effect != Effect.ALLOW:
            final.add(Effect.DENY)
            continue
        for user_effect in user.effects:
            final.add(Effect.ALLOW if user_effect == Effect.CONTINUE else Effect.DENY)
    return final


def _verdict(final):
    if final == {Effect.ALLOW}:
        return Verdict.ALLOWED
    if final == {Effect.DENY}:
        return Verdict.DENIED
    return Verdict.INDETERMINATE


def _evaluation(ctx, rungs, final, network, user):
    verdict = _verdict(final)
    visited = [r for r in rungs if r.outcome != Outcome.SKIPPED]
    network_decider = next(r for r in reversed(visited) if r.key != access.KEY)
    deciding = []
    reasons = []
    if verdict == Verdict.ALLOWED:
        deciding = [network_decider.key]
        if user.outcome == Outcome.PASSED and user.objects:
            deciding.append(user.key)
        summary = network_decider.summary
        if user.key in deciding:
            summary += " " + user.summary
    elif verdict == Verdict.DENIED:
        decider = user if user.outcome == Outcome.DECIDED else network_decider
        deciding = [decider.key]
        summary = decider.summary
    else:
        for rung in visited:
            ambiguous = rung.outcome == Outcome.UNKNOWN or rung.is_conflict
            if ambiguous or rung is network_decider:
                deciding.append(rung.key)
            if ambiguous:
                named = [f"{rung.title}: {reason}" for reason in rung.unknowns]
                reasons += named or [f"{rung.title}: {rung.summary}"]
        summary = "The answer depends on what the console does not know: " + "; ".join(
            reasons or ["see the rungs"]
        )
    return Evaluation(
        verdict=verdict,
        summary=summary,
        rungs=rungs,
        deciding=deciding,
        reasons=reasons,
        warnings=_warnings(ctx),
        facts=_facts(ctx),
        query=_query_echo(ctx),
    )


def _warnings(ctx):
    warnings = list(ctx.warnings)
    client = ctx.client
    if client is not None:
        if not client.in_scope:
            warnings.append(
                f"{client.label} lies outside the source's sync scope; it is known "
                "only because a group lists it."
            )
        warnings += [str(item) for item in client.warnings]
        if ctx.client_era is None and ctx.user is not None:
            warnings.append(
                f"{client.label} has no recorded operatingSystem; it is taken as able "
                "to authenticate users (AuthIP)."
            )
    if ctx.user is not None and not ctx.user.in_scope:
        warnings.append(
            f"{ctx.user.label} lies outside the source's sync scope; it is known "
            "only because a group lists it."
        )
    if not ctx.addresses:
        warnings.append(
            "The client's address is unknown; scopes other than * cannot admit it."
        )
    return list(dict.fromkeys(warnings))


def _facts(ctx):
    facts = Facts(
        client=ctx.client_label,
        client_kind=(
            "directory computer"
            if ctx.client is not None
            else "machine of an unsynced domain"
            if ctx.external is not None
            else "unmanaged host"
        ),
        client_address=", ".join(ctx.addresses),
        address_source=ctx.address_source,
        client_os=ctx.client_os,
        client_era=str(ctx.client_era or "not recorded"),
        client_enabled=(
            None
            if ctx.client is None
            else ctx.client.enabled and not ctx.client.deleted
        ),
        user=ctx.user.label if ctx.user else "",
        server=ctx.server.name,
        server_era=str(ctx.era),
        profile=str(ctx.profile),
        service=str(ctx.service),
        ipsec=ctx.ipsec.label if ctx.ipsec else "",
        snapshot_taken_at=ctx.snapshot.taken_at.isoformat()
        if ctx.snapshot.taken_at
        else "",
        overrides=_overrides(ctx),
    )
    for source in ctx.snapshot.sources.values():
        facts.membership_synced_at[source.name] = (
            source.last_success_at.isoformat() if source.last_success_at else None
        )
        age = source.age_hours(ctx.now)
        facts.data_age_hours[source.name] = None if age is None else round(age, 2)
    return facts


def _overrides(ctx):
    query = ctx.query
    accounts = ctx.snapshot.accounts
    notes = []
    for pk in query.client_groups_added:
        notes.append(f"client pretended in {accounts[pk].label}")
    for pk in query.client_groups_removed:
        notes.append(f"client pretended not in {accounts[pk].label}")
    for pk in query.user_groups_added:
        notes.append(f"user pretended in {accounts[pk].label}")
    for pk in query.user_groups_removed:
        notes.append(f"user pretended not in {accounts[pk].label}")
    if query.assume_ipsec is not None:
        notes.append(
            "IPsec assumed "
            + ("negotiated" if query.assume_ipsec else "not negotiated")
        )
    if query.other_client_era:
        notes.append("client OS pretended of the other era")
    return notes


def _query_echo(ctx):
    query = ctx.query
    accounts = ctx.snapshot.accounts
    return {
        "client": ctx.client_label,
        "ip": query.client_address or "",
        "user": ctx.user.label if ctx.user else "",
        "server": ctx.server.name,
        "service": str(query.service),
        "as_member": [accounts[pk].label for pk in query.client_groups_added],
        "not_member": [accounts[pk].label for pk in query.client_groups_removed],
        "user_as_member": [accounts[pk].label for pk in query.user_groups_added],
        "user_not_member": [accounts[pk].label for pk in query.user_groups_removed],
        "assume_ipsec": query.assume_ipsec,
        "other_client_era": query.other_client_era,
    }
