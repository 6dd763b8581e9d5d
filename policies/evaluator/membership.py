"""Is an account on a list of principals (bypass, authorization, IPsec, access)?

Lists name principals by SID. An account matches an entry when it holds the
SID itself or reaches a group holding it through any chain of nested groups,
primary groups included (directory.graph). The answer is three-valued: when
the account is not found but the console knows it cannot see everything (a
group read incompletely, a member DN or foreign SID that resolves to nothing,
a listed SID that matches no account) the answer is None, with the reasons.
Membership older than its source's staleness limit makes any answer None.
"""

from dataclasses import dataclass

from directory.graph import Chain
from policies.evaluator.logic import and3, not3
from policies.evaluator.snapshot import safe_url
from policies.evaluator.verdict import ChainStep, MembershipChain


@dataclass(frozen=True)
class EntryMatch:
    """How one list entry matched an account: True, False or None (unknown)."""

    result: bool | None
    entry: object
    chain: Chain | None = None
    unknowns: tuple = ()


@dataclass(frozen=True)
class ListMatch:
    """How a list of entries matched: the first hit, or why it is unknown."""

    result: bool | None
    hit: EntryMatch | None = None
    unknown: tuple = ()

    @property
    def unknowns(self):
        return tuple(reason for match in self.unknown for reason in match.unknowns)


NO_ENTRIES = ListMatch(False)

# Every domain's (and machine's) account SIDs start so; well-known ones do not.
DOMAIN_SID_PREFIX = "S-1-5-21-"


class Subject:
    """An account whose memberships are asked about, with pretended changes.

    ``added`` pretends the account were a direct member of more groups;
    ``removed`` pretends it were in none of those groups, at any depth.
    ``external`` marks a machine of a domain no source covers (no account).
    """

    def __init__(self, snapshot, account, *, now, added=(), removed=(), external=None):
        self.snapshot = snapshot
        self.account = account
        self.now = now
        self.added = frozenset(added)
        self.removed = frozenset(removed)
        self.external = external
        self._groups = None

    def chain_to(self, group_id):
        """Return the Chain from the account to the group, or None.

        A distribution group is in no token, so nothing is ever in it here.
        """
        if self.account is None or group_id in self.removed:
            return None
        if group_id in self.snapshot.graph.distribution_group_ids:
            return None
        if self._groups is None:
            self._groups = self.snapshot.graph.groups_of(
                self.account.pk,
                extra_group_ids=self.added,
                excluded_group_ids=self.removed,
            )
        return self._groups.get(group_id)

    def is_pretended(self, chain):
        return bool(chain and chain.links and chain.links[0].group_id in self.added)

    def match(self, entry):
        """Match one principal reference (anything with ``sid`` and ``name``)."""
        snapshot = self.snapshot
        targets = snapshot.live_by_sid(entry.sid)
        account = self.account
        if account is not None and account.sid and account.sid == entry.sid:
            return self._with_staleness(EntryMatch(True, entry, Chain(account.pk, ())))

        for target in targets:
            if target.is_group:
                chain = self.chain_to(target.pk)
                if chain is not None:
                    return self._with_staleness(EntryMatch(True, entry, chain), target)

        unknowns = []
        if not targets:
            unknowns.append(
                f"the listed SID {entry.sid} ({entry.name or 'no name'}) resolves to "
                "no account in any directory source"
            )
        distribution = self.snapshot.graph.distribution_group_ids
        for target in targets:
            if target.is_group and target.pk not in self.removed | distribution:
                unknowns += self._uncertainties(target)
        match = EntryMatch(None if unknowns else False, entry, None, tuple(unknowns))
        return self._with_staleness(match, *targets)

    def _uncertainties(self, group):
        reasons = []
        accounts = self.snapshot.accounts
        for uncertainty in self.snapshot.graph.uncertainties(group.pk):
            where = accounts[uncertainty.group_id].label
            kind, _, value = uncertainty.reason.partition(":")
            if kind == "incomplete":
                reasons.append(
                    f"group {where} was read incompletely, so its member list "
                    "may lack the account"
                )
            elif kind == "foreign" and self._could_be_foreign(value):
                reasons.append(
                    f"group {where} lists the foreign principal {value}, which "
                    "resolves to no synced account"
                )
            elif kind == "unresolved":
                reasons.append(
                    f"group {where} lists the member {value}, which resolves to "
                    "no object"
                )
        return reasons

    def _could_be_foreign(self, sid):
        """Whether an unresolved foreign SID could stand for (a group of) the account.

        A principal of another domain can hold the account only if the account
        belongs to that domain: an account of a synced domain whose SID is
        known cannot be reached through another domain's unresolved SID.
        Well-known principals such as Authenticated Users (S-1-5-11) belong to
        no domain and are stored as foreign principals of every domain: any
        account may hold them.
        """
        if self.external is not None or self.account is None:
            return True
        if not sid.upper().startswith(DOMAIN_SID_PREFIX):
            return True
        domain = self.account.domain_sid
        return not domain or sid.startswith(domain + "-")

    def _with_staleness(self, match, *targets):
        if self.is_pretended(match.chain) and match.chain.depth == 1:
            return match
        sources = {target.source_id for target in targets}
        if self.account is not None:
            sources.add(self.account.source_id)
        stale = []
        for source_id in sorted(sources):
            source = self.snapshot.sources[source_id]
            if source.is_stale(self.now):
                age = source.age_hours(self.now)
                when = "never synced" if age is None else f"{age:.0f} h old"
                stale.append(
                    f"membership data of source {source.name} is {when} (staleness "
                    f"limit {source.staleness_limit_hours} h)"
                )
        if not stale:
            return match
        return EntryMatch(None, match.entry, match.chain, (*match.unknowns, *stale))

    def match_list(self, entries):
        """Match a list: True at the first hit; None if any entry is unknown."""
        unknown = []
        for entry in entries:
            match = self.match(entry)
            if match.result:
                return ListMatch(True, match, tuple(unknown))
            if match.result is None:
                unknown.append(match)
        return ListMatch(None if unknown else False, None, tuple(unknown))

    def authorized(self, allow_entries, deny_entries):
        """Allowed by the allow entries and not refused by a deny entry.

        Returns (result, allow ListMatch, deny ListMatch); a deny entry beats
        an allow entry, as a deny ACE does.
        """
        allowed = self.match_list(allow_entries)
        denied = self.match_list(deny_entries) if deny_entries else NO_ENTRIES
        result = and3(allowed.result, not3(denied.result))
        return result, allowed, denied

    def describe(self, match):
        """Turn an EntryMatch's chain into a MembershipChain for display."""
        accounts = self.snapshot.accounts
        chain = match.chain
        if chain is None:
            return None
        ids = chain.object_ids()
        steps = []
        for index, object_id in enumerate(ids):
            account = accounts[object_id]
            via = ""
            if index < len(chain.links):
                link = chain.links[index]
                via = (
                    "pretended" if index == 0 and self.is_pretended(chain) else link.via
                )
            steps.append(
                ChainStep(
                    label=account.label,
                    kind=account.kind,
                    url=safe_url("directory:object_detail", account.pk),
                    via=via,
                )
            )
        listed = f"{match.entry.name or match.entry.sid} ({match.entry.sid})"
        return MembershipChain(tuple(steps), listed)
