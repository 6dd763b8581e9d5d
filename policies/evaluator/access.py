"""The user layer: share, NTFS or database permissions on the server.

A server (or one of its services) may require the user to be an enabled
member, directly or nested, of one of given groups. Reachable means the
network allows the traffic and the user is authorized.
"""

from policies.evaluator.bypass import note_membership
from policies.evaluator.logic import and3
from policies.evaluator.snapshot import safe_url
from policies.evaluator.verdict import Effect, ObjectRef, Outcome, Rung

KEY = "user"
TITLE = "User access"


def applicable_requirements(server_info, service):
    """The access requirements of a server that guard a service."""
    found = []
    for info in server_info.requirements:
        if info.ports is None and not info.protocol:
            found.append(info)
        elif service.is_port and info.protocol == service.protocol:
            if info.ports is not None and info.ports.contains(service.port):
                found.append(info)
    return found


def _ref(ctx, info):
    return ObjectRef(
        "requirement",
        info.requirement.name,
        safe_url("policies:server_detail", ctx.server.pk),
        "groups: " + ", ".join(group.name or group.sid for group in info.groups),
    )


def user_rung(ctx):
    rung = Rung(KEY, TITLE)
    requirements = applicable_requirements(ctx.server_info, ctx.service)
    if not requirements:
        rung.outcome = Outcome.PASSED
        rung.summary = (
            f"No access requirement guards {ctx.service.label} on {ctx.server.name}."
        )
        return rung
    rung.objects = [_ref(ctx, info) for info in requirements]
    names = ", ".join(info.requirement.name for info in requirements)

    if ctx.user is None:
        rung.outcome = Outcome.UNKNOWN
        rung.effects = frozenset({Effect.CONTINUE, Effect.DENY})
        rung.unknowns.append(f"no user given; {names} requires one")
        rung.summary = (
            f"{ctx.server.name} requires the user to be in a group ({names}); "
            "no user was given."
        )
        return rung
    if not ctx.user.enabled or ctx.user.deleted:
        rung.outcome = Outcome.DECIDED
        rung.effects = frozenset({Effect.DENY})
        rung.decided_by = ctx.account_ref(ctx.user)
        rung.summary = (
            f"User {ctx.user.label} is disabled or deleted and cannot sign in."
        )
        return rung

    results = []
    failing = None
    for info in requirements:
        result, allowed, denied = ctx.user_subject.authorized(info.groups, ())
        note_membership(
            ctx, rung, ctx.user_subject, allowed, denied, f"user {ctx.user.label}"
        )
        results.append(result)
        if result is False and failing is None:
            failing = info
    verdict = and3(*results)
    if verdict:
        rung.outcome = Outcome.PASSED
        rung.summary = f"User {ctx.user.label} is authorized by {names}."
        return rung
    if verdict is False:
        rung.outcome = Outcome.DECIDED
        rung.effects = frozenset({Effect.DENY})
        rung.decided_by = _ref(ctx, failing)
        rung.summary = (
            f"User {ctx.user.label} is in none of the groups "
            f"{failing.requirement.name} requires: the user layer refuses the access."
        )
        return rung
    rung.outcome = Outcome.UNKNOWN
    rung.effects = frozenset({Effect.CONTINUE, Effect.DENY})
    rung.summary = f"Whether user {ctx.user.label} is authorized is unknown."
    return rung
