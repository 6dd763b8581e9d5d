"""Source actions on the sync services: sync now, test connection, LDIF upload."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory import services
from directory.models import DirectoryObject, DirectorySource, SyncRun
from tests.directory.factories import DirectorySourceFactory, SyncRunFactory
from tests.directory.ldif_samples import (
    BASE_DN,
    MALFORMED,
    b64,
    computer,
    nested_export,
)

pytestmark = pytest.mark.django_db


def test_sync_now_queues_a_manual_run_and_opens_its_page(admin_client, admin_user):
    source = DirectorySourceFactory()

    response = admin_client.post(reverse("directory:source_sync", args=[source.pk]))

    run = SyncRun.objects.get(source=source)
    assert response.status_code == 302
    assert response["Location"] == run.get_absolute_url()
    assert run.status == SyncRun.Status.QUEUED
    assert run.trigger == SyncRun.Trigger.MANUAL
    assert run.started_by == admin_user
    assert run.allow_shrink is False


def test_the_sync_now_notice_stays_true_once_the_run_is_over(admin_client):
    source = DirectorySourceFactory(name="corp")
    response = admin_client.post(reverse("directory:source_sync", args=[source.pk]))
    run = SyncRun.objects.get(source=source)
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED)

    page = admin_client.get(response["Location"]).content.decode()

    assert f"Sync of corp requested: run #{run.pk}." in page
    assert "is queued" not in page


def test_sync_now_can_allow_shrinking_for_this_run_only(admin_client):
    source = DirectorySourceFactory()

    admin_client.post(
        reverse("directory:source_sync", args=[source.pk]), {"allow_shrink": "on"}
    )

    assert SyncRun.objects.get(source=source).allow_shrink is True
    source.refresh_from_db()
    assert source.shrink_threshold_percent == 50


def test_second_click_while_a_run_is_queued_gives_the_same_run(admin_client):
    source = DirectorySourceFactory()
    url = reverse("directory:source_sync", args=[source.pk])

    first = admin_client.post(url)
    second = admin_client.post(url, follow=True)

    assert SyncRun.objects.filter(source=source).count() == 1
    assert second.redirect_chain[0][0] == first["Location"]


def test_source_page_points_at_the_active_run(admin_client):
    source = DirectorySourceFactory()
    run = SyncRunFactory(source=source, status=SyncRun.Status.RUNNING)

    body = admin_client.get(source.get_absolute_url()).content.decode()

    assert f'Run <a href="{run.get_absolute_url()}">#{run.pk}</a> is running' in body


def test_api_sync_action_queues_a_run_for_admins(admin_client, admin_user):
    source = DirectorySourceFactory()

    response = admin_client.post(
        reverse("api:directory-source-sync", args=[source.pk]),
        {"allow_shrink": True},
        content_type="application/json",
    )

    assert response.status_code == 202
    run = SyncRun.objects.get(source=source)
    assert response.json()["id"] == run.pk
    assert response.json()["status"] == "queued"
    assert run.trigger == SyncRun.Trigger.API
    assert run.started_by == admin_user
    assert run.allow_shrink is True


def test_connection_test_names_the_tcp_step_when_nothing_listens(admin_client):
    source = DirectorySourceFactory(
        server_urls="ldaps://127.0.0.1:1", timeout_seconds=3
    )

    response = admin_client.post(
        reverse("directory:source_test_connection", args=[source.pk]),
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'data-failed-step="TCP"' in body
    assert 'data-step="DNS" data-ok="true"' in body
    assert 'data-step="bind" data-ok="skipped"' in body


def test_connection_test_names_the_dns_step_for_an_unknown_host(admin_client):
    source = DirectorySourceFactory(
        server_urls="ldaps://no-such-dc.invalid", timeout_seconds=3
    )

    response = admin_client.post(
        reverse("directory:source_test_connection", args=[source.pk])
    )

    body = response.content.decode()
    assert "<html" in body
    assert 'data-failed-step="DNS"' in body


def test_connection_test_refuses_get(admin_client):
    source = DirectorySourceFactory()

    response = admin_client.get(
        reverse("directory:source_test_connection", args=[source.pk])
    )

    assert response.status_code == 405


def ldif_source():
    return DirectorySourceFactory(
        name="offline", kind=DirectorySource.Kind.LDIF, base_dn=BASE_DN, server_urls=""
    )


def upload(text, name="export.ldf"):
    return SimpleUploadedFile(name, text.encode("utf-8"), "application/octet-stream")


def test_ldif_upload_imports_and_opens_the_run(admin_client, admin_user):
    source = ldif_source()

    response = admin_client.post(
        reverse("directory:source_import", args=[source.pk]),
        {"ldif_file": upload(nested_export())},
    )

    run = SyncRun.objects.get(source=source)
    assert response.status_code == 302
    assert response["Location"] == run.get_absolute_url()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.trigger == SyncRun.Trigger.IMPORT
    assert run.started_by == admin_user
    assert DirectoryObject.objects.filter(source=source).count() == 9


def test_malformed_ldif_upload_names_the_line_and_changes_nothing(admin_client):
    source = ldif_source()
    admin_client.post(
        reverse("directory:source_import", args=[source.pk]),
        {"ldif_file": upload(nested_export())},
    )
    before = list(DirectoryObject.objects.values_list("pk", "dn", "deleted_at"))
    runs_before = SyncRun.objects.count()

    response = admin_client.post(
        reverse("directory:source_import", args=[source.pk]),
        {"ldif_file": upload(MALFORMED, name="broken.ldf")},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["ldif_file"]
    assert "broken.ldf, line 4" in errors[0]
    assert "Nothing was changed" in errors[0]
    assert 'data-field-error="ldif_file"' in response.content.decode()
    assert list(DirectoryObject.objects.values_list("pk", "dn", "deleted_at")) == before
    assert SyncRun.objects.count() == runs_before


def test_ldif_upload_is_refused_while_a_run_is_active(admin_client):
    source = ldif_source()
    SyncRunFactory(source=source, status=SyncRun.Status.RUNNING)

    response = admin_client.post(
        reverse("directory:source_import", args=[source.pk]),
        {"ldif_file": upload(nested_export())},
    )

    assert "already has run" in response.context["form"].errors["ldif_file"][0]
    assert not DirectoryObject.objects.exists()


def test_imported_directory_shows_on_the_group_page_with_chains(admin_client):
    source = ldif_source()
    admin_client.post(
        reverse("directory:source_import", args=[source.pk]),
        {"ldif_file": upload(nested_export())},
    )
    top = DirectoryObject.objects.get(source=source, name="FW-Bypass-App01")
    kiosk = DirectoryObject.objects.get(source=source, name="KIOSK-0407")

    response = admin_client.get(top.get_absolute_url())

    rows = {row.obj.pk: row for row in response.context["transitive_page"]}
    assert rows[kiosk.pk].depth == 3
    body = response.content.decode()
    assert "CN=WS1099,OU=Gone" in body
    assert "Unresolved" in body


def test_a_nul_inside_a_base64_text_value_is_stored_as_a_replacement_character():
    # A directory can hold any bytes in a description; PostgreSQL text cannot
    # hold NUL, so the value is kept readable instead of failing the whole run.
    source = DirectorySourceFactory(kind=DirectorySource.Kind.LDIF, base_dn=BASE_DN)
    description = "description:: " + b64(b"Lab\x00PC")
    machine = computer("WS0999", 1299).replace(
        "cn: WS0999\n", f"cn: WS0999\n{description}\n"
    )
    export = nested_export() + "\n" + machine

    run = services.ldif_import(source=source, path_or_file=io.BytesIO(export.encode()))

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    stored = DirectoryObject.objects.get(source=source, name="WS0999")
    assert stored.description == "Lab\ufffdPC"
