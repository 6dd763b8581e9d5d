"""The data behind each dashboard chart, as plain JSON-ready dictionaries.

The charts draw exactly these numbers, and the tests check them one by one;
each figure carries the URL of the list behind it.
"""

from django.urls import reverse

from directory.models import DirectoryObject
from policies.dashboard.exposure import SCOPE_KINDS
from policies.dashboard.lists import (
    exposure_links,
    object_url,
    ranked_exposures,
    source_objects_url,
)
from policies.dashboard.selectors import group_size_samples

EXPOSURE_CHART_SERVERS = 20
GROUP_CHARTS = 12


def _iso(moment):
    return moment.isoformat() if moment else None


def exposure_chart(data, limit=EXPOSURE_CHART_SERVERS):
    """The most exposed servers with their bypass and exception figures."""
    ranked = ranked_exposures(data)
    servers = []
    for exposure in ranked[:limit]:
        server = exposure.server
        links = exposure_links(exposure)
        servers.append(
            {
                "id": server.pk,
                "name": server.name,
                "url": server.get_absolute_url(),
                "era": server.era,
                "firewall": exposure.state,
                "firewall_off": exposure.firewall_off,
                "open": exposure.open_count,
                "bypass": exposure.bypass_count,
                "conflict": exposure.conflict_count,
                "exceptions": exposure.exception_total,
                **{
                    kind.replace("-", "_"): exposure.exception_count(kind)
                    for kind in SCOPE_KINDS
                },
                "links": links,
                "groups": [
                    {
                        "sid": item.sid,
                        "name": item.label,
                        "machines": count,
                        "url": links["bypass"] + f"?sid={item.sid}",
                    }
                    for item, count in exposure.through
                ],
            }
        )
    return {
        "servers": servers,
        "total_servers": len(ranked),
        "list_url": reverse("dashboard:exposure_list"),
    }


def shown_groups(data, limit=GROUP_CHARTS):
    """The referenced groups the dashboard charts: the largest first."""
    groups = sorted(
        data.referenced_groups, key=lambda g: (-g.accounts, g.label.casefold())
    )
    return groups[:limit]


def group_sizes_chart(data, limit=GROUP_CHARTS):
    """Each shown group's size per sync run, oldest first, and its size now."""
    groups = shown_groups(data, limit)
    samples = group_size_samples([group.pk for group in groups])
    return {
        "groups": [
            {
                "id": group.pk,
                "name": group.label,
                "url": object_url(group.pk),
                "members_url": reverse("dashboard:group_members", args=[group.pk]),
                "changes_url": reverse("dashboard:membership_changes")
                + f"?group={group.pk}",
                "accounts": group.accounts,
                "computers": group.computers,
                "users": group.users,
                "samples": [
                    {
                        "at": _iso(sample.at),
                        "run": sample.run_id,
                        "accounts": sample.accounts,
                        "computers": sample.computers,
                        "users": sample.users,
                    }
                    for sample in samples[group.pk]
                ],
            }
            for group in groups
        ],
        "total_groups": len(data.referenced_groups),
        "list_url": reverse("dashboard:group_list"),
    }


def findings_chart(data):
    """How many rows each finding kind has."""
    return {
        "findings": [
            {
                "slug": kind.slug,
                "title": kind.title,
                "label": kind.short,
                "count": count,
                "url": reverse("dashboard:finding_list", args=[kind.slug]),
            }
            for kind, count in data.finding_counts
        ]
    }


def sync_health_chart(health):
    """Objects per kind of every directory source, with its freshness."""
    sources = []
    for item in health:
        source = item.source
        run = item.last_run
        sources.append(
            {
                "id": source.pk,
                "name": source.name,
                "url": source.get_absolute_url(),
                "stale": item.stale,
                "age_seconds": int(item.age.total_seconds()) if item.age else None,
                "staleness_limit_hours": source.staleness_limit_hours,
                "last_success_at": _iso(source.last_success_at),
                "last_run": {
                    "id": run.pk,
                    "status": run.status,
                    "progress": run.progress,
                    "url": run.get_absolute_url(),
                }
                if run
                else None,
                **{
                    f"{kind}s": item.counts[kind]
                    for kind in DirectoryObject.Kind.values
                },
                "links": {
                    f"{kind}s": source_objects_url(source.pk, kind)
                    for kind in DirectoryObject.Kind.values
                },
            }
        )
    return {"sources": sources}
