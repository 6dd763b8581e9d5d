"""The IPsec rung, first on both ladders: IPsec sits below the firewall.

It finds the IPsec policy (connection security rule) covering client and
server, notes whether IPsec is negotiated and how peers authenticate, and
drops traffic the server requires IPsec for when the client cannot negotiate
it. A query may instead assume IPsec was or was not negotiated.
"""

from dataclasses import dataclass

from policies.evaluator.logic import and3, not3, or3
from policies.evaluator.snapshot import safe_url
from policies.evaluator.verdict import CONTINUE_ONLY, Effect, ObjectRef, Outcome, Rung
from policies.models import IPsecPolicy

KERBEROS = IPsecPolicy.Authentication.KERBEROS

KEY = "ipsec"
TITLE = "IPsec"


@dataclass(frozen=True)
class IPsecState:
    """What the IPsec layer established for this client and server."""

    negotiated: bool | None
    authentication: str = ""
    protection: str = ""
    user_authenticated: bool | None = False
    policy: object = None
    assumed: bool = False

    @property
    def label(self):
        if self.negotiated is False:
            return "not negotiated (clear traffic)"
        if self.negotiated is None:
            return "unknown"
        auth = IPsecPolicy.Authentication(self.authentication).label
        protection = IPsecPolicy.Protection(self.protection).label
        how = "assumed by the query" if self.assumed else f"policy {self.policy}"
        return f"negotiated: {auth}, {protection} ({how})"


def _ref(info):
    policy = info.policy
    return ObjectRef(
        "ipsec",
        policy.name,
        safe_url("policies:ipsecpolicy_detail", policy.pk),
        f"{policy.get_authentication_display()}, {policy.get_protection_display()}, "
        f"server mode {policy.get_server_mode_display()}",
    )


def _coverage(ctx, info):
    """Return (applies, holds, reasons) for one IPsec policy.

    ``applies``: the server's filter catches this client's traffic;
    ``holds``: the client holds the policy and can authenticate with it.
    """
    reasons = []
    if info.scope_error:
        applies = None
        reasons.append(
            f"client addresses of {info.policy} cannot be read: {info.scope_error}"
        )
    elif info.scope is None:
        applies = True
    else:
        match = ctx.scope_match(info.scope)
        applies = match.result
        if applies is None:
            reasons.append(match.reason)

    if info.clients:
        listed = ctx.client_subject.match_list(info.clients)
        holds = listed.result
        reasons += listed.unknowns
    else:
        holds = applies

    if info.policy.authentication == KERBEROS:
        can = ctx.client_can_authenticate
        if can is None:
            reasons.append(
                f"{ctx.client_label} is of a domain the console does not sync"
            )
        holds = and3(holds, can)
    return applies, holds, reasons


def ipsec_rung(ctx):
    """Evaluate the IPsec layer; sets ``ctx.ipsec``."""
    rung = Rung(KEY, TITLE)
    infos = ctx.server_info.ipsec
    requiring = [
        info for info in infos if info.policy.server_mode == IPsecPolicy.Mode.REQUIRE
    ]

    if ctx.query.assume_ipsec is not None:
        return _assumed(ctx, rung, requiring)

    negotiated = False
    chosen = None
    unknowns = []
    coverage = {}
    for info in infos:
        applies, holds, reasons = _coverage(ctx, info)
        coverage[info.policy.pk] = (applies, holds)
        both = and3(applies, holds)
        if both and chosen is None:
            chosen = info
        if both is None:
            unknowns += reasons
        negotiated = or3(negotiated, both)

    if chosen is not None:
        negotiated = True
        policy = chosen.policy
        user_auth = policy.user_authentication and ctx.user is not None
        ctx.ipsec = IPsecState(
            True,
            policy.authentication,
            policy.protection,
            user_auth and ctx.client_can_authenticate_user,
            policy,
        )
        rung.outcome = Outcome.PASSED
        rung.decided_by = _ref(chosen)
        rung.summary = f"IPsec is negotiated with {ctx.server.name}: {ctx.ipsec.label}."
        rung.details.append(
            "IPsec runs below the firewall, so it applies even when the firewall "
            "is off."
        )
        return rung

    ctx.ipsec = IPsecState(negotiated, user_authenticated=False)
    drop = False
    dropping = None
    for info in requiring:
        applies, holds = coverage[info.policy.pk]
        this_drop = and3(applies, not3(holds))
        if this_drop and dropping is None:
            dropping = info
        drop = or3(drop, this_drop)

    if drop:
        rung.outcome = Outcome.DECIDED
        rung.effects = frozenset({Effect.DENY})
        rung.decided_by = _ref(dropping)
        rung.summary = (
            f"{ctx.server.name} requires IPsec ({dropping.policy}) and "
            f"{ctx.client_label} {_why_not_held(ctx, dropping)}: the traffic is "
            "dropped."
        )
        return rung
    if drop is None:
        rung.outcome = Outcome.UNKNOWN
        rung.effects = frozenset({Effect.DENY, Effect.CONTINUE})
        rung.unknowns = unknowns or [
            "whether the client holds the required IPsec policy"
        ]
        rung.summary = (
            f"{ctx.server.name} requires IPsec for some clients; whether "
            f"{ctx.client_label} negotiates it is unknown."
        )
        return rung

    rung.outcome = Outcome.PASSED
    rung.effects = CONTINUE_ONLY
    if negotiated is None:
        rung.outcome = Outcome.UNKNOWN
        rung.unknowns = unknowns
        rung.summary = (
            "Whether IPsec is negotiated is unknown; the server does not require it."
        )
    elif infos:
        rung.summary = (
            f"No IPsec policy of {ctx.server.name} is negotiated with "
            f"{ctx.client_label}; the server only requests IPsec, so traffic "
            "arrives in the clear."
        )
        rung.objects = [_ref(info) for info in infos]
    else:
        rung.summary = (
            f"No IPsec policy covers {ctx.server.name}; traffic arrives in the clear."
        )
    return rung


def _why_not_held(ctx, info):
    if info.policy.authentication == KERBEROS and ctx.client_can_authenticate is False:
        if ctx.client is None:
            return "has no computer account to authenticate with Kerberos"
        if ctx.client.deleted:
            return "has a deleted computer account and cannot authenticate"
        if not ctx.client.enabled:
            return "has a disabled computer account and cannot get Kerberos tickets"
    return "holds no matching IPsec policy"


def _assumed(ctx, rung, requiring):
    assumed = ctx.query.assume_ipsec
    if assumed:
        user_auth = ctx.user is not None and ctx.client_can_authenticate_user
        ctx.ipsec = IPsecState(
            True,
            KERBEROS,
            IPsecPolicy.Protection.ESP,
            user_auth,
            assumed=True,
        )
        rung.outcome = Outcome.PASSED
        rung.summary = (
            "The query assumes IPsec was negotiated (Kerberos, ESP"
            + (", with AuthIP user authentication" if user_auth else "")
            + ")."
        )
        return rung

    ctx.ipsec = IPsecState(False, assumed=True)
    applies = False
    for info in requiring:
        if info.scope is None and not info.scope_error:
            this = True
        elif info.scope is None:
            this = None
        else:
            this = ctx.scope_match(info.scope).result
        if this:
            rung.outcome = Outcome.DECIDED
            rung.effects = frozenset({Effect.DENY})
            rung.decided_by = _ref(info)
            rung.summary = (
                f"The query assumes no IPsec, but {ctx.server.name} requires it "
                f"({info.policy}): the traffic is dropped."
            )
            return rung
        applies = or3(applies, this)
    if applies is None:
        rung.outcome = Outcome.UNKNOWN
        rung.effects = frozenset({Effect.DENY, Effect.CONTINUE})
        rung.unknowns = [
            "whether the server's require-mode IPsec policy covers the client"
        ]
        rung.summary = (
            "The query assumes no IPsec; whether the server requires it here is "
            "unknown."
        )
        return rung
    rung.outcome = Outcome.PASSED
    rung.summary = (
        "The query assumes IPsec was not negotiated: traffic arrives in the clear."
    )
    return rung
