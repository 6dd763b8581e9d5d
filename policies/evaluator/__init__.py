"""The what-if evaluator: can this machine, used by this user, reach that server?

A pure function of a snapshot of the directory and the policies
(``load_snapshot`` / ``current_snapshot``) and a ``Query`` (``build_query``
resolves typed names). ``evaluate`` returns an ``Evaluation``: the verdict,
the ordered rungs of the ladder of the server's era, and the facts used.
The ladders are described in DESIGN.md ("Evaluation ladder").
"""

from policies.evaluator.engine import evaluate
from policies.evaluator.query import Query, QueryError, build_query
from policies.evaluator.snapshot import (
    Snapshot,
    current_snapshot,
    forget_snapshot,
    load_snapshot,
)
from policies.evaluator.verdict import Evaluation, Outcome, Verdict

__all__ = [
    "Evaluation",
    "Outcome",
    "Query",
    "QueryError",
    "Snapshot",
    "Verdict",
    "build_query",
    "current_snapshot",
    "evaluate",
    "forget_snapshot",
    "load_snapshot",
]
