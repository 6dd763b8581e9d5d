"""Security events in the global change log (django-auditlog's LogEntry).

Sign-ins, failed sign-ins, lock-outs, sign-outs and role changes are written
as log entries on the console user they concern, so the change log shows them
beside every policy and directory change, each with its actor and address.
"""

import logging

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from fwconsole.auth.throttle import client_ip

logger = logging.getLogger(__name__)

# Typed user names are data from anyone: keep the log readable and bounded.
MAX_NAME_LENGTH = 150


class Event:
    SIGNED_IN = "signed in"
    SIGN_IN_FAILED = "sign-in failed"
    LOCKED_OUT = "sign-in throttled"
    SIGNED_OUT = "signed out"
    ROLE_CHANGED = "role changed"
    USER_CREATED = "user created"
    USER_DEACTIVATED = "user deactivated"
    USER_REACTIVATED = "user reactivated"
    MAPPING_ADDED = "role mapping added"
    MAPPING_REMOVED = "role mapping removed"
    SYNC_STARTED = "sync started"
    SOURCE_SECRET_CHANGED = "bind password changed"  # noqa: S105 (a label)


def client_address(request):
    """Return the address the request came from, as django-axes counts it."""
    if request is None or not getattr(request, "META", {}).get("REMOTE_ADDR"):
        return None
    return client_ip(request)


def record(
    event,
    *,
    target=None,
    target_model=None,
    target_repr="",
    actor=None,
    request=None,
    detail="",
    changes=None,
    action=LogEntry.Action.ACCESS,
):
    """Write one security event to the change log and return the entry."""
    if target is not None:
        content_type = ContentType.objects.get_for_model(target)
        object_pk = str(target.pk)
        object_id = target.pk if isinstance(target.pk, int) else None
        target_repr = target_repr or str(target)
    else:
        content_type = ContentType.objects.get_for_model(
            target_model or get_user_model()
        )
        object_pk, object_id = "", None
    additional = {"event": event}
    if detail:
        additional["detail"] = detail
    return LogEntry.objects.create(
        content_type=content_type,
        object_pk=object_pk,
        object_id=object_id,
        object_repr=str(target_repr)[:MAX_NAME_LENGTH],
        action=action,
        changes=changes or {},
        actor=actor if actor is not None and actor.is_authenticated else None,
        remote_addr=client_address(request),
        additional_data=additional,
    )
