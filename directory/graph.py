"""Nested group membership, resolved in memory from the stored direct edges.

The sync stores only what the directory says directly: ``member`` values and
primaryGroupID links (directory.models.Membership). This module turns those
edges into answers to "is this account in that group, and through which
chain?" and "who is in that group, at any depth?", the way a Kerberos token
would count them: nested groups at any depth, primary groups included, cycles
allowed in the data and never followed twice, and foreign security principals
matched by SID to accounts of other synced sources. A distribution group is
in no token: its own members are listed, but a chain never passes through it
(the DC's tokenGroups leave out a security group reached only that way).

Object ids are DirectoryObject primary keys throughout. A chain is the path
from an account up to a group: ``Chain(start, (Link(g1, via), Link(g2, via)))``
reads "start is in g1 (via member or primaryGroupID), g1 is in g2".
"""

import dataclasses
import logging
import threading
from collections import deque

from django.db.models import Count, Max

from directory.models import DirectoryObject, Membership, SyncRun

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Link:
    """One step up a chain: membership in ``group_id``, listed how."""

    group_id: int
    via: str = Membership.Via.MEMBER

    @property
    def is_primary(self):
        return self.via == Membership.Via.PRIMARY_GROUP


@dataclasses.dataclass(frozen=True)
class Chain:
    """How an account reaches a group: the account, then each group in turn."""

    start_id: int
    links: tuple[Link, ...]

    @property
    def group_id(self):
        return self.links[-1].group_id if self.links else self.start_id

    @property
    def depth(self):
        return len(self.links)

    def object_ids(self):
        """Return the ids along the chain, the account first."""
        return [self.start_id, *(link.group_id for link in self.links)]

    def extend(self, link):
        return Chain(self.start_id, (*self.links, link))


@dataclasses.dataclass(frozen=True)
class Uncertainty:
    """Why a group's membership may be larger than the console knows."""

    group_id: int
    reason: str


class MembershipGraph:
    """Direct membership edges of the synced directory, walked on demand."""

    def __init__(
        self,
        edges,
        *,
        group_ids=(),
        incomplete_group_ids=(),
        unresolved_by_group=None,
        foreign_by_group=None,
        distribution_group_ids=(),
    ):
        """Build the graph from (member_id, group_id, via) triples.

        ``group_ids`` names every group, including empty ones;
        ``unresolved_by_group`` maps a group id to DNs its ``member`` lists
        that match no object; ``foreign_by_group`` to SIDs of foreign security
        principals that match no account of any synced source;
        ``distribution_group_ids`` the groups that are not security groups.
        """
        self._parents = {}
        self._children = {}
        for member_id, group_id, via in edges:
            self._parents.setdefault(member_id, []).append(Link(group_id, via))
            self._children.setdefault(group_id, []).append((member_id, via))
        self.incomplete_group_ids = frozenset(incomplete_group_ids)
        self.unresolved_by_group = dict(unresolved_by_group or {})
        self.foreign_by_group = dict(foreign_by_group or {})
        self.distribution_group_ids = frozenset(distribution_group_ids)
        self.group_ids = frozenset(
            {*group_ids, *self._children, *self.incomplete_group_ids}
            | self.unresolved_by_group.keys()
            | self.foreign_by_group.keys()
        )
        self._uncertainty_cache = {}

    @classmethod
    def load(cls):
        """Read every live edge of every source into a new graph."""
        live = {"group__deleted_at__isnull": True}
        resolved_rows = (
            Membership.objects.filter(member__isnull=False, **live)
            .filter(member__deleted_at__isnull=True)
            .values_list("member_id", "group_id", "via")
        )
        edges = list(resolved_rows)

        foreign_rows = Membership.objects.filter(
            member__isnull=True, state=Membership.State.FOREIGN, **live
        ).values_list("group_id", "member_sid", "via")
        foreign_rows = list(foreign_rows)
        sids = {sid for _, sid, _ in foreign_rows if sid}
        account_by_sid = dict(
            DirectoryObject.objects.filter(sid__in=sids, deleted_at__isnull=True)
            .order_by("pk")
            .values_list("sid", "pk")
        )
        foreign_by_group = {}
        for group_id, sid, via in foreign_rows:
            if sid in account_by_sid:
                edges.append((account_by_sid[sid], group_id, via))
            else:
                foreign_by_group.setdefault(group_id, []).append(sid)

        unresolved_by_group = {}
        unresolved_rows = Membership.objects.filter(
            member__isnull=True, state=Membership.State.UNRESOLVED, **live
        ).values_list("group_id", "member_dn")
        for group_id, member_dn in unresolved_rows:
            unresolved_by_group.setdefault(group_id, []).append(member_dn)

        groups = DirectoryObject.objects.filter(
            kind=DirectoryObject.Kind.GROUP, deleted_at__isnull=True
        ).values_list("pk", "members_complete", "is_security")
        group_ids = []
        incomplete = []
        distribution = []
        for group_id, members_complete, is_security in groups:
            group_ids.append(group_id)
            if not members_complete:
                incomplete.append(group_id)
            if not is_security:
                distribution.append(group_id)

        graph = cls(
            edges,
            group_ids=group_ids,
            incomplete_group_ids=incomplete,
            unresolved_by_group=unresolved_by_group,
            foreign_by_group=foreign_by_group,
            distribution_group_ids=distribution,
        )
        logger.debug(
            "Loaded membership graph: %d edges, %d incomplete groups",
            len(edges),
            len(graph.incomplete_group_ids),
        )
        return graph

    def groups_of(self, object_id, *, extra_group_ids=(), excluded_group_ids=()):
        """Return {group_id: shortest Chain} for every group the object is in.

        ``extra_group_ids`` pretends the object were a direct member of more
        groups; ``excluded_group_ids`` pretends it were in none of those
        groups, at any depth (chains through them are not followed).
        """
        excluded = frozenset(excluded_group_ids)
        start = Chain(object_id, ())
        found = {}
        queue = deque([start])
        while queue:
            chain = queue.popleft()
            links = list(self._parents.get(chain.group_id, ()))
            if chain.depth == 0:
                links += [Link(group_id) for group_id in extra_group_ids]
            for link in links:
                group_id = link.group_id
                if group_id in excluded or group_id in found or group_id == object_id:
                    continue
                longer = chain.extend(link)
                found[group_id] = longer
                if group_id not in self.distribution_group_ids:
                    queue.append(longer)
        return found

    def chain_to(self, object_id, group_id, **overrides):
        """Return the shortest Chain from the object to the group, or None."""
        if object_id == group_id:
            return Chain(object_id, ())
        return self.groups_of(object_id, **overrides).get(group_id)

    def members_of(self, group_id, *, transitive=True):
        """Return {member_id: Chain from that member up to the group}.

        Direct members only when ``transitive`` is False. Nested groups appear
        as members themselves, like the in-chain matching rule reports them;
        the members of a nested distribution group do not.
        """
        found = {}
        queue = deque([(group_id, ())])
        seen_groups = {group_id}
        while queue:
            current, links_above = queue.popleft()
            for member_id, via in self._children.get(current, ()):
                links = (Link(current, via), *links_above)
                if member_id not in found and member_id != group_id:
                    found[member_id] = Chain(member_id, links)
                if (
                    transitive
                    and member_id in self._children
                    and member_id not in seen_groups
                    and member_id not in self.distribution_group_ids
                ):
                    seen_groups.add(member_id)
                    queue.append((member_id, links))
        return found

    def member_ids(self, group_id):
        """Return the ids of every member at any depth, as members_of would, but
        without building chains (much cheaper for groups of many thousands)."""
        found = set()
        for nested_id in self.nested_group_ids(group_id):
            found.update(
                member_id for member_id, _ in self._children.get(nested_id, ())
            )
        found.discard(group_id)
        return found

    def nested_group_ids(self, group_id):
        """Return the group and every group nested in it, at any depth, not
        counting what lies below a nested distribution group."""
        groups = {group_id}
        queue = deque([group_id])
        while queue:
            current = queue.popleft()
            for member_id, _ in self._children.get(current, ()):
                if member_id in self.distribution_group_ids:
                    continue
                if member_id not in groups and member_id in self.group_ids:
                    groups.add(member_id)
                    queue.append(member_id)
        return groups

    def uncertainties(self, group_id):
        """Return reasons why the group may hold members the console cannot see.

        A group read only partly (an LDIF export cut at a range, say), or one
        listing foreign principals that match no synced account, may contain
        any account; a "not a member" answer about it is not certain.
        Dangling DNs are reported too, so that a caller can name them.
        """
        if group_id in self._uncertainty_cache:
            return self._uncertainty_cache[group_id]
        reasons = []
        for nested_id in sorted(self.nested_group_ids(group_id)):
            if nested_id in self.incomplete_group_ids:
                reasons.append(Uncertainty(nested_id, "incomplete"))
            for sid in self.foreign_by_group.get(nested_id, ()):
                reasons.append(Uncertainty(nested_id, f"foreign:{sid}"))
            for member_dn in self.unresolved_by_group.get(nested_id, ()):
                reasons.append(Uncertainty(nested_id, f"unresolved:{member_dn}"))
        self._uncertainty_cache[group_id] = reasons
        return reasons


_cache_lock = threading.Lock()
_cached = {"version": None, "graph": None}


def graph_version():
    """Return a token that changes whenever the stored membership changes."""
    memberships = Membership.objects.aggregate(count=Count("pk"), last=Max("pk"))
    last_run = SyncRun.objects.filter(finished_at__isnull=False).aggregate(
        last=Max("finished_at")
    )["last"]
    incomplete = DirectoryObject.objects.filter(members_complete=False).count()
    return (memberships["count"], memberships["last"], last_run, incomplete)


def current_graph():
    """Return the graph of the stored directory, reloading it only when changed."""
    version = graph_version()
    with _cache_lock:
        if _cached["version"] != version:
            _cached["graph"] = MembershipGraph.load()
            _cached["version"] = version
        return _cached["graph"]
