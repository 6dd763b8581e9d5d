"""Reads of console accounts for the user and role-mapping pages."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Prefetch

from fwconsole.auth.mapping import settings_mappings
from fwconsole.models import RoleMapping
from fwconsole.roles import CONSOLE_ROLES, Role


def console_users():
    """Every console user with its role groups and directory link, by name."""
    role_groups = Group.objects.filter(name__in=[r.group_name for r in CONSOLE_ROLES])
    return (
        get_user_model()
        .objects.select_related("directory_account")
        .prefetch_related(
            Prefetch("groups", queryset=role_groups, to_attr="role_groups")
        )
        .order_by("username")
    )


def role_of(user):
    """The console role of a user loaded by console_users(), without a query."""
    if user.is_superuser:
        return Role.ADMIN
    names = {group.name for group in user.role_groups}
    return max((r for r in CONSOLE_ROLES if r.group_name in names), default=Role.PUBLIC)


__all__ = ["console_mappings", "console_users", "role_of", "settings_mappings"]


def console_mappings():
    return RoleMapping.objects.select_related("created_by").order_by("role", "group_dn")
