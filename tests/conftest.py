"""Fixtures shared by the whole suite: console users per role and clients."""

import pytest
from django.contrib.auth.models import Group

from fwconsole.roles import CONSOLE_ROLES, Role

PASSWORD = "correct horse battery staple"


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


__all__ = ["CONSOLE_ROLES", "PASSWORD"]
