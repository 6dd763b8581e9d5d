"""Reads behind the directory pages, the API and the commands.

Each function issues a fixed number of queries whatever the size of the
directory, so list and detail pages stay bounded.
"""

import collections.abc
import dataclasses

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery

from directory.graph import current_graph
from directory.ldap.dn import InvalidDN, dn_key
from directory.models import (
    DirectoryObject,
    DirectorySource,
    Membership,
    MembershipChange,
    ObjectChange,
    SyncRun,
)

Kind = DirectoryObject.Kind


def sources_with_status():
    """Return sources annotated with their latest run and live object counts."""
    latest = SyncRun.objects.filter(source=OuterRef("pk")).order_by("-queued_at", "-pk")
    live = Q(directory_objects__deleted_at__isnull=True)
    return DirectorySource.objects.annotate(
        last_run_id=Subquery(latest.values("pk")[:1]),
        last_run_status=Subquery(latest.values("status")[:1]),
        last_run_queued_at=Subquery(latest.values("queued_at")[:1]),
        computer_count=Count(
            "directory_objects", filter=live & Q(directory_objects__kind=Kind.COMPUTER)
        ),
        user_count=Count(
            "directory_objects", filter=live & Q(directory_objects__kind=Kind.USER)
        ),
        group_count=Count(
            "directory_objects", filter=live & Q(directory_objects__kind=Kind.GROUP)
        ),
    ).order_by("name")


def object_totals():
    """Return {kind: {"live": n, "deleted": n}} over every source."""
    rows = DirectoryObject.objects.values("kind").annotate(
        live=Count("pk", filter=Q(deleted_at__isnull=True)),
        deleted=Count("pk", filter=Q(deleted_at__isnull=False)),
    )
    totals = {kind: {"live": 0, "deleted": 0} for kind in Kind.values}
    for row in rows:
        totals[row["kind"]] = {"live": row["live"], "deleted": row["deleted"]}
    return totals


def objects_of_kind(kind):
    """Return the objects of one kind with their source, for list pages."""
    return DirectoryObject.objects.filter(kind=kind).select_related("source")


def direct_members(group):
    """Return the group's direct membership edges, resolved members first."""
    return (
        Membership.objects.filter(group=group)
        .select_related("member")
        .order_by("state", "member__kind", "member__lookup_name", "member_key")
    )


def direct_groups(obj):
    """Return the edges that make the object a direct member of a group."""
    return (
        Membership.objects.filter(member=obj)
        .select_related("group")
        .order_by("group__lookup_name")
    )


def membership_history_of_group(group):
    """Return who joined or left the group, newest first."""
    return MembershipChange.objects.filter(group=group).select_related("member", "run")


def membership_history_of_member(obj):
    """Return the groups the object joined or left, newest first."""
    return MembershipChange.objects.filter(member=obj).select_related("group", "run")


def object_history(obj):
    """Return the object's recorded changes (renames, moves, ...), newest first."""
    return ObjectChange.objects.filter(obj=obj).select_related("run")


def runs():
    """Return sync runs, newest first, with their source and starter."""
    return SyncRun.objects.select_related("source", "started_by")


def find_group(source, text):
    """Return the source's groups that a name, DN or SID names.

    A SID (S-1-…) matches objectSid, a text with "=" is read as a DN and
    compared as a parsed value, anything else matches the account name or the
    RDN, case-insensitively.
    """
    groups = DirectoryObject.objects.filter(source=source, kind=Kind.GROUP)
    text = text.strip()
    if text.upper().startswith("S-1-"):
        return list(groups.filter(sid__iexact=text))
    if "=" in text:
        try:
            key = dn_key(text)
        except InvalidDN:
            return []
        return list(groups.filter(dn_key=key))
    folded = text.casefold()
    by_account = list(groups.filter(lookup_name=folded.removesuffix("$")))
    if by_account:
        return by_account
    return list(groups.filter(name__iexact=text))


@dataclasses.dataclass(frozen=True)
class ChainStep:
    """One object along a membership chain; ``primary`` when reached through
    the member's primaryGroupID rather than a ``member`` value."""

    obj: DirectoryObject | None
    object_id: int
    primary: bool = False


@dataclasses.dataclass(frozen=True)
class ChainRow:
    """An object at the far end of a chain, and the chain that reaches it."""

    obj: DirectoryObject | None
    steps: tuple[ChainStep, ...]

    @property
    def depth(self):
        return len(self.steps) - 1


def _chain_rows(chains, far_end):
    """Load every object on the chains in one query and build ChainRows.

    ``far_end`` picks the object a row is about: the group for groups_of
    chains, the member for members_of chains.
    """
    ids = {object_id for chain in chains for object_id in chain.object_ids()}
    objects = DirectoryObject.objects.in_bulk(ids)
    rows = []
    for chain in chains:
        steps = [ChainStep(objects.get(chain.start_id), chain.start_id)]
        steps += [
            ChainStep(objects.get(link.group_id), link.group_id, link.is_primary)
            for link in chain.links
        ]
        target_id = chain.group_id if far_end == "group" else chain.start_id
        rows.append(ChainRow(objects.get(target_id), tuple(steps)))
    return rows


def groups_with_chains(obj, graph=None):
    """Return a ChainRow per group the object is in, direct ones first."""
    graph = graph or current_graph()
    chains = list(graph.groups_of(obj.pk).values())
    rows = _chain_rows(chains, far_end="group")
    return sorted(
        rows, key=lambda row: (row.depth, row.obj.lookup_name if row.obj else "")
    )


class MemberChainRows(collections.abc.Sequence):
    """A group's members in display order, loaded a slice at a time.

    Paginators (the page's and the API's) take only the slice they show, so
    a group of any size costs the same queries per page.
    """

    def __init__(self, ordered_ids, chains):
        self._ids = ordered_ids
        self._chains = chains

    def __len__(self):
        return len(self._ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            ids = self._ids[index]
            return _chain_rows([self._chains[i] for i in ids], far_end="member")
        return _chain_rows([self._chains[self._ids[index]]], far_end="member")[0]


def member_chains(group, *, transitive=True, graph=None):
    """Return the group's members (at any depth unless told otherwise), each
    with the chain from it up to the group, ordered by kind and name."""
    graph = graph or current_graph()
    chains = graph.members_of(group.pk, transitive=transitive)
    ordered_ids = list(
        DirectoryObject.objects.filter(pk__in=list(chains))
        .order_by("kind", "lookup_name", "pk")
        .values_list("pk", flat=True)
    )
    return MemberChainRows(ordered_ids, chains)


def transitive_members_page(group, page_number, per_page=50, graph=None):
    """Return one page of the group's members at any depth, with chains."""
    rows = member_chains(group, graph=graph)
    return Paginator(rows, per_page).get_page(page_number)


def membership_uncertainties(group, graph=None):
    """Return (group, kind, detail) for what makes the group's members uncertain.

    kind is "incomplete" (the group was read only in part), "foreign" (detail:
    a SID that matches no synced account) or "unresolved" (detail: a DN that
    matches no object), for the group itself or a group nested in it.
    """
    graph = graph or current_graph()
    reasons = graph.uncertainties(group.pk)
    groups = DirectoryObject.objects.in_bulk({reason.group_id for reason in reasons})
    rows = []
    for reason in reasons:
        kind, _, detail = reason.reason.partition(":")
        rows.append((groups.get(reason.group_id), kind, detail))
    return rows


@dataclasses.dataclass(frozen=True)
class LogTail:
    entries: list
    total: int


def run_log_tail(run, limit):
    """Return the last ``limit`` lines of a run's log, oldest first, and the total."""
    entries = list(run.log.order_by("-pk")[:limit])
    entries.reverse()
    total = len(entries) if len(entries) < limit else run.log.count()
    return LogTail(entries, total)
