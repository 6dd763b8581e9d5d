"""Listeners that keep the dashboard's history: group sizes after each sync."""

import logging

from auditlog.registry import auditlog
from django.dispatch import receiver

from directory.signals import sync_applied
from policies.dashboard import services
from policies.models import RiskThresholds

logger = logging.getLogger(__name__)


@receiver(sync_applied, dispatch_uid="dashboard_record_group_sizes")
def record_group_sizes(sender, run, **kwargs):
    """Sample the referenced groups once a run's changes are committed."""
    try:
        services.record_group_sizes(run)
    except Exception:
        # The run itself has committed; a missed sample must not turn it into
        # a failure, and the next run samples again.
        logger.exception("Could not record group sizes after run %s", run.pk)


def connect():
    """Register the thresholds with the change log; importing connects receivers."""
    if not auditlog.contains(RiskThresholds):
        auditlog.register(RiskThresholds, exclude_fields=["updated_at"])
