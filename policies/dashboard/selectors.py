"""Reads behind the dashboard: sync health, exposure, membership trends, risks.

``dashboard_data()`` returns everything the home page, its charts and its
lists show, built from the what-if evaluator's snapshot of the directory and
the policies (so both answer from the same data) and kept per process until
the data, the risk thresholds or the date change. Checking for a change and
reading what is live (sync runs, recent membership changes, size samples)
takes a fixed number of queries whatever the size of the directory.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import F, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from directory.models import (
    DirectoryObject,
    DirectorySource,
    MembershipChange,
    SyncRun,
)
from policies.dashboard.exposure import server_exposures
from policies.dashboard.facts import directory_facts
from policies.dashboard.findings import (
    KINDS,
    KINDS_BY_SLUG,
    References,
    RiskContext,
    finders,
)
from policies.dashboard.listing import Listing
from policies.dashboard.lists import source_objects_url
from policies.evaluator import current_snapshot
from policies.models import (
    AccessRequirementGroup,
    AuthorizationEntry,
    BypassEntry,
    GroupSizeSample,
    IPsecClient,
    RiskThresholds,
)

logger = logging.getLogger(__name__)

RECENT_CHANGES = 10
CHANGE_WINDOW_DAYS = 30
SAMPLES_PER_GROUP = 100


@dataclass
class SourceHealth:
    """One directory source's last run, freshness and contents."""

    source: object
    last_run: object
    active_run: object
    age: object
    stale: bool
    counts: dict

    @property
    def staleness_limit_hours(self):
        return self.source.staleness_limit_hours

    @property
    def count_links(self):
        """(kind, count, URL of the directory list) for computers, users, groups."""
        return [
            (kind, self.counts[kind], source_objects_url(self.source.pk, kind))
            for kind in DirectoryObject.Kind.values
        ]


def sync_health(counts, now=None):
    """Return a SourceHealth per directory source, in name order.

    ``counts`` maps a source's pk to {kind: live objects} (the dashboard takes
    them from its snapshot, so counting reads nothing); the runs are read
    live, so a running run's progress shows as it advances.
    """
    now = now or timezone.now()
    latest = SyncRun.objects.filter(source=OuterRef("pk")).order_by("-queued_at", "-pk")
    sources = list(
        DirectorySource.objects.annotate(
            last_run_id=Subquery(latest.values("pk")[:1])
        ).order_by("name")
    )
    run_ids = [source.last_run_id for source in sources if source.last_run_id]
    runs = SyncRun.objects.in_bulk(run_ids)
    active = {
        run.source_id: run
        for run in SyncRun.objects.filter(status__in=SyncRun.ACTIVE_STATUSES)
    }
    health = []
    for source in sources:
        last_success = source.last_success_at
        by_kind = counts.get(source.pk, {})
        health.append(
            SourceHealth(
                source=source,
                last_run=runs.get(source.last_run_id),
                active_run=active.get(source.pk),
                age=now - last_success if last_success else None,
                stale=source.is_stale(now),
                counts={kind: by_kind.get(kind, 0) for kind in DirectoryObject.Kind},
            )
        )
    return health


def object_counts(snapshot):
    """Return {source pk: {kind: live objects}} from a what-if snapshot."""
    counts = {}
    for account in snapshot.accounts.values():
        if not account.deleted:
            by_kind = counts.setdefault(account.source_id, {})
            by_kind[account.kind] = by_kind.get(account.kind, 0) + 1
    return counts


def load_references():
    """Load every SID the policies name, with the rows that name them."""
    return References(
        bypass_entries=list(
            BypassEntry.objects.select_related("rule__policy__local_server").order_by(
                "rule__policy__name", "rule__name", "pk"
            )
        ),
        authorization_entries=list(
            AuthorizationEntry.objects.select_related("policy__local_server").order_by(
                "policy__name", "pk"
            )
        ),
        ipsec_clients=list(
            IPsecClient.objects.select_related("policy").order_by("policy__name", "pk")
        ),
        access_groups=list(
            AccessRequirementGroup.objects.select_related(
                "requirement__server"
            ).order_by("requirement__server__name", "requirement__name", "pk")
        ),
    )


@dataclass
class ReferencedGroup:
    """A group that a bypass list or an access requirement names."""

    principal: object
    uses: list = field(default_factory=list)
    accounts: int = 0
    computers: int = 0
    users: int = 0

    @property
    def pk(self):
        return self.principal.pk

    @property
    def label(self):
        return self.principal.label


class DashboardData:
    """Everything the dashboard shows that follows from the stored data.

    Built from the what-if snapshot and the risk thresholds; ``dashboard_data``
    keeps one per process and rebuilds it when either changes, or the day.
    """

    def __init__(self, snapshot, thresholds, now=None):
        self.now = now or timezone.now()
        self.snapshot = snapshot
        self.thresholds = thresholds
        infos = sorted(
            snapshot.servers.values(), key=lambda info: info.server.name.casefold()
        )
        self.servers = [info.server for info in infos]
        self.configs = {info.server.pk: info.config for info in infos}
        self.references = load_references()
        self.object_counts = object_counts(snapshot)
        inactive_before = self.now - timezone.timedelta(days=thresholds.inactive_days)
        self.facts = directory_facts(snapshot, inactive_before)
        self.exposures = server_exposures(infos, self.facts)
        self.risk = RiskContext(
            servers=self.servers,
            configs=self.configs,
            exposures=self.exposures,
            facts=self.facts,
            references=self.references,
            thresholds=self.thresholds,
            now=self.now,
        )
        self._findings = {}
        self._finders = finders(self.facts)

    def warm(self):
        """Compute every lazily computed figure now, once, for all requests."""
        for _ in self.finding_counts:
            pass
        for _ in self.referenced_groups:
            pass
        return self

    def exposure_of(self, server_pk):
        return next(item for item in self.exposures if item.server.pk == server_pk)

    def findings(self, slug):
        """Return the items of one finding kind (computed once)."""
        if slug not in self._findings:
            find, _ = self._finders[slug]
            self._findings[slug] = find(self.risk)
        return self._findings[slug]

    def finding_listing(self, slug):
        """Return the Listing behind one finding count."""
        kind = KINDS_BY_SLUG[slug]
        _, render = self._finders[slug]
        return Listing(
            title=kind.title,
            filename=f"{slug}.csv",
            columns=kind.columns,
            items=self.findings(slug),
            render=render,
            description=kind.description,
        )

    @cached_property
    def finding_counts(self):
        return [(kind, len(self.findings(kind.slug))) for kind in KINDS]

    @cached_property
    def referenced_groups(self):
        """The live groups named by bypass lists or access requirements."""
        groups = {}
        uses = [
            (entry.sid, f"Bypass rule {entry.rule.name} ({entry.rule.policy})")
            for entry in self.references.bypass_entries
            if not entry.deny
        ]
        uses += [
            (
                group.sid,
                f"Access requirement {group.requirement.name} "
                f"({group.requirement.server})",
            )
            for group in self.references.access_groups
        ]
        for sid, use in uses:
            principal = self.facts.principal(sid)
            if principal is None or principal.deleted:
                continue
            if principal.kind != DirectoryObject.Kind.GROUP:
                continue
            group = groups.get(principal.pk)
            if group is None:
                group = groups[principal.pk] = self._sized(principal)
            if use not in group.uses:
                group.uses.append(use)
        return sorted(groups.values(), key=lambda group: group.label.casefold())

    def _sized(self, principal):
        accounts = self.facts.accounts_in(principal.pk)
        computers = accounts & self.facts.computers.keys()
        return ReferencedGroup(
            principal=principal,
            accounts=len(accounts),
            computers=len(computers),
            users=len(accounts) - len(computers),
        )

    @cached_property
    def watched_group_ids(self):
        """Referenced groups and every group nested in them, for the change list."""
        watched = set()
        for group in self.referenced_groups:
            watched |= self.facts.nested_group_ids(group.pk)
        return watched

    def changes(self, group_ids=None):
        """Return membership changes of the watched (or given) groups, newest first."""
        ids = self.watched_group_ids if group_ids is None else group_ids
        return (
            MembershipChange.objects.filter(group_id__in=ids)
            .select_related("group", "member", "run")
            .order_by("-at", "-pk")
        )

    def sync_health(self):
        """Return the sources' health with the counts of this data."""
        return sync_health(self.object_counts)

    def recent_change_count(self):
        """Count the changes of the watched groups in the last CHANGE_WINDOW_DAYS."""
        since = timezone.now() - timezone.timedelta(days=CHANGE_WINDOW_DAYS)
        return self.changes().filter(at__gte=since).count()


_lock = threading.Lock()
_cache = {"key": None, "data": None}


def dashboard_data():
    """Return the DashboardData of the stored data, rebuilt only when it changed.

    The key is the what-if snapshot's version, the thresholds and the date:
    inactivity is counted in days, so a rebuild a day is enough for the clock.
    """
    snapshot = current_snapshot()
    thresholds = RiskThresholds.current()
    now = timezone.now()
    key = (
        snapshot.version,
        thresholds.broad_group_size,
        thresholds.inactive_days,
        timezone.localdate(now),
    )
    with _lock:
        if _cache["key"] != key:
            started = time.perf_counter()
            _cache["data"] = DashboardData(snapshot, thresholds, now).warm()
            _cache["key"] = key
            logger.info(
                "Built the dashboard in %.2f s: %d servers, %d computers",
                time.perf_counter() - started,
                len(_cache["data"].servers),
                len(_cache["data"].facts.computers),
            )
        return _cache["data"]


def forget_dashboard():
    """Drop the cached dashboard (the next call rebuilds it)."""
    with _lock:
        _cache.update(key=None, data=None)


def group_size_samples(group_ids):
    """Return {group pk: [GroupSizeSample, ...]} oldest first, the latest ones only."""
    samples = {pk: [] for pk in group_ids}
    newest_first = Window(
        RowNumber(),
        partition_by=F("group_id"),
        order_by=[F("at").desc(), F("pk").desc()],
    )
    rows = (
        GroupSizeSample.objects.filter(group_id__in=group_ids)
        .annotate(recency=newest_first)
        .filter(recency__lte=SAMPLES_PER_GROUP)
        .order_by("group_id", "at", "pk")
    )
    for sample in rows:
        samples[sample.group_id].append(sample)
    return samples
