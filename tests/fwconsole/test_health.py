"""The health endpoint checks the database, the broker and a live worker."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def health(client):
    response = client.get(reverse("health"), {"format": "json"})
    return response.status_code, response.json()


def outcome(report, check_name):
    """Return the status the report gives for one check (keys are reprs)."""
    matches = [value for key, value in report.items() if key.startswith(check_name)]
    assert len(matches) == 1, report
    return matches[0]


@pytest.mark.worker
def test_health_is_ok_with_a_running_worker(client, celery_worker):
    status, report = health(client)

    assert status == 200, report
    assert outcome(report, "Database") == "OK"
    assert outcome(report, "Broker") == "OK"
    assert outcome(report, "Worker") == "OK"


@pytest.mark.worker
def test_health_fails_and_names_the_worker_when_none_runs(
    client, no_celery_worker, settings
):
    settings.FWCONSOLE_HEALTH_PING_SECONDS = 0.5

    status, report = health(client)

    assert status == 500
    assert outcome(report, "Database") == "OK"
    assert outcome(report, "Broker") == "OK"
    assert outcome(report, "Worker") == "Unavailable: Celery workers unavailable"


def test_health_fails_when_the_broker_is_unreachable(client, monkeypatch, settings):
    settings.FWCONSOLE_HEALTH_PING_SECONDS = 0.5
    # Nothing listens on port 1: a real refused connection, not a stub. Celery
    # reads this variable before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")

    status, report = health(client)

    assert status == 500
    assert outcome(report, "Database") == "OK"
    assert outcome(report, "Broker").startswith("Unavailable: broker unreachable")


def test_health_needs_no_sign_in(client):
    response = client.get(reverse("health"), {"format": "json"})

    assert response.status_code in (200, 500)
    assert "Database" in "".join(response.json())
