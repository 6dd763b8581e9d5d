"""Domain sign-in: django-auth-ldap, with console roles from mapped AD groups."""

import logging

from django.db import transaction
from django.utils import timezone
from django_auth_ldap.backend import LDAPBackend

from fwconsole.accounts.services import set_console_role
from fwconsole.auth.mapping import role_for_groups
from fwconsole.auth.throttle import account_name
from fwconsole.models import DirectoryAccount

logger = logging.getLogger(__name__)

ACCOUNTDISABLE = 0x2

FAILURE_REASON_ATTR = "fwconsole_sign_in_refusal"


def note_refusal(request, reason):
    """Remember why the directory refused a sign-in, for the audit entry."""
    if request is not None:
        setattr(request, FAILURE_REASON_ATTR, reason)


class DirectoryBackend(LDAPBackend):
    """Signs in Active Directory accounts and gives each the console role its
    groups map to, read again at every sign-in.

    The DC checks the password and refuses disabled accounts; this backend
    also refuses an account whose userAccountControl says disabled, one in no
    mapped group, and one whose name belongs to a local console account.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        # "CORP\\jdoe" means the account jdoe of the domain being searched.
        if isinstance(username, str) and "\\" in username:
            username = account_name(username)
        return super().authenticate(request, username, password, **kwargs)

    def get_or_build_user(self, username, ldap_user):
        user, built = super().get_or_build_user(username, ldap_user)
        request = ldap_user._request

        if not built and not DirectoryAccount.objects.filter(user=user).exists():
            note_refusal(request, "a local console account has this name")
            logger.warning(
                "Directory account %s refused: a local console account has its name",
                ldap_user.dn,
            )
            raise ldap_user.AuthenticationFailed("local account of the same name")

        if _is_disabled(ldap_user.attrs):
            note_refusal(request, "the directory account is disabled")
            raise ldap_user.AuthenticationFailed("account disabled")

        role, matched = role_for_groups(ldap_user.group_dns)
        if role is None:
            if not built:
                set_console_role(user, None, actor=None, reason="no mapped AD group")
            note_refusal(request, "the account is in no group mapped to a console role")
            logger.info("Directory account %s is in no mapped group", ldap_user.dn)
            raise ldap_user.AuthenticationFailed("no mapped group")

        ldap_user.fwconsole_role = role
        ldap_user.fwconsole_role_groups = matched
        return user, built

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        if not user.is_active:
            note_refusal(ldap_user._request, "the console account is deactivated")
            return None

        with transaction.atomic():
            DirectoryAccount.objects.update_or_create(
                user=user,
                defaults={
                    "dn": ldap_user.dn,
                    "role_groups": ldap_user.fwconsole_role_groups,
                    "last_checked_at": timezone.now(),
                },
            )
            set_console_role(
                user,
                ldap_user.fwconsole_role,
                actor=None,
                reason="AD group mapping",
            )
        return user


def _is_disabled(attrs):
    try:
        flags = int((attrs or {}).get("userAccountControl", ["0"])[0])
    except (TypeError, ValueError):
        return False
    return bool(flags & ACCOUNTDISABLE)
