"""In Debian's Chromium: the run page follows a running sync live and stops
polling once the run has finished, with no script or CSP error."""

import re
import time

import pytest
from playwright.sync_api import expect

from directory.models import SyncLogEntry, SyncRun
from tests.directory.factories import SyncRunFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_run_page_updates_live_and_stops_polling_when_done(viewer_page, live_server):
    run = SyncRunFactory(
        status=SyncRun.Status.RUNNING, progress=20, phase="reading users"
    )
    page = viewer_page
    errors = []
    polls = []
    page.on(
        "console",
        lambda message: message.type == "error" and errors.append(message.text),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: "/progress/" in request.url and polls.append(request.url),
    )

    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    bar = page.locator(".progress-bar")
    expect(bar).to_have_attribute("data-progress", "20")
    expect(bar).to_have_attribute("style", re.compile(r"width:\s*20%"))

    SyncRun.objects.filter(pk=run.pk).update(progress=60, phase="applying")
    SyncLogEntry.objects.create(
        run=run, level="INFO", message="applied <b>500</b> objects"
    )
    expect(bar).to_have_attribute("data-progress", "60", timeout=10_000)
    expect(bar).to_have_attribute("style", re.compile(r"width:\s*60%"))
    expect(page.locator("[data-run-log]")).to_contain_text("applied <b>500</b> objects")

    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.SUCCEEDED, progress=100, phase="done"
    )
    expect(page.locator("[data-run-status]")).to_have_attribute(
        "data-run-status", "succeeded", timeout=10_000
    )
    expect(bar).to_have_attribute("style", re.compile(r"width:\s*100%"))
    polls_at_finish = len(polls)
    time.sleep(3)

    assert len(polls) == polls_at_finish
    assert polls_at_finish >= 2
    assert errors == []
