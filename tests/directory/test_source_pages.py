"""Directory source pages: admin only, write-only password, validation."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from directory.models import DirectorySource
from fwconsole.roles import Role
from tests.directory.factories import (
    ComputerFactory,
    DirectorySourceFactory,
    SyncRunFactory,
    create_many,
)

pytestmark = pytest.mark.django_db

BIND_PASSWORD = "Sw0rdf1sh-bind-9f27"

VALID_FORM = {
    "name": "corp",
    "kind": "ad",
    "enabled": "on",
    "server_urls": "ldaps://dc1.corp.example.test\nldaps://dc2.corp.example.test:636",
    "verify_certificate": "on",
    "bind_dn": "CN=svc-fwconsole,OU=Service,DC=corp,DC=example,DC=test",
    "bind_password": BIND_PASSWORD,
    "base_dn": "DC=corp,DC=example,DC=test",
    "computer_base": "OU=Workstations,DC=corp,DC=example,DC=test",
    "computer_filter": "(operatingSystem=Windows*)",
    "sync_interval_minutes": "60",
    "staleness_limit_hours": "24",
    "shrink_threshold_percent": "50",
    "timeout_seconds": "30",
    "page_size": "500",
}


def source_urls(source):
    return [
        ("get", reverse("directory:source_list")),
        ("get", reverse("directory:source_create")),
        ("get", reverse("directory:source_detail", args=[source.pk])),
        ("get", reverse("directory:source_update", args=[source.pk])),
        ("get", reverse("directory:source_delete", args=[source.pk])),
        ("get", reverse("directory:source_import", args=[source.pk])),
        ("post", reverse("directory:source_sync", args=[source.pk])),
        ("post", reverse("directory:source_test_connection", args=[source.pk])),
        ("post", reverse("directory:source_delete", args=[source.pk])),
    ]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_viewers_and_editors_are_refused_every_source_page(role_client, role):
    source = DirectorySourceFactory()
    client = role_client(role)

    for method, url in source_urls(source):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (method, url)

    assert DirectorySource.objects.filter(pk=source.pk).exists()


def test_admin_opens_every_source_page(admin_client):
    source = DirectorySourceFactory()

    for method, url in source_urls(source):
        if method == "get":
            assert admin_client.get(url).status_code == 200, url


def test_anonymous_visitor_is_sent_to_sign_in(client):
    source = DirectorySourceFactory()

    response = client.get(reverse("directory:source_detail", args=[source.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_viewer_does_not_see_the_sources_tab_or_add_button(viewer_client):
    response = viewer_client.get(reverse("directory:index"))

    body = response.content.decode()
    assert reverse("directory:source_list") not in body
    assert reverse("directory:source_create") not in body


def test_admin_creates_a_source_with_an_encrypted_password(admin_client):
    response = admin_client.post(reverse("directory:source_create"), VALID_FORM)

    source = DirectorySource.objects.get(name="corp")
    assert response.status_code == 302
    assert response["Location"] == source.get_absolute_url()
    assert source.bind_password == BIND_PASSWORD
    assert source.server_urls.splitlines() == [
        "ldaps://dc1.corp.example.test",
        "ldaps://dc2.corp.example.test:636",
    ]
    assert source.computer_filter == "(operatingSystem=Windows*)"
    assert source.staleness_limit_hours == 24


def test_stored_password_is_not_plain_text_in_the_database(admin_client):
    admin_client.post(reverse("directory:source_create"), VALID_FORM)

    with connection.cursor() as cursor:
        cursor.execute("SELECT bind_password FROM directory_directorysource")
        (stored,) = cursor.fetchone()
    assert stored
    assert BIND_PASSWORD not in stored


def test_password_never_appears_in_pages_api_or_logs(admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    admin_client.post(reverse("directory:source_create"), VALID_FORM)
    source = DirectorySource.objects.get(name="corp")

    urls = [
        reverse("directory:index"),
        reverse("directory:source_list"),
        reverse("directory:source_detail", args=[source.pk]),
        reverse("directory:source_update", args=[source.pk]),
        reverse("directory:source_delete", args=[source.pk]),
        reverse("api:directory-source-list"),
        reverse("api:directory-source-detail", args=[source.pk]),
    ]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert BIND_PASSWORD not in response.content.decode(), url

    invalid = {**VALID_FORM, "base_dn": "not a dn"}
    response = admin_client.post(
        reverse("directory:source_update", args=[source.pk]), invalid
    )
    assert response.status_code == 200
    assert BIND_PASSWORD not in response.content.decode()

    admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        {**VALID_FORM, "bind_password": BIND_PASSWORD + "-rotated"},
    )
    changelog = admin_client.get(reverse("changelog")).content.decode()
    assert "corp" in changelog
    assert BIND_PASSWORD not in changelog

    assert BIND_PASSWORD not in caplog.text
    for record in caplog.records:
        assert BIND_PASSWORD not in str(record.args)


def test_edit_form_shows_that_a_password_is_stored_without_its_value(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)

    response = admin_client.get(reverse("directory:source_update", args=[source.pk]))

    body = response.content.decode()
    assert "A password is stored" in body
    assert 'name="bind_password"' in body
    assert BIND_PASSWORD not in body


def edit_data(source, **changes):
    data = {
        **VALID_FORM,
        "name": source.name,
        "server_urls": source.server_urls,
        "bind_password": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_empty_password_on_edit_keeps_the_stored_one(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)

    response = admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(source, staleness_limit_hours="12"),
    )

    source.refresh_from_db()
    assert response.status_code == 302
    assert source.staleness_limit_hours == 12
    assert source.bind_password == BIND_PASSWORD


def test_a_new_server_needs_the_password_again(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)
    moved = "ldaps://dc1.corp.example.test\nldaps://elsewhere.example.net"

    response = admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(source, server_urls=moved),
    )

    source.refresh_from_db()
    assert response.status_code == 200
    assert (
        "enter the bind password again"
        in response.context["form"].errors["bind_password"][0]
    )
    assert source.server_urls == "ldaps://dc1.corp.example.test"


def test_a_new_server_with_the_password_given_again_is_saved(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)

    admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(
            source,
            server_urls="ldaps://dc2.corp.example.test",
            bind_password=BIND_PASSWORD,
        ),
    )

    source.refresh_from_db()
    assert source.server_urls == "ldaps://dc2.corp.example.test"
    assert source.bind_password == BIND_PASSWORD


def test_dropping_one_of_the_servers_keeps_the_stored_password(admin_client):
    source = DirectorySourceFactory(
        bind_password=BIND_PASSWORD,
        server_urls="ldaps://dc1.corp.example.test\nldaps://dc2.corp.example.test",
    )

    response = admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(source, server_urls="ldaps://DC2.corp.example.test"),
    )

    source.refresh_from_db()
    assert response.status_code == 302
    assert source.server_urls == "ldaps://DC2.corp.example.test"
    assert source.bind_password == BIND_PASSWORD


def test_new_password_on_edit_replaces_the_stored_one(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)

    admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(source, bind_password="rotated-2027"),
    )

    source.refresh_from_db()
    assert source.bind_password == "rotated-2027"


def test_naming_an_environment_variable_drops_the_stored_password(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)

    response = admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(source, bind_password_env="FWCONSOLE_CORP_BIND_PASSWORD"),
        follow=True,
    )

    source.refresh_from_db()
    assert not source.bind_password
    assert source.bind_password_env == "FWCONSOLE_CORP_BIND_PASSWORD"
    assert "is not set here" in response.content.decode()


def test_forgetting_the_password_allows_an_environment_variable_later(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)

    response = admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(source, forget_bind_password="on"),
    )

    source.refresh_from_db()
    assert response.status_code == 200
    assert "A bind DN needs a password" in response.content.decode()
    assert source.bind_password == BIND_PASSWORD


def field_errors(response):
    return response.context["form"].errors


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("base_dn", "corp.example.test", "Not a valid distinguished name"),
        ("computer_base", "OU=Work,,DC=corp", "Not a valid distinguished name"),
        ("computer_filter", "objectClass=computer", "Not a valid LDAP filter"),
        ("group_filter", "(&(cn=a)(cn=b)", "Not a valid LDAP filter"),
        ("server_urls", "https://dc1.corp.example.test", "must start with ldaps://"),
        ("server_urls", "ldaps://", "names no server"),
        ("server_urls", "ldaps://dc1:99999", "not a valid URL"),
        ("server_urls", "ldaps://dc1:0", "names port 0"),
        ("server_urls", "ldaps://svc:Secret1@dc1", "holds a user name or password"),
        ("server_urls", "ldaps://dc 1.corp.example.test", "does not name a server"),
        ("server_urls", "ldaps://<b>dc1</b>", "does not name a server"),
        ("server_urls", "ldaps://dc1..corp.example.test", "does not name a server"),
        ("server_urls", "ldaps://" + "d" * 300, "does not name a server"),
        ("server_urls", "ldaps://dc1/DC=corp", "must be only scheme, server and port"),
        ("server_urls", "ldap://dc1.corp.example.test", "unencrypted"),
        ("server_urls", "", "at least one URL"),
        ("bind_dn", "svc fwconsole", "Not a valid distinguished name"),
        ("bind_password_env", "1-BAD NAME", "environment variable name"),
        ("staleness_limit_hours", "0", "greater than or equal to 1"),
        ("shrink_threshold_percent", "101", "less than or equal to 100"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    admin_client, field, value, message
):
    response = admin_client.post(
        reverse("directory:source_create"), {**VALID_FORM, field: value}
    )

    assert response.status_code == 200
    errors = field_errors(response)
    assert field in errors, errors
    assert any(message in error for error in errors[field]), errors[field]
    assert f'data-field-error="{field}"' in response.content.decode()
    assert not DirectorySource.objects.exists()


def test_ldap_url_with_start_tls_is_accepted(admin_client):
    data = {
        **VALID_FORM,
        "server_urls": "ldap://dc1.corp.example.test:389",
        "start_tls": "on",
    }

    response = admin_client.post(reverse("directory:source_create"), data)

    assert response.status_code == 302
    assert DirectorySource.objects.get().start_tls is True


def test_start_tls_on_an_ldaps_url_is_refused(admin_client):
    response = admin_client.post(
        reverse("directory:source_create"), {**VALID_FORM, "start_tls": "on"}
    )

    assert "start_tls" in field_errors(response)
    assert not DirectorySource.objects.exists()


def test_bind_dn_without_any_password_is_refused(admin_client):
    data = {**VALID_FORM, "bind_password": ""}

    response = admin_client.post(reverse("directory:source_create"), data)

    assert "bind_password" in field_errors(response)
    assert not DirectorySource.objects.exists()


def test_password_and_environment_variable_together_are_refused(admin_client):
    data = {**VALID_FORM, "bind_password_env": "CORP_BIND"}

    response = admin_client.post(reverse("directory:source_create"), data)

    assert "Give either a password" in field_errors(response)["bind_password"][0]


@pytest.mark.parametrize("bind_name", ["svc-fw@corp.example.test", "CORP\\svc-fw"])
def test_active_directory_accepts_upn_and_down_level_bind_names(
    admin_client, bind_name
):
    response = admin_client.post(
        reverse("directory:source_create"), {**VALID_FORM, "bind_dn": bind_name}
    )

    assert response.status_code == 302
    assert DirectorySource.objects.get().bind_dn == bind_name


def test_generic_ldap_needs_a_dn_to_bind(admin_client):
    data = {**VALID_FORM, "kind": "ldap", "bind_dn": "svc-fw@corp.example.test"}

    response = admin_client.post(reverse("directory:source_create"), data)

    assert "bind_dn" in field_errors(response)


def test_ldif_snapshot_needs_no_server_or_credentials(admin_client):
    data = {
        "name": "offline",
        "kind": "ldif",
        "enabled": "on",
        "base_dn": "DC=corp,DC=example,DC=test",
        "sync_interval_minutes": "0",
        "staleness_limit_hours": "168",
        "shrink_threshold_percent": "50",
        "timeout_seconds": "30",
        "page_size": "500",
    }

    response = admin_client.post(reverse("directory:source_create"), data)

    assert response.status_code == 302
    assert DirectorySource.objects.get().kind == DirectorySource.Kind.LDIF


def test_turning_off_certificate_checks_saves_with_a_warning(admin_client):
    data = {key: value for key, value in VALID_FORM.items()}
    del data["verify_certificate"]

    response = admin_client.post(reverse("directory:source_create"), data, follow=True)

    assert DirectorySource.objects.get().verify_certificate is False
    assert "Certificate verification is off" in response.content.decode()


def test_delete_page_says_what_goes_and_post_deletes(admin_client):
    source = DirectorySourceFactory()
    ComputerFactory.create_batch(3, source=source)

    page = admin_client.get(reverse("directory:source_delete", args=[source.pk]))
    response = admin_client.post(reverse("directory:source_delete", args=[source.pk]))

    assert "3 computers" in page.content.decode()
    assert response.status_code == 302
    assert not DirectorySource.objects.exists()


def test_source_detail_shows_settings_and_its_runs(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)
    run = SyncRunFactory(source=source, status="failed", error="bind refused")

    response = admin_client.get(source.get_absolute_url())

    body = response.content.decode()
    assert "stored (encrypted)" in body
    assert reverse("directory:run_detail", args=[run.pk]) in body
    assert 'data-status="failed"' in body
    assert BIND_PASSWORD not in body


def test_source_list_query_count_does_not_grow_with_sources(
    admin_client, django_assert_max_num_queries
):
    DirectorySourceFactory.create_batch(3)
    with django_assert_max_num_queries(8):
        admin_client.get(reverse("directory:source_list"))

    DirectorySourceFactory.create_batch(30)
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("directory:source_list"))
    assert response.status_code == 200


def schedule_of(source):
    return PeriodicTask.objects.filter(name=f"directory-sync-{source.pk}").first()


def test_saving_a_source_keeps_its_beat_schedule_in_step(admin_client):
    admin_client.post(
        reverse("directory:source_create"),
        {**VALID_FORM, "sync_interval_minutes": "30"},
    )
    source = DirectorySource.objects.get(name="corp")
    assert schedule_of(source).interval.every == 30

    admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(source, sync_interval_minutes="120"),
    )
    assert schedule_of(source).interval.every == 120

    admin_client.post(
        reverse("directory:source_update", args=[source.pk]),
        edit_data(source, sync_interval_minutes="0"),
    )
    assert schedule_of(source) is None


def test_deleting_a_source_removes_its_schedule(admin_client):
    admin_client.post(reverse("directory:source_create"), VALID_FORM)
    source = DirectorySource.objects.get(name="corp")
    assert schedule_of(source) is not None

    admin_client.post(reverse("directory:source_delete", args=[source.pk]))

    assert schedule_of(source) is None


def test_source_list_shows_last_run_freshness_and_counts(admin_client):
    stale = DirectorySourceFactory(
        name="corp", last_success_at=timezone.now() - timedelta(hours=30)
    )
    SyncRunFactory(source=stale, status="failed", error="server down")
    ComputerFactory.create_batch(2, source=stale)

    body = admin_client.get(reverse("directory:source_list")).content.decode()

    assert 'data-status="failed"' in body
    assert "stale" in body
    assert "2 computers, 0 users, 0 groups" in body


def test_base_with_an_escaped_trailing_space_in_an_ou_name_is_accepted(admin_client):
    base = "OU=Kiosk Users\\ ,DC=corp,DC=example,DC=test"

    response = admin_client.post(
        reverse("directory:source_create"), {**VALID_FORM, "computer_base": base}
    )

    assert response.status_code == 302
    assert DirectorySource.objects.get().computer_base == base


@pytest.mark.parametrize("count", [10, 1000])
def test_source_detail_runs_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries, count
):
    source = DirectorySourceFactory()
    create_many(ComputerFactory, count, source=source)
    SyncRunFactory.create_batch(min(count, 40), source=source)

    with django_assert_max_num_queries(12):
        response = admin_client.get(source.get_absolute_url())

    assert response.context["status"].computer_count == count
