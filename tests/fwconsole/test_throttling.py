"""Repeated failed sign-ins are throttled per account and per address, shown a
clear page, logged without the password and recorded in the change log."""

import logging

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from fwconsole.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "Wrong-Pa55word!"


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def attempt(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def fail(client, username, times, address="10.0.0.1"):
    for _ in range(times):
        response = attempt(client, username, WRONG, address)
    return response


def test_account_is_throttled_after_repeated_failures(client, make_user, limit):
    make_user("alice", Role.VIEWER)

    fail(client, "alice", limit)
    response = attempt(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert SESSION_KEY not in client.session


def test_throttled_account_is_refused_from_any_address(client, make_user, limit):
    make_user("alice", Role.VIEWER)

    fail(client, "alice", limit, address="10.0.0.1")

    assert attempt(client, "alice", PASSWORD, address="10.9.9.9").status_code == 429


def test_address_is_throttled_across_accounts(client, make_user, limit):
    make_user("bob", Role.VIEWER)

    for name in ("x1", "x2", "x3")[:limit]:
        fail(client, name, 1, address="10.0.0.7")

    assert attempt(client, "bob", PASSWORD, address="10.0.0.7").status_code == 429
    assert attempt(client, "bob", PASSWORD, address="10.0.0.8").status_code == 302


def test_case_and_spaces_do_not_dodge_the_account_counter(client, make_user, limit):
    make_user("carol", Role.VIEWER)

    for index, typed in enumerate(["Carol", "carol ", "CAROL"][:limit]):
        fail(client, typed, 1, address=f"10.1.0.{index}")

    assert attempt(client, "carol", PASSWORD, address="10.2.0.1").status_code == 429


def test_success_before_the_limit_resets_the_count(client, make_user, limit):
    make_user("dave", Role.VIEWER)

    fail(client, "dave", limit - 1)
    assert attempt(client, "dave", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    fail(client, "dave", limit - 1)

    assert attempt(client, "dave", PASSWORD).status_code == 302


def test_failed_sign_in_is_logged_without_the_password(client, make_user, caplog):
    make_user("erin", Role.VIEWER)

    with caplog.at_level(logging.INFO):
        response = attempt(client, "erin\nforged line", WRONG)

    assert response.status_code == 200
    messages = [
        record for record in caplog.records if record.name == "fwconsole.auth.receivers"
    ]
    assert len(messages) == 1
    assert messages[0].levelno == logging.WARNING
    assert "'erin\\nforged line'" in messages[0].getMessage()
    assert "10.0.0.1" in messages[0].getMessage()
    assert WRONG not in caplog.text


def test_failures_and_lockout_are_in_the_change_log(client, make_user, limit):
    user = make_user("frank", Role.VIEWER)

    fail(client, "frank", limit + 1)

    failures = LogEntry.objects.filter(additional_data__event="sign-in failed")
    assert failures.count() == limit + 1
    assert {entry.object_pk for entry in failures} == {str(user.pk)}
    assert {entry.remote_addr for entry in failures} == {"10.0.0.1"}
    assert failures.filter(additional_data__detail__startswith="throttled").exists()
    lockouts = LogEntry.objects.filter(additional_data__event="sign-in throttled")
    assert lockouts.exists()
    assert {entry.object_repr for entry in lockouts} == {"frank"}


def test_unknown_account_failures_are_recorded_by_the_typed_name(client):
    attempt(client, "<script>alert(1)</script>", WRONG)

    entry = LogEntry.objects.get(additional_data__event="sign-in failed")
    assert entry.object_pk == ""
    assert entry.object_repr == "<script>alert(1)</script>"
    assert entry.actor is None


def test_forged_forwarded_for_header_neither_dodges_nor_breaks_throttling(
    client, make_user, limit
):
    make_user("gina", Role.VIEWER)

    for index in range(limit):
        client.post(
            reverse("login"),
            {"username": f"y{index}", "password": WRONG},
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{index}, not-an-address",
        )

    response = attempt(client, "gina", PASSWORD, address="10.0.0.5")
    assert response.status_code == 429
    assert set(
        LogEntry.objects.filter(additional_data__event="sign-in failed").values_list(
            "remote_addr", flat=True
        )
    ) == {"10.0.0.5"}


def test_address_from_the_console_proxy_is_used_behind_it(
    client, make_user, settings, limit
):
    settings.FWCONSOLE_BEHIND_PROXY = True
    make_user("hank", Role.VIEWER)

    for index in range(limit):
        client.post(
            reverse("login"),
            {"username": f"z{index}", "password": WRONG},
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{index}, 198.51.100.9",
        )

    locked = client.post(
        reverse("login"),
        {"username": "hank", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    other = client.post(
        reverse("login"),
        {"username": "hank", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="198.51.100.10",
    )
    assert locked.status_code == 429
    assert other.status_code == 302


def basic_auth(username, password):
    import base64

    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}", "REMOTE_ADDR": "10.3.0.1"}


def test_api_basic_auth_counts_towards_the_same_throttle(client, make_user, limit):
    make_user("ivy", Role.VIEWER)
    assert client.get("/api/servers/", **basic_auth("ivy", PASSWORD)).status_code == 200

    for _ in range(limit):
        refused = client.get("/api/servers/", **basic_auth("ivy", WRONG))
    locked = client.get("/api/servers/", **basic_auth("ivy", PASSWORD))
    form = attempt(client, "ivy", PASSWORD, address="10.9.0.1")

    assert refused.status_code in (401, 403)
    assert locked.status_code in (401, 403, 429)
    assert form.status_code == 429
