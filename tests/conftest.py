"""Fixtures shared by the whole suite: console users per role and clients, the
real services (checked at start; a missing one fails the run), a Celery worker
process, and Debian's Chromium for Playwright."""

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from fwconsole.celery import app as celery_app
from fwconsole.roles import CONSOLE_ROLES, Role
from tests import services

# Playwright's sync API runs an event loop in the test's thread, and Django
# refuses ORM calls from a thread with a running loop unless told otherwise
# (playwright-pytest#29).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery staple"


def pytest_sessionstart(session):
    """Fail the run at once when PostgreSQL or Redis is configured but down."""
    require = services.services_required()
    problems = [
        problem
        for problem in (
            services.database_problem(require),
            services.broker_problem(require),
        )
        if problem
    ]
    if problems:
        pytest.exit("\n".join(["Services the suite needs:", *problems]), returncode=1)


def pytest_collection_finish(session):
    """Fail before running when a collected test needs a missing service."""
    markers = {marker.name for item in session.items for marker in item.iter_markers()}
    problems = []
    if "e2e" in markers:
        problems.append(services.chromium_problem())
    if "samba" in markers and services.services_required():
        problems.append(services.samba_problem())
    problems = [problem for problem in problems if problem]
    if problems:
        pytest.exit("\n".join(["Services the suite needs:", *problems]), returncode=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash test passwords cheaply: PBKDF2's million rounds cost 0.8 s a user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(django_user_model):
    """Return a factory of console users holding a given role."""

    def make(username, role=None):
        user = django_user_model.objects.create_user(username, password=PASSWORD)
        if role is not None and role != Role.PUBLIC:
            group, _ = Group.objects.get_or_create(name=role.group_name)
            user.groups.add(group)
        return user

    return make


@pytest.fixture
def viewer(make_user):
    return make_user("vera-viewer", Role.VIEWER)


@pytest.fixture
def editor(make_user):
    return make_user("eddie-editor", Role.EDITOR)


@pytest.fixture
def admin_user(make_user):
    return make_user("ada-admin", Role.ADMIN)


@pytest.fixture
def role_client(client, make_user):
    """Return a factory of test clients signed in with a role (None: anonymous)."""

    def for_role(role):
        if role is None:
            return client
        user = make_user(f"user-{role.name.lower()}", role)
        client.force_login(user)
        return client

    return for_role


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


# ---------------------------------------------------------------------------
# Browser tests: Debian's Chromium driven by Playwright against live_server.


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium; Playwright never downloads a browser here."""
    problem = services.chromium_problem()
    if problem:
        pytest.fail(problem)
    return {
        **browser_type_launch_args,
        "executable_path": services.CHROMIUM,
        # Root in CI needs --no-sandbox; the rest keep Chromium off the closed
        # network, which otherwise refuses its background connections.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def signed_in_page(page, live_server, make_user, client):
    """Return a factory: the browser page signed in as a new user with a role.

    The session cookie comes from Django's test client, so the page starts
    signed in without going through the form (tests of the form use it).
    """

    def sign_in(role, username=None):
        user = make_user(username or f"browser-{role.name.lower()}", role)
        client.force_login(user)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        return page

    return sign_in


@pytest.fixture
def viewer_page(signed_in_page):
    return signed_in_page(Role.VIEWER)


@pytest.fixture
def editor_page(signed_in_page):
    return signed_in_page(Role.EDITOR)


@pytest.fixture
def admin_page(signed_in_page):
    return signed_in_page(Role.ADMIN)


# ---------------------------------------------------------------------------
# A real Celery worker: one process for the session, on the test broker,
# queue and database. Tests that use it commit their rows.


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup):
    """The session's worker process (started by `celery_worker`).

    It depends on django_db_setup so that it stops before the test database
    is dropped (PostgreSQL refuses to drop a database in use).
    """
    worker = services.WorkerProcess(celery_app)
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(celery_worker_process, transactional_db):
    """A running Celery worker process; the test's rows are committed."""
    celery_worker_process.start()
    return celery_worker_process


@pytest.fixture
def no_celery_worker(celery_worker_process):
    """Make sure no worker of this session is running during the test."""
    celery_worker_process.stop()
    return celery_worker_process


__all__ = ["CONSOLE_ROLES", "PASSWORD"]
