"""What an evaluation answers: the verdict, the ordered rungs, and the facts used.

A verdict is ``allowed``, ``denied`` or ``indeterminate``. Each rung of the
ladder records its outcome, the object that decided it, the membership chains
of any group hit, and what the console did not know. Everything converts to
plain data (``as_dict``) for the API, the command line and the page.
"""

from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    INDETERMINATE = "indeterminate"


class Outcome(StrEnum):
    """How a rung of the ladder went.

    passed: the traffic got through this rung to the next; failed: the rung's
    condition did not hold (e.g. the bypass did not apply) and the ladder went
    on; decided: this rung settled the verdict; unknown: the console cannot
    tell whether the rung decides; skipped: not looked at.
    """

    PASSED = "passed"
    FAILED = "failed"
    DECIDED = "decided"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


class Effect(StrEnum):
    """What a rung may do to the traffic: let the ladder go on, allow, deny."""

    CONTINUE = "continue"
    ALLOW = "allow"
    DENY = "deny"


CONTINUE_ONLY = frozenset({Effect.CONTINUE})


@dataclass(frozen=True)
class ObjectRef:
    """An object a rung names: a rule, a bypass entry, a group, a policy."""

    kind: str
    label: str
    url: str = ""
    detail: str = ""

    def as_dict(self):
        return {
            "kind": self.kind,
            "label": self.label,
            "url": self.url,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ChainStep:
    """One object on a membership chain and how it joined the next one."""

    label: str
    kind: str
    url: str = ""
    via: str = ""

    @property
    def is_primary(self):
        return self.via == "primary"

    def as_dict(self):
        return {
            "label": self.label,
            "kind": self.kind,
            "url": self.url,
            "via": self.via,
            "primary_group": self.is_primary,
        }


@dataclass(frozen=True)
class MembershipChain:
    """How an account reaches a listed principal: account, groups, listed group.

    ``steps[i].via`` says how ``steps[i]`` joined ``steps[i + 1]``
    (``member`` or ``primary``, the latter for a primaryGroupID link).
    """

    steps: tuple[ChainStep, ...]
    listed_as: str = ""

    @property
    def text(self):
        parts = [self.steps[0].label]
        for previous, step in zip(self.steps, self.steps[1:], strict=False):
            arrow = " →(primary group) " if previous.is_primary else " → "
            parts.append(arrow + step.label)
        return "".join(parts)

    def as_dict(self):
        return {
            "text": self.text,
            "listed_as": self.listed_as,
            "steps": [step.as_dict() for step in self.steps],
        }


@dataclass
class Rung:
    """One step of the ladder as evaluated for this query."""

    key: str
    title: str
    outcome: Outcome = Outcome.SKIPPED
    summary: str = ""
    effects: frozenset = CONTINUE_ONLY
    decided_by: ObjectRef | None = None
    objects: list = field(default_factory=list)
    chains: list = field(default_factory=list)
    details: list = field(default_factory=list)
    unknowns: list = field(default_factory=list)

    @property
    def is_conflict(self):
        return {Effect.ALLOW, Effect.DENY} <= self.effects

    def as_dict(self):
        return {
            "key": self.key,
            "title": self.title,
            "outcome": str(self.outcome),
            "summary": self.summary,
            "effects": sorted(str(effect) for effect in self.effects),
            "decided_by": self.decided_by.as_dict() if self.decided_by else None,
            "objects": [item.as_dict() for item in self.objects],
            "chains": [chain.as_dict() for chain in self.chains],
            "details": list(self.details),
            "unknowns": list(self.unknowns),
        }


@dataclass
class Facts:
    """The facts an evaluation used, shown beside the verdict."""

    client: str = ""
    client_kind: str = ""
    client_address: str = ""
    address_source: str = ""
    client_os: str = ""
    client_era: str = ""
    client_enabled: bool | None = None
    user: str = ""
    server: str = ""
    server_era: str = ""
    profile: str = ""
    service: str = ""
    ipsec: str = ""
    membership_synced_at: dict = field(default_factory=dict)
    data_age_hours: dict = field(default_factory=dict)
    snapshot_taken_at: str = ""
    overrides: list = field(default_factory=list)

    def as_dict(self):
        return dict(self.__dict__)


@dataclass
class Evaluation:
    """The answer to one query: verdict, summary, rungs, facts and warnings."""

    verdict: Verdict
    summary: str
    rungs: list
    deciding: list
    reasons: list
    warnings: list
    facts: Facts
    query: dict

    @property
    def allowed(self):
        return self.verdict == Verdict.ALLOWED

    @property
    def path(self):
        """What admitted the client, for grouping reverse queries ('' if not).

        A bypass names the listed principal the client reached (the first
        machine chain's last step); other rungs name their deciding object.
        """
        if self.verdict != Verdict.ALLOWED:
            return ""
        for rung in self.rungs:
            if rung.key not in self.deciding or Effect.ALLOW not in rung.effects:
                continue
            label = rung.decided_by.label if rung.decided_by else ""
            if rung.key == "bypass" and rung.chains:
                return f"Bypass via {rung.chains[0].steps[-1].label} ({label})"
            return f"{rung.title}: {label}" if label else rung.title
        return ""

    def rung(self, key):
        return next(rung for rung in self.rungs if rung.key == key)

    def as_dict(self):
        return {
            "verdict": str(self.verdict),
            "summary": self.summary,
            "deciding_rungs": list(self.deciding),
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "rungs": [rung.as_dict() for rung in self.rungs],
            "facts": self.facts.as_dict(),
            "query": dict(self.query),
        }
