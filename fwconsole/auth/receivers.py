"""Signal receivers: sign-in events, sync starts and source secrets go to the
change log; failed sign-ins are also logged (never with the password)."""

import logging

from auditlog.registry import auditlog
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from directory.models import DirectorySource, SyncRun
from fwconsole import audit
from fwconsole.auth.backends import FAILURE_REASON_ATTR
from fwconsole.auth.middleware import request_actor
from fwconsole.auth.throttle import account_name, lockout_username

logger = logging.getLogger(__name__)


def _typed_username(credentials):
    value = (credentials or {}).get("username")
    return value if isinstance(value, str) else ""


def _known_user(username):
    name = account_name(username)
    if not name:
        return None
    return get_user_model().objects.filter(username__iexact=name[:150]).first()


@receiver(user_logged_in, dispatch_uid="fwconsole-audit-signed-in")
def record_sign_in(sender, request, user, **kwargs):
    backend = getattr(user, "backend", "") or ""
    kind = "directory" if backend.endswith("DirectoryBackend") else "local"
    audit.record(
        audit.Event.SIGNED_IN,
        target=user,
        actor=user,
        request=request,
        detail=f"{kind} account",
    )
    logger.info(
        "%s signed in from %s (%s account)",
        user.get_username(),
        audit.client_address(request),
        kind,
    )


@receiver(user_login_failed, dispatch_uid="fwconsole-audit-sign-in-failed")
def record_sign_in_failure(sender, credentials, request=None, **kwargs):
    username = _typed_username(credentials)
    if getattr(request, "axes_locked_out", False):
        reason = "throttled after repeated failures"
    else:
        reason = (
            getattr(request, FAILURE_REASON_ATTR, "") or "wrong user name or password"
        )
    user = _known_user(username)
    audit.record(
        audit.Event.SIGN_IN_FAILED,
        target=user,
        target_repr=username,
        request=request,
        detail=reason,
    )
    # %r: a typed name may hold newlines or control characters that would
    # otherwise forge log lines.
    logger.warning(
        "Sign-in failed for %r from %s: %s",
        username[: audit.MAX_NAME_LENGTH],
        audit.client_address(request),
        reason,
    )


@receiver(user_locked_out, dispatch_uid="fwconsole-audit-locked-out")
def record_lockout(sender, request, username=None, ip_address=None, **kwargs):
    name = username or lockout_username(request, None) or ""
    audit.record(
        audit.Event.LOCKED_OUT,
        target=_known_user(name),
        target_repr=name,
        request=request,
        detail="too many failed sign-ins for this account or address",
    )
    logger.warning("Sign-in throttled for %r from %s", name, ip_address)


@receiver(user_logged_out, dispatch_uid="fwconsole-audit-signed-out")
def record_sign_out(sender, request, user, **kwargs):
    if user is None:
        return
    audit.record(audit.Event.SIGNED_OUT, target=user, actor=user, request=request)


@receiver(post_save, sender=SyncRun, dispatch_uid="fwconsole-audit-sync-started")
def record_sync_start(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    audit.record(
        audit.Event.SYNC_STARTED,
        target=instance,
        target_repr=f"{instance.source} run {instance.pk}",
        actor=instance.started_by,
        detail=f"trigger: {instance.get_trigger_display()}",
        action=audit.LogEntry.Action.CREATE,
    )


@receiver(pre_save, sender=DirectorySource, dispatch_uid="fwconsole-audit-secret")
def record_bind_password_change(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).only("bind_password").first()
    if old is None or old.bind_password == instance.bind_password:
        return
    # The value itself never reaches the log: only that it changed.
    audit.record(
        audit.Event.SOURCE_SECRET_CHANGED,
        target=instance,
        actor=request_actor(),
        detail="set" if instance.bind_password else "cleared",
        action=audit.LogEntry.Action.UPDATE,
    )


def register_directory_source():
    """Record changes to directory sources, never the bind password's value."""
    auditlog.register(
        DirectorySource,
        exclude_fields=["created_at", "updated_at", "bind_password"],
    )
