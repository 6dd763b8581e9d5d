"""The directory overview: sources with their last run and data age, counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.directory.factories import (
    ComputerFactory,
    DirectorySourceFactory,
    GroupFactory,
    SyncRunFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def source_row(body, name):
    start = body.index(f'data-source="{name}"')
    return body[start : body.index("</tr>", start)]


def test_overview_shows_freshness_against_each_staleness_limit(viewer_client):
    now = timezone.now()
    fresh = DirectorySourceFactory(
        name="fresh", last_success_at=now - timedelta(hours=2)
    )
    stale = DirectorySourceFactory(
        name="stale", last_success_at=now - timedelta(hours=5), staleness_limit_hours=4
    )
    DirectorySourceFactory(name="never")
    SyncRunFactory(source=fresh)
    SyncRunFactory(source=stale, status="failed", error="timed out")

    body = viewer_client.get(reverse("directory:index")).content.decode()

    assert 'data-freshness="fresh"' in source_row(body, "fresh")
    assert 'data-status="succeeded"' in source_row(body, "fresh")
    assert 'data-freshness="stale"' in source_row(body, "stale")
    assert 'data-status="failed"' in source_row(body, "stale")
    assert 'data-freshness="none"' in source_row(body, "never")
    assert "never run" in source_row(body, "never")


def test_overview_counts_live_and_deleted_objects_per_kind(viewer_client):
    source = DirectorySourceFactory(name="corp")
    ComputerFactory.create_batch(3, source=source)
    ComputerFactory(source=source, deleted_at=timezone.now())
    UserFactory.create_batch(2, source=source)
    GroupFactory(source=source)

    response = viewer_client.get(reverse("directory:index"))

    body = response.content.decode()
    assert '<div class="h2 mb-0" data-count="computer">3</div>' in body
    assert "1 deleted" in body
    assert '<div class="h2 mb-0" data-count="user">2</div>' in body
    row = source_row(body, "corp")
    assert f'{reverse("directory:computer_list")}?source={source.pk}">3<' in row


def test_overview_links_sources_only_for_admins(viewer_client):
    source = DirectorySourceFactory(name="corp")

    viewer_body = viewer_client.get(reverse("directory:index")).content.decode()

    assert source.get_absolute_url() not in viewer_body


def test_admin_overview_links_each_source(admin_client):
    source = DirectorySourceFactory(name="corp")

    body = admin_client.get(reverse("directory:index")).content.decode()

    assert source.get_absolute_url() in body
    assert reverse("directory:source_create") in body
