"""Celery tasks of the directory: they take primary keys and call one service."""

import logging

from celery import shared_task
from django.db import OperationalError

from directory.ldap.errors import DirectoryUnavailable

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DirectoryUnavailable, OperationalError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def sync_directory_source(self, run_id):
    """Run the queued sync ``run_id``; transient failures retry with backoff.

    Bad credentials, a missing base or a refused answer end the run as failed
    and are not retried: only DirectoryUnavailable and database errors are.
    """
    from directory.services import sync_run_execute

    sync_run_execute(
        run_id=run_id, final_attempt=self.request.retries >= self.max_retries
    )


@shared_task
def sync_directory_source_scheduled(source_id):
    """Queue a scheduled sync of the source (the queued run does the work)."""
    from directory.models import DirectorySource, SyncRun
    from directory.services import sync_request

    source = DirectorySource.objects.filter(pk=source_id, enabled=True).first()
    if source is None:
        logger.info("scheduled sync of source %s skipped: disabled or gone", source_id)
        return
    sync_request(source=source, trigger=SyncRun.Trigger.SCHEDULE)
