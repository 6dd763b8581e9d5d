"""The health endpoint checks the database, the broker and a live worker."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from tests.services import ROOT, database_url_for_subprocess

pytestmark = pytest.mark.django_db


def health(client):
    response = client.get(reverse("health"), {"format": "json"})
    return response.status_code, response.json()


def health_over_http(live_server):
    """GET /health/ from the live server, as a load balancer would.

    The endpoint is an async view. After a Playwright test the main thread
    keeps Playwright's event loop, where the test client cannot run an async
    view; the live server's own thread can.
    """
    opener = urllib.request.build_opener()
    try:
        with opener.open(f"{live_server.url}/health/?format=json", timeout=30) as got:
            return got.status, json.load(got)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def outcome(report, check_name):
    """Return the status the report gives for one check (keys are reprs)."""
    matches = [value for key, value in report.items() if key.startswith(check_name)]
    assert len(matches) == 1, report
    return matches[0]


@pytest.mark.worker
def test_health_is_ok_with_a_running_worker(live_server, celery_worker):
    status, report = health_over_http(live_server)

    assert status == 200, report
    assert outcome(report, "Database") == "OK"
    assert outcome(report, "Broker") == "OK"
    assert outcome(report, "Worker") == "OK"


@pytest.mark.worker
def test_health_fails_and_names_the_worker_when_none_runs(
    live_server, no_celery_worker
):
    status, report = health_over_http(live_server)

    assert status == 500
    assert outcome(report, "Database") == "OK"
    assert outcome(report, "Broker") == "OK"
    assert outcome(report, "Worker") == "Unavailable: Celery workers unavailable"


def test_health_fails_when_the_broker_is_unreachable():
    # Nothing listens on port 1: a real refused connection, not a stub. A
    # separate process keeps the refused connection out of this one's pools.
    env = {
        **os.environ,
        "FWCONSOLE_BROKER_URL": "redis://127.0.0.1:1/0",
        "FWCONSOLE_DATABASE_URL": database_url_for_subprocess(),
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "health_check", "health", "--no-http"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    report = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert outcome(report, "Database") == "OK"
    assert outcome(report, "Broker").startswith("Unavailable: broker unreachable")


def test_health_needs_no_sign_in(client):
    response = client.get(reverse("health"), {"format": "json"})

    assert response.status_code in (200, 500)
    assert "Database" in "".join(response.json())
