"""Writes of the dashboard: group size samples and the risk thresholds."""

import logging

from django.db import transaction
from django.utils import timezone

from directory.graph import current_graph
from directory.models import DirectoryObject
from policies.models import (
    AccessRequirementGroup,
    BypassEntry,
    GroupSizeSample,
    RiskThresholds,
)

logger = logging.getLogger(__name__)


def referenced_group_ids():
    """Return the pks of live groups that bypass lists or access requirements name."""
    sids = set(
        BypassEntry.objects.filter(deny=False).values_list("sid", flat=True)
    ) | set(AccessRequirementGroup.objects.values_list("sid", flat=True))
    return set(
        DirectoryObject.objects.filter(
            kind=DirectoryObject.Kind.GROUP, sid__in=sids, deleted_at__isnull=True
        ).values_list("pk", flat=True)
    )


def record_group_sizes(run):
    """Record the size of every group the policies name, as the run left it.

    Groups of every source are sampled: a group can hold accounts of another
    source through foreign security principals, so any run may change it.
    Recording twice for one run keeps the first samples.
    """
    group_ids = referenced_group_ids()
    if not group_ids:
        return []
    graph = current_graph()
    computer_ids = set(
        DirectoryObject.objects.filter(
            kind=DirectoryObject.Kind.COMPUTER, deleted_at__isnull=True
        ).values_list("pk", flat=True)
    )
    at = run.finished_at or timezone.now()
    samples = []
    for group_id in sorted(group_ids):
        members = graph.members_of(group_id)
        accounts = [pk for pk in members if pk not in graph.group_ids]
        computers = sum(1 for pk in accounts if pk in computer_ids)
        samples.append(
            GroupSizeSample(
                run=run,
                group_id=group_id,
                at=at,
                accounts=len(accounts),
                computers=computers,
                users=len(accounts) - computers,
            )
        )
    with transaction.atomic():
        GroupSizeSample.objects.bulk_create(samples, ignore_conflicts=True)
    logger.info("Recorded the size of %d groups after run %s", len(samples), run.pk)
    return samples


def save_thresholds(*, broad_group_size, inactive_days, user):
    """Save the risk thresholds an administrator set."""
    thresholds = RiskThresholds.current()
    thresholds.broad_group_size = broad_group_size
    thresholds.inactive_days = inactive_days
    thresholds.updated_by = user.get_username() if user else ""
    thresholds.full_clean()
    thresholds.save()
    logger.info(
        "Risk thresholds set to %d accounts and %d days by %s",
        broad_group_size,
        inactive_days,
        thresholds.updated_by,
    )
    return thresholds
