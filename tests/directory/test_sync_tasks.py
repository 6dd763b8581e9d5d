"""Sync runs on real Celery workers (subprocesses on Redis), one run at a time
per source, and the per-source schedules."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_celery_beat.models import PeriodicTask

from directory.models import DirectorySource, SyncLogEntry, SyncRun
from directory.services import (
    source_delete,
    source_schedule_update,
    sync_request,
    sync_run_execute,
)
from directory.tasks import sync_directory_source, sync_directory_source_scheduled
from fwconsole.celery import app
from tests import services as test_services
from tests.directory.conftest import make_samba_source


def wait_for_finish(run_ids, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list(SyncRun.objects.filter(pk__in=run_ids))
        if runs and all(not run.is_active for run in runs):
            return runs
        time.sleep(0.3)
    pytest.fail(f"runs {run_ids} did not finish within {timeout} s")


@pytest.fixture
def second_worker(celery_worker):
    """Another worker process beside the session's, on the same queue."""
    worker = test_services.WorkerProcess(app)
    worker.hostname = f"second-{worker.hostname}"
    worker.log_path = worker.log_path.with_name(f"second-{worker.log_path.name}")
    worker.start()
    yield worker
    worker.stop()


@pytest.mark.worker
@pytest.mark.samba
def test_two_requests_at_once_with_two_workers_give_one_run(
    celery_worker, second_worker, samba_env, samba_domain
):
    source = make_samba_source(samba_env, samba_domain.base)
    barrier = threading.Barrier(2)

    def request(_):
        barrier.wait()
        try:
            return sync_request(source=source, trigger=SyncRun.Trigger.MANUAL).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        run_ids = set(pool.map(request, range(2)))

    assert len(run_ids) == 1
    (run,) = wait_for_finish(run_ids)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.attempts == 1
    assert SyncRun.objects.filter(source=source).count() == 1
    assert run.counts["computers"] > 20
    assert SyncLogEntry.objects.filter(run=run, message__startswith="sync of").exists()


@pytest.mark.worker
@pytest.mark.samba
def test_a_run_delivered_to_two_workers_runs_once(
    celery_worker, second_worker, samba_env, samba_domain
):
    source = make_samba_source(samba_env, samba_domain.base)
    run = SyncRun.objects.create(source=source, trigger=SyncRun.Trigger.API)

    sync_directory_source.delay(run.pk)
    sync_directory_source.delay(run.pk)
    (run,) = wait_for_finish([run.pk])
    time.sleep(1)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.attempts == 1
    started = SyncLogEntry.objects.filter(run=run, message__startswith="sync of")
    assert started.filter(message__contains="started").count() == 1
    assert run.progress == 100


@pytest.mark.worker
def test_bad_configuration_fails_on_the_worker_without_retry(celery_worker):
    source = DirectorySource.objects.create(
        name="nowhere",
        server_urls="ldaps://no-such-host.invalid",
        base_dn="DC=corp,DC=example,DC=test",
    )
    source.server_urls = "gopher://nowhere"
    source.save()

    run = sync_request(source=source, trigger=SyncRun.Trigger.API)
    (run,) = wait_for_finish([run.pk], timeout=60)

    assert run.status == SyncRun.Status.FAILED
    assert "not an ldap:// or ldaps:// URL" in run.error
    assert (run.retryable, run.attempts) == (False, 1)


@pytest.mark.django_db
def test_a_second_request_returns_the_active_run(django_capture_on_commit_callbacks):
    source = DirectorySource.objects.create(name="corp", base_dn="DC=corp,DC=test")

    with django_capture_on_commit_callbacks() as callbacks:
        first = sync_request(source=source, trigger=SyncRun.Trigger.MANUAL)
        second = sync_request(
            source=source, trigger=SyncRun.Trigger.API, allow_shrink=True
        )

    assert second.pk == first.pk
    assert SyncRun.objects.filter(source=source).count() == 1
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_schedule_follows_the_source_interval_and_enabled_flag():
    source = DirectorySource.objects.create(
        name="corp", base_dn="DC=corp,DC=test", sync_interval_minutes=30
    )

    task = source_schedule_update(source)
    assert (task.interval.every, task.interval.period, task.enabled) == (
        30,
        "minutes",
        True,
    )
    assert task.task == "directory.tasks.sync_directory_source_scheduled"
    assert task.args == f"[{source.pk}]"

    source.sync_interval_minutes = 15
    source.save()
    task = source_schedule_update(source)
    assert PeriodicTask.objects.filter(name=task.name).get().interval.every == 15

    source.enabled = False
    source.save()
    assert source_schedule_update(source) is None
    assert not PeriodicTask.objects.filter(name=task.name).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields", [{"sync_interval_minutes": 0}, {"kind": DirectorySource.Kind.LDIF}]
)
def test_sources_synced_only_on_demand_have_no_schedule(fields):
    source = DirectorySource.objects.create(
        name="corp", base_dn="DC=corp,DC=test", **fields
    )

    assert source_schedule_update(source) is None
    assert not PeriodicTask.objects.exists()


@pytest.mark.django_db
def test_scheduled_task_only_queues_a_run(django_capture_on_commit_callbacks):
    source = DirectorySource.objects.create(name="corp", base_dn="DC=corp,DC=test")
    disabled = DirectorySource.objects.create(
        name="old", base_dn="DC=old,DC=test", enabled=False
    )

    with django_capture_on_commit_callbacks() as callbacks:
        sync_directory_source_scheduled(source.pk)
        sync_directory_source_scheduled(disabled.pk)

    (run,) = SyncRun.objects.all()
    assert (run.source, run.trigger, run.status) == (source, "schedule", "queued")
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_deleting_a_source_removes_its_schedule():
    source = DirectorySource.objects.create(name="corp", base_dn="DC=corp,DC=test")
    source_schedule_update(source)

    source_delete(source=source)

    assert not PeriodicTask.objects.exists()
    assert not DirectorySource.objects.exists()


@pytest.mark.django_db
def test_an_ldif_source_cannot_be_synced_only_imported():
    source = DirectorySource.objects.create(
        name="offline", kind=DirectorySource.Kind.LDIF, base_dn="DC=corp,DC=test"
    )
    run = SyncRun.objects.create(source=source, trigger=SyncRun.Trigger.MANUAL)

    run = sync_run_execute(run_id=run.pk)

    assert run.status == SyncRun.Status.FAILED
    assert "LDIF snapshot" in run.error
