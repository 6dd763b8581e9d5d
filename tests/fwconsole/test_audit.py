"""Sign-ins, sign-outs, directory source changes and sync starts are in the
change log with their actor; the log page shows them as text."""

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from directory.models import DirectorySource, SyncRun
from directory.services import sync_request
from fwconsole.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def event(name):
    return LogEntry.objects.filter(additional_data__event=name)


def test_local_sign_in_and_sign_out_are_recorded_with_the_actor(make_user):
    user = make_user("lou", Role.VIEWER)
    client = Client(REMOTE_ADDR="192.0.2.10")

    client.post(reverse("login"), {"username": "lou", "password": PASSWORD})
    client.post(reverse("logout"))

    signed_in = event("signed in").get()
    assert (signed_in.actor, signed_in.remote_addr) == (user, "192.0.2.10")
    assert signed_in.additional_data["detail"] == "local account"
    assert event("signed out").get().actor == user


def test_sync_start_is_recorded_with_who_started_it(admin_user):
    source = DirectorySource.objects.create(name="corp", base_dn="DC=corp,DC=x")

    run = sync_request(
        source=source, trigger=SyncRun.Trigger.MANUAL, started_by=admin_user
    )

    entry = event("sync started").get()
    assert entry.actor == admin_user
    assert entry.object_pk == str(run.pk)
    assert entry.additional_data["detail"] == "trigger: Button"


def test_source_change_is_recorded_without_the_password(admin_client, admin_user):
    source = DirectorySource.objects.create(name="corp", base_dn="DC=corp,DC=x")

    response = admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        {
            "name": "corp",
            "kind": "ldif",
            "base_dn": "DC=corp,DC=example",
            "bind_password": "Hunter2-secret-value",
            "timeout_seconds": 30,
            "page_size": 500,
            "sync_interval_minutes": 0,
            "staleness_limit_hours": 24,
            "shrink_threshold_percent": 50,
            "verify_certificate": "on",
            "enabled": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    changes = LogEntry.objects.get_for_object(source).filter(
        additional_data__isnull=True
    )
    assert changes.filter(actor=admin_user).exists()
    secret = event("bind password changed").get()
    assert secret.actor == admin_user
    page = admin_client.get(reverse("changelog")).content.decode()
    assert "bind password changed" in page
    assert "Hunter2-secret-value" not in page
    assert not LogEntry.objects.filter(changes__icontains="Hunter2").exists()


def test_work_after_a_request_is_not_attributed_to_its_user(admin_client):
    admin_client.get(reverse("changelog"))
    source = DirectorySource.objects.create(name="corp", base_dn="DC=corp,DC=x")

    source.bind_password = "set-by-a-command"
    source.save()

    assert event("bind password changed").get().actor is None


def test_change_log_shows_hostile_names_as_text(admin_client):
    Client(REMOTE_ADDR="192.0.2.7").post(
        reverse("login"),
        {"username": '<script>fz()</script>"', "password": "x"},
    )

    page = admin_client.get(reverse("changelog")).content.decode()

    assert "<script>fz()</script>" not in page
    assert "&lt;script&gt;fz()&lt;/script&gt;&quot;" in page
    assert "anonymous" in page and "192.0.2.7" in page
