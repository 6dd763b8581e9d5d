"""How django-axes names the account and the address a sign-in attempt counts for."""

import ipaddress

from django.conf import settings


def _valid_address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except (AttributeError, ValueError):
        return None


def client_ip(request):
    """Return the client's address: REMOTE_ADDR, or behind the console's own
    reverse proxy the address that proxy added last to X-Forwarded-For.

    Only the right-most entry is trusted: a client can put anything in front.
    """
    meta = getattr(request, "META", {})
    if getattr(settings, "FWCONSOLE_BEHIND_PROXY", False):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = _valid_address(hops[-1])
            if address:
                return address
    return _valid_address(meta.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104


def account_name(typed):
    """The account a typed user name means: spaces and case folded, and a
    ``DOMAIN\\`` prefix (as Windows sign-in screens take it) dropped."""
    if not isinstance(typed, str):
        return ""
    return typed.strip().rsplit("\\", 1)[-1].strip().lower()


def lockout_username(request, credentials):
    """Return the account a sign-in attempt counts against.

    Folded as the directory backend folds it, so "Admin ", "admin" and
    "CORP\\admin" share one counter.
    """
    if credentials:
        value = credentials.get("username")
    else:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get("username")
    return account_name(value)[:150] or None
