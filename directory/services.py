"""Directory writes: requesting and running syncs, LDIF imports, schedules.

Pages, commands and the API call these; the Celery task calls
``sync_run_execute``. One run at a time per source: the partial unique
constraint ``syncrun_one_active_per_source`` turns a second request into the
run already queued, and a run moves from queued to running by a conditional
UPDATE that only one worker can win (on PostgreSQL an advisory lock per
source also tells a live run from one whose worker died).
"""

import json
import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from directory.ldap.connection import ConnectionReport, connection_test
from directory.ldap.errors import DirectoryConfigurationError, DirectoryError
from directory.ldif import LdifError, parse_ldif
from directory.models import DirectorySource, SyncRun
from directory.signals import sync_applied
from directory.sync.pipeline import (
    apply_snapshot,
    object_warnings,
    read_ldap_snapshot,
    read_ldif_snapshot,
)
from directory.sync.runlog import run_log

logger = logging.getLogger(__name__)

__all__ = [
    "ConnectionReport",
    "LdifError",
    "SyncAlreadyRunning",
    "connection_test",
    "ldif_import",
    "source_delete",
    "source_schedule_update",
    "sync_request",
    "sync_run_execute",
]

SCHEDULE_TASK = "directory.tasks.sync_directory_source_scheduled"
_LOCK_CLASS = 0x66777363  # "fwsc": advisory locks of directory syncs


class SyncAlreadyRunning(Exception):
    """Another run of the same source is queued or running."""

    def __init__(self, run):
        self.run = run
        super().__init__(
            f"source {run.source.name} already has run {run.pk} {run.status}; "
            "wait for it to finish"
        )


def _stale_after():
    # A queued run no worker took within the longest retry wait plus a run's
    # time limit is lost (its message is gone): it must not block the source.
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 3600)


def sync_request(*, source, trigger, started_by=None, allow_shrink=False):
    """Queue a sync of ``source`` and return its run (or the one already active)."""
    for _ in range(3):
        try:
            with transaction.atomic():
                run = SyncRun.objects.create(
                    source=source,
                    trigger=trigger,
                    started_by=started_by,
                    allow_shrink=allow_shrink,
                )
                from directory.tasks import sync_directory_source

                sync_directory_source.delay_on_commit(run.pk)
        except IntegrityError:
            active = SyncRun.objects.filter(
                source=source, status__in=SyncRun.ACTIVE_STATUSES
            ).first()
            if active is None:
                continue
            if _abandon_if_stale(active):
                continue
            logger.info(
                "source %s: run %d already %s", source.name, active.pk, active.status
            )
            return active
        logger.info("source %s: run %d queued (%s)", source.name, run.pk, trigger)
        return run
    raise SyncAlreadyRunning(SyncRun.objects.filter(source=source).first())


def _abandon_if_stale(run):
    if (
        run.status != SyncRun.Status.QUEUED
        or timezone.now() - run.queued_at < _stale_after()
    ):
        return False
    abandoned = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error="no worker picked this run up; a new run replaced it",
    )
    return abandoned == 1


@contextmanager
def _source_lock(source_id):
    """Hold the source's advisory lock on PostgreSQL; elsewhere always granted."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, source_id])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, source_id]
                    )
            except OperationalError:
                # The connection is gone, and the lock with it.
                pass


def _claim(run, *, holds_lock):
    """Move the run to running; False when another worker has it."""
    now = timezone.now()
    fields = {
        "status": SyncRun.Status.RUNNING,
        "started_at": now,
        "attempts": F("attempts") + 1,
        "phase": "starting",
        "error": "",
        "retryable": False,
    }
    if SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(**fields):
        return True
    run.refresh_from_db()
    if run.status != SyncRun.Status.RUNNING:
        return False
    # Running but this worker holds the source's lock: the worker that ran
    # it died (a redelivered message). Without locks, only a run older than
    # the hard time limit counts as dead.
    dead = (
        holds_lock
        if connection.vendor == "postgresql"
        else (
            run.started_at
            and now - run.started_at
            > timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        )
    )
    if not dead:
        return False
    logger.warning(
        "run %d: the previous attempt stopped without finishing; taking it over", run.pk
    )
    return bool(
        SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
            **fields
        )
    )


def _progress(run, percent, phase):
    SyncRun.objects.filter(pk=run.pk).update(progress=percent, phase=phase)
    logger.info("%s", phase)


def sync_run_execute(*, run_id, final_attempt=True):
    """Run a queued sync: read, check, apply, and record the outcome on the run.

    A transient failure puts the run back in the queue and re-raises (the
    task retries it) unless this is the final attempt; any other failure
    ends the run as failed with the reason. Returns the run.
    """
    run = SyncRun.objects.select_related("source").get(pk=run_id)
    with _source_lock(run.source_id) as locked:
        if not locked:
            logger.info(
                "run %d: another worker is syncing %s; leaving it", run.pk, run.source
            )
            return run
        if not _claim(run, holds_lock=locked):
            logger.info("run %d is %s; nothing to do", run.pk, run.status)
            return run
        run.refresh_from_db()
        with run_log(run.pk):
            _execute(run, final_attempt=final_attempt)
    run.refresh_from_db()
    return run


def _execute(run, *, final_attempt):
    source = run.source
    started = time.monotonic()
    logger.info(
        "sync of %s started (attempt %d, %s)", source.name, run.attempts, run.trigger
    )
    try:
        if source.kind == DirectorySource.Kind.LDIF:
            raise DirectoryConfigurationError(
                f"source {source.name} is an LDIF snapshot: it is read by importing "
                "a file, not by a sync"
            )
        _progress(run, 5, f"connecting to {source.name}")
        reading = {
            "computer": (10, "reading users"),
            "user": (30, "reading groups"),
            "group": (55, "following members outside the bases"),
        }

        def progress(kind, count):
            percent, phase = reading[kind]
            _progress(run, percent, phase)

        snapshot = read_ldap_snapshot(source, progress=progress)
        _progress(run, 75, "comparing with the stored directory and applying")
        counts = apply_snapshot(run, snapshot)
    except DirectoryError as exc:
        _finish_failed(
            run, str(exc), retryable=exc.retryable, final_attempt=final_attempt
        )
        if exc.retryable and not final_attempt:
            raise
        return
    except OperationalError as exc:
        _finish_failed(
            run,
            f"database error while syncing {source.name}: {exc}",
            retryable=True,
            final_attempt=final_attempt,
        )
        if not final_attempt:
            raise
        return
    except SoftTimeLimitExceeded:
        _finish_failed(
            run,
            f"the sync of {source.name} ran past its time limit; nothing was changed",
            retryable=False,
            final_attempt=True,
        )
        return
    except Exception as exc:
        logger.exception("sync of %s failed unexpectedly", source.name)
        _finish_failed(
            run,
            f"unexpected error while syncing {source.name}: "
            f"{type(exc).__name__}: {exc}",
            retryable=False,
            final_attempt=True,
        )
        return
    _finish_succeeded(
        run, counts, object_warnings(snapshot), time.monotonic() - started
    )


def _finish_succeeded(run, counts, warnings, seconds):
    counts["seconds"] = round(seconds, 3)
    logger.info(
        "sync of %s succeeded in %.1f s: %d computers, %d users, %d groups, "
        "%d edges (+%d -%d)",
        run.source.name,
        seconds,
        counts["computers"],
        counts["users"],
        counts["groups"],
        counts["edges"],
        counts["edges_added"],
        counts["edges_removed"],
    )
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        progress=100,
        phase="done",
        counts=counts,
        warnings=warnings,
        error="",
        retryable=False,
    )
    transaction.on_commit(
        lambda: sync_applied.send(sender=SyncRun, run=SyncRun.objects.get(pk=run.pk))
    )


def _finish_failed(run, message, *, retryable, final_attempt):
    if retryable and not final_attempt:
        logger.warning("%s; will try again", message)
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.QUEUED,
            phase="waiting to try again",
            error=message,
            retryable=True,
        )
        return
    logger.error("%s", message)
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        phase="failed",
        error=message,
        retryable=retryable,
    )


def ldif_import(*, source, path_or_file, started_by=None):
    """Import an LDIF file into ``source`` now, through the same apply path.

    A malformed file raises LdifError (with the line number) before anything
    is written; a refused or failed apply leaves the directory unchanged and
    ends the returned run as failed.
    """
    entries = parse_ldif(path_or_file)
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                source=source,
                trigger=SyncRun.Trigger.IMPORT,
                started_by=started_by,
                status=SyncRun.Status.RUNNING,
                started_at=timezone.now(),
                attempts=1,
                phase="importing",
            )
    except IntegrityError:
        active = SyncRun.objects.filter(
            source=source, status__in=SyncRun.ACTIVE_STATUSES
        ).first()
        raise SyncAlreadyRunning(active) from None
    started = time.monotonic()
    with run_log(run.pk):
        logger.info("importing %d LDIF entries into %s", len(entries), source.name)
        try:
            snapshot = read_ldif_snapshot(source, entries)
            counts = apply_snapshot(run, snapshot)
        except DirectoryError as exc:
            _finish_failed(run, str(exc), retryable=False, final_attempt=True)
        except Exception as exc:
            logger.exception("import into %s failed unexpectedly", source.name)
            _finish_failed(
                run,
                f"unexpected error while importing into {source.name}: "
                f"{type(exc).__name__}: {exc}",
                retryable=False,
                final_attempt=True,
            )
        else:
            _finish_succeeded(
                run, counts, object_warnings(snapshot), time.monotonic() - started
            )
    run.refresh_from_db()
    return run


def _schedule_name(source_pk):
    return f"directory-sync-{source_pk}"


def source_schedule_update(source):
    """Keep the source's periodic sync in step with its interval and enabled flag.

    Returns the PeriodicTask, or None when the source syncs only on demand.
    """
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    name = _schedule_name(source.pk)
    wanted = (
        source.enabled
        and source.sync_interval_minutes > 0
        and source.kind != DirectorySource.Kind.LDIF
    )
    if not wanted:
        PeriodicTask.objects.filter(name=name).delete()
        return None
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=source.sync_interval_minutes, period=IntervalSchedule.MINUTES
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": SCHEDULE_TASK,
            "interval": interval,
            "args": json.dumps([source.pk]),
            "enabled": True,
            "queue": settings.CELERY_TASK_DEFAULT_QUEUE,
            "description": f"Sync directory source {source.name}",
        },
    )
    return task


def source_delete(*, source):
    """Delete a source with everything read from it, and its schedule."""
    from django_celery_beat.models import PeriodicTask

    with transaction.atomic():
        PeriodicTask.objects.filter(name=_schedule_name(source.pk)).delete()
        source.delete()
