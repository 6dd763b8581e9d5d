"""Directory bind passwords: encrypted at rest with a key from the environment,
never rendered, never in logs, the change log, exports or API answers, after
a sync against the Samba DC and after one that fails."""

import logging
import secrets

import pytest
from auditlog.models import LogEntry
from django.db import connection

from directory.models import DirectoryObject, DirectorySource, SyncLogEntry, SyncRun
from directory.services import sync_request, sync_run_execute
from tests.fwconsole import fuzz

pytestmark = pytest.mark.django_db


def raw_column(source):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT bind_password FROM {DirectorySource._meta.db_table} WHERE id = %s",  # noqa: S608
            [source.pk],
        )
        return cursor.fetchone()[0]


def make_source(ou, bind_dn, password, name="fwsec-samba"):
    return DirectorySource.objects.create(
        name=name,
        kind=DirectorySource.Kind.ACTIVE_DIRECTORY,
        server_urls=ou.url,
        ca_file=ou.ca_file,
        bind_dn=bind_dn,
        bind_password=password,
        base_dn=ou.dn,
        shrink_threshold_percent=100,
    )


def places_holding(text, client):
    """Every place a secret must never be: logs of the runs, the change log,
    every page, export and API answer the admin can reach."""
    found = []
    for entry in SyncLogEntry.objects.all():
        if text in entry.message:
            found.append(f"sync log line {entry.pk}")
    for run in SyncRun.objects.all():
        if text in f"{run.error} {run.phase} {run.warnings} {run.counts}":
            found.append(f"run {run.pk}")
    for entry in LogEntry.objects.all():
        if text in f"{entry.changes} {entry.object_repr} {entry.additional_data}":
            found.append(f"change log entry {entry.pk}")
    start = fuzz.no_argument_paths_of_site() + [
        source.get_absolute_url() for source in DirectorySource.objects.all()
    ]
    visited, _forms, _errors = fuzz.crawl(client, start, per_route=3)
    for path, response in visited.items():
        if text in fuzz.body_of(response):
            found.append(path)
    return found


def test_bind_password_is_encrypted_at_rest():
    password = "Bind-" + secrets.token_urlsafe(12)
    source = DirectorySource.objects.create(
        name="at-rest", base_dn="DC=corp,DC=example", bind_password=password
    )

    stored = raw_column(source)

    assert stored and password not in stored
    assert DirectorySource.objects.get(pk=source.pk).bind_password == password


def test_bind_password_is_never_rendered(admin_client, every_page):
    password = "Bind-" + secrets.token_urlsafe(12)
    DirectorySource.objects.update(bind_password=password)
    DirectorySource.objects.create(
        name="rendered", base_dn="DC=corp,DC=example", bind_password=password
    )

    assert places_holding(password, admin_client) == []


@pytest.mark.samba
def test_bind_password_stays_secret_after_a_sync_and_a_failed_sync(
    admin_client, samba_ou, caplog
):
    password = "Svc-" + secrets.token_urlsafe(12)
    wrong = "Wrong-" + secrets.token_urlsafe(12)
    _sam, service_dn = samba_ou.add_user("sync-", password)
    _sam, user_dn = samba_ou.add_user("member-", "User-pass-2026!")
    samba_ou.add_group("grp-", members=[user_dn])
    good = make_source(samba_ou, service_dn, password)
    bad = make_source(samba_ou, service_dn, wrong, name="fwsec-samba-wrong")

    with caplog.at_level(logging.DEBUG):
        ran = sync_request(source=good, trigger=SyncRun.Trigger.MANUAL)
        sync_run_execute(run_id=ran.pk)
        failed = sync_request(source=bad, trigger=SyncRun.Trigger.MANUAL)
        sync_run_execute(run_id=failed.pk)

    ran.refresh_from_db()
    failed.refresh_from_db()
    assert ran.status == SyncRun.Status.SUCCEEDED, ran.error
    assert DirectoryObject.objects.filter(source=good, dn__iexact=user_dn).exists()
    assert failed.status == SyncRun.Status.FAILED
    assert failed.error
    assert password not in caplog.text and wrong not in caplog.text
    assert places_holding(password, admin_client) == []
    assert places_holding(wrong, admin_client) == []
    assert password not in raw_column(good)


def test_bind_password_change_is_recorded_without_its_value(admin_client):
    source = DirectorySource.objects.create(name="audited", base_dn="DC=corp,DC=x")
    password = "Bind-" + secrets.token_urlsafe(12)

    source.bind_password = password
    source.save()

    entry = LogEntry.objects.get(additional_data__event="bind password changed")
    assert entry.additional_data["detail"] == "set"
    assert places_holding(password, admin_client) == []


@pytest.mark.parametrize(
    "name",
    ["FWCONSOLE_SECRET_KEY", "DATABASE_URL", "fwconsole_auth_ldap_bind_password"],
)
def test_source_cannot_send_the_consoles_own_secrets_as_bind_password(
    admin_client, name
):
    from django.urls import reverse

    response = admin_client.post(
        reverse("directory:source_create"),
        {
            "name": "exfil",
            "kind": "ad",
            "server_urls": "ldaps://attacker.example",
            "base_dn": "DC=corp,DC=example",
            "bind_dn": "CN=x,DC=corp,DC=example",
            "bind_password_env": name,
            "timeout_seconds": 30,
            "page_size": 500,
            "sync_interval_minutes": 0,
            "staleness_limit_hours": 24,
            "shrink_threshold_percent": 50,
            "verify_certificate": "on",
        },
    )

    assert response.status_code in (200, 400)
    assert 'data-field-error="bind_password_env"' in response.content.decode()
    assert not DirectorySource.objects.filter(name="exfil").exists()
