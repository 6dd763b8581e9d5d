"""Writes to console accounts: roles, local users, role mappings. Each write is
recorded in the change log with the actor."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from fwconsole import audit
from fwconsole.models import RoleMapping
from fwconsole.roles import CONSOLE_ROLES, Role, user_role

logger = logging.getLogger(__name__)

ROLE_GROUP_NAMES = [role.group_name for role in CONSOLE_ROLES]


def _role_name(role):
    return role.group_name if role and role != Role.PUBLIC else "none"


@transaction.atomic
def set_console_role(user, role, *, actor, reason, request=None):
    """Give the user exactly one console role (None: no role); log a change."""
    current = {
        name
        for name in user.groups.filter(name__in=ROLE_GROUP_NAMES).values_list(
            "name", flat=True
        )
    }
    wanted = {role.group_name} if role and role != Role.PUBLIC else set()
    if current == wanted:
        return False

    old = max((r for r in CONSOLE_ROLES if r.group_name in current), default=None)
    user.groups.remove(*Group.objects.filter(name__in=current - wanted))
    for name in wanted - current:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    user.__dict__.pop("_fwconsole_role", None)

    audit.record(
        audit.Event.ROLE_CHANGED,
        target=user,
        actor=actor,
        request=request,
        detail=reason,
        changes={"role": [_role_name(old), _role_name(role)]},
        action=audit.LogEntry.Action.UPDATE,
    )
    logger.info(
        "Role of %s changed from %s to %s (%s)",
        user.get_username(),
        _role_name(old),
        _role_name(role),
        reason,
    )
    return True


def is_directory_user(user):
    return hasattr(user, "directory_account")


@transaction.atomic
def create_local_user(*, username, password, role, actor, request=None):
    """Create a local console account with a password and a role."""
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "A console user with this name exists."})
    user = user_model(username=username)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        audit.Event.USER_CREATED,
        target=user,
        actor=actor,
        request=request,
        action=audit.LogEntry.Action.CREATE,
    )
    set_console_role(user, role, actor=actor, reason="set by an admin", request=request)
    return user


def _active_admin_count():
    admins = Q(is_superuser=True) | Q(groups__name=Role.ADMIN.group_name)
    return get_user_model().objects.filter(admins, is_active=True).distinct().count()


@transaction.atomic
def set_local_user_role(user, role, *, actor, request=None):
    """Change a local account's role; directory accounts take theirs from AD."""
    if is_directory_user(user):
        raise ValidationError(
            "This account signs in with the directory; its role comes from the "
            "AD groups mapped to roles."
        )
    if user.is_superuser:
        raise ValidationError("A superuser account is always an admin.")
    if user == actor and role != Role.ADMIN:
        raise ValidationError("You cannot take the admin role from yourself.")
    return set_console_role(
        user, role, actor=actor, reason="set by an admin", request=request
    )


@transaction.atomic
def set_user_active(user, active, *, actor, request=None):
    """Deactivate (or reactivate) a console account; it keeps its history."""
    if user.is_active == active:
        return False
    if not active:
        if user == actor:
            raise ValidationError("You cannot deactivate your own account.")
        if user_role(user) == Role.ADMIN and _active_admin_count() <= 1:
            raise ValidationError("The last active admin cannot be deactivated.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    event = audit.Event.USER_REACTIVATED if active else audit.Event.USER_DEACTIVATED
    audit.record(
        event,
        target=user,
        actor=actor,
        request=request,
        changes={"active": [str(not active), str(active)]},
        action=audit.LogEntry.Action.UPDATE,
    )
    logger.info("Console user %s %s", user.get_username(), event)
    return True


@transaction.atomic
def add_role_mapping(*, group_dn, role, note="", actor, request=None):
    """Map an AD group (by DN) to a console role."""
    mapping = RoleMapping(
        group_dn=group_dn.strip(), role=role, note=note, created_by=actor
    )
    mapping.full_clean(exclude=["dn_key"])
    if RoleMapping.objects.filter(dn_key=mapping.dn_key).exists():
        raise ValidationError({"group_dn": "This group is already mapped to a role."})
    mapping.save()
    audit.record(
        audit.Event.MAPPING_ADDED,
        target=mapping,
        actor=actor,
        request=request,
        changes={"role": ["none", role]},
        action=audit.LogEntry.Action.CREATE,
    )
    return mapping


@transaction.atomic
def remove_role_mapping(mapping, *, actor, request=None):
    """Remove a mapping; its members lose the role at their next sign-in."""
    audit.record(
        audit.Event.MAPPING_REMOVED,
        target=mapping,
        actor=actor,
        request=request,
        changes={"role": [mapping.role, "none"]},
        action=audit.LogEntry.Action.DELETE,
    )
    mapping.delete()
