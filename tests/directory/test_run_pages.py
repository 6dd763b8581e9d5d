"""Sync run pages: lists, the run's page and its live progress part."""

import re

import pytest
from django.urls import reverse

from directory.models import SyncRun
from tests.directory.factories import (
    DirectorySourceFactory,
    SyncLogEntryFactory,
    SyncRunFactory,
)

pytestmark = pytest.mark.django_db


def test_run_list_filters_by_source_and_status(viewer_client):
    corp = DirectorySourceFactory(name="corp")
    lab = DirectorySourceFactory(name="lab")
    failed = SyncRunFactory(source=corp, status=SyncRun.Status.FAILED)
    SyncRunFactory(source=corp)
    lab_run = SyncRunFactory(source=lab)

    def listed(query):
        response = viewer_client.get(reverse("directory:run_list"), query)
        return {row.record.pk for row in response.context["table"].paginated_rows}

    assert listed({"status": "failed"}) == {failed.pk}
    assert listed({"source": lab.pk}) == {lab_run.pk}
    assert len(listed({})) == 3


def test_finished_run_page_shows_outcome_counts_and_log(viewer_client, admin_user):
    run = SyncRunFactory(
        started_by=admin_user,
        counts={
            "objects_added": 12,
            "objects_changed": 3,
            "objects_removed": 1,
            "edges_added": 40,
            "edges_changed": 0,
            "edges_removed": 2,
            "computers": 9,
            "users": 5,
            "groups": 2,
            "edges_unresolved": 1,
        },
        warnings=["group FW-App has 1 unresolved member"],
    )
    SyncLogEntryFactory(run=run, message="read 16 objects")

    response = viewer_client.get(run.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="succeeded"' in body
    assert admin_user.username in body
    assert "Button" in body
    objects_row = re.search(r'data-count-kind="objects">(.*?)</tr>', body).group(1)
    edges_row = re.search(r'data-count-kind="edges">(.*?)</tr>', body).group(1)
    assert re.findall(r"<td>(\d+)</td>", objects_row) == ["12", "3", "1"]
    assert re.findall(r"<td>(\d+)</td>", edges_row) == ["40", "0", "2"]
    assert "9 computers" in body
    assert "1 unresolved members" in body
    assert "group FW-App has 1 unresolved member" in body
    assert "read 16 objects" in body
    assert "hx-trigger" not in body


def test_failed_run_page_says_why_and_that_nothing_changed(viewer_client):
    run = SyncRunFactory(
        status=SyncRun.Status.FAILED,
        error="invalidCredentials: 80090308: LdapErr: DSID-0C09044E",
    )

    body = viewer_client.get(run.get_absolute_url()).content.decode()

    assert "data-run-error" in body
    assert "invalidCredentials" in body
    assert "left as it was" in body


def test_running_run_page_polls_its_progress_part(viewer_client):
    run = SyncRunFactory(status=SyncRun.Status.RUNNING, progress=40, phase="reading")

    body = viewer_client.get(run.get_absolute_url()).content.decode()

    progress_url = reverse("directory:run_progress", args=[run.pk])
    assert f'hx-get="{progress_url}"' in body
    assert re.search(r'hx-trigger="every [12]s"', body)
    assert 'data-progress="40"' in body


def test_progress_part_keeps_polling_while_the_run_is_active(viewer_client):
    run = SyncRunFactory(status=SyncRun.Status.RUNNING, progress=55, phase="applying")
    SyncLogEntryFactory(run=run, message="applied 500 of 900 objects")

    response = viewer_client.get(
        reverse("directory:run_progress", args=[run.pk]), HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-progress="55"' in body
    assert "applied 500 of 900 objects" in body
    assert "<html" not in body


def test_progress_part_answers_286_once_the_run_has_finished(viewer_client):
    run = SyncRunFactory(status=SyncRun.Status.RUNNING, progress=90)
    url = reverse("directory:run_progress", args=[run.pk])
    assert viewer_client.get(url).status_code == 200

    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.SUCCEEDED, progress=100
    )
    response = viewer_client.get(url, HTTP_HX_REQUEST="true")

    assert response.status_code == 286
    assert 'data-progress="100"' in response.content.decode()


def test_progress_part_answers_286_for_a_failed_run(viewer_client):
    run = SyncRunFactory(status=SyncRun.Status.FAILED, error="timed out")

    response = viewer_client.get(reverse("directory:run_progress", args=[run.pk]))

    assert response.status_code == 286
    assert "timed out" in response.content.decode()


def test_run_pages_have_no_inline_script_or_style(viewer_client):
    run = SyncRunFactory(status=SyncRun.Status.RUNNING, progress=30)
    pages = [
        viewer_client.get(run.get_absolute_url()),
        viewer_client.get(reverse("directory:run_progress", args=[run.pk])),
        viewer_client.get(reverse("directory:run_list")),
    ]

    for response in pages:
        body = response.content.decode()
        assert "style=" not in body
        assert "<style" not in body
        for script in re.findall(r"<script[^>]*>", body):
            assert "src=" in script


def test_log_tail_is_limited_and_links_the_whole_log(viewer_client):
    run = SyncRunFactory()
    for number in range(250):
        SyncLogEntryFactory(run=run, message=f"line {number:03d}")

    page = viewer_client.get(run.get_absolute_url()).content.decode()
    whole = viewer_client.get(reverse("directory:run_log", args=[run.pk]))

    assert "line 249" in page
    assert "line 000" not in page
    assert "last 200 of 250 lines" in page
    text = b"".join(whole.streaming_content).decode()
    assert whole["Content-Type"].startswith("text/plain")
    assert "line 000" in text
    assert text.count("\n") == 250


def test_hostile_log_lines_are_escaped(viewer_client):
    run = SyncRunFactory()
    SyncLogEntryFactory(run=run, message="<script>alert('log')</script>")

    body = viewer_client.get(run.get_absolute_url()).content.decode()

    assert "<script>alert('log')</script>" not in body
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize("count", [10, 300])
def test_run_pages_run_a_bounded_number_of_queries(
    viewer_client, django_assert_max_num_queries, count
):
    source = DirectorySourceFactory()
    runs = SyncRunFactory.create_batch(count, source=source)
    SyncLogEntryFactory.create_batch(count, run=runs[0])

    with django_assert_max_num_queries(10):
        viewer_client.get(reverse("directory:run_list"))
    with django_assert_max_num_queries(10):
        viewer_client.get(runs[0].get_absolute_url())
