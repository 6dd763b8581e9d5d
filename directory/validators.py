"""Syntax checks for directory source settings: server URLs, DNs, LDAP filters.

The source form and the ``directory_source`` command share them, so a source
saved either way passes the same checks.
"""

import ipaddress
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from ldap3.core.exceptions import LDAPInvalidDnError, LDAPInvalidFilterError
from ldap3.operation.search import parse_filter
from ldap3.utils.dn import parse_dn

from directory.ldap.dn import InvalidDN
from directory.ldap.dn import parse_dn as console_parse_dn

LDAP_SCHEMES = ("ldap", "ldaps")
# A DNS label; underscores appear in the names of some Windows hosts.
HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Forms Active Directory accepts in a simple bind besides a DN.
UPN_RE = re.compile(r"^[^@\s\\]+@[^@\s\\]+$")
DOWN_LEVEL_RE = re.compile(r"^[^@\s\\]+\\[^@\s\\]+$")


def split_server_urls(text):
    """Return the non-empty lines of a server URL list, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_server_url(url):
    """Return (scheme, host, port) of one ldap:// or ldaps:// URL.

    Raise ValidationError naming the URL when it is not one.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(
            "%(url)s is not a valid URL (%(reason)s).",
            params={"url": url, "reason": error},
            code="invalid_url",
        ) from error
    if parts.scheme.lower() not in LDAP_SCHEMES:
        raise ValidationError(
            "%(url)s must start with ldaps:// or ldap://.",
            params={"url": url},
            code="invalid_scheme",
        )
    if not parts.hostname:
        raise ValidationError(
            "%(url)s names no server.", params={"url": url}, code="no_host"
        )
    if parts.username is not None or parts.password is not None:
        # The URL is shown on the source's page and in the logs, where a
        # password must never be.
        raise ValidationError(
            "%(url)s holds a user name or password; put them in the bind DN and "
            "bind password fields.",
            params={"url": url},
            code="url_credentials",
        )
    if not _is_host(parts.hostname):
        raise ValidationError(
            "%(url)s does not name a server: use a DNS name (letters, digits, "
            "hyphens), an IPv4 address or an IPv6 address in brackets.",
            params={"url": url},
            code="invalid_host",
        )
    if port == 0:
        raise ValidationError(
            "%(url)s names port 0; give a port from 1 to 65535 or none.",
            params={"url": url},
            code="invalid_port",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(
            "%(url)s must be only scheme, server and port; put the base DN in "
            "its own field.",
            params={"url": url},
            code="url_path",
        )
    return parts.scheme.lower(), parts.hostname, port


def _is_host(hostname):
    """Whether urlsplit's hostname is a DNS name or an IP address."""
    try:
        ipaddress.ip_address(hostname)
        return True
    except ValueError:
        pass
    labels = hostname.removesuffix(".").split(".")
    return len(hostname) <= 253 and all(HOST_LABEL_RE.match(label) for label in labels)


def validate_dn(value):
    """Refuse a value that is not a distinguished name (RFC 4514 syntax)."""
    try:
        rdns = parse_dn(value)
    except LDAPInvalidDnError as error:
        if "\\ " in value and _sync_parser_accepts(value):
            # ldap3 refuses a value ending in an escaped space, which RFC 4514
            # allows and AD writes ("OU=Kiosk Users\\ "); the sync reads it.
            return
        raise ValidationError(
            "Not a valid distinguished name: %(reason)s (for example "
            "OU=Computers,DC=corp,DC=example,DC=com).",
            params={"reason": error},
            code="invalid_dn",
        ) from error
    if not rdns:
        raise ValidationError("Not a valid distinguished name.", code="invalid_dn")


def _sync_parser_accepts(value):
    try:
        return bool(console_parse_dn(value))
    except InvalidDN:
        return False


def validate_bind_name(value, kind):
    """Refuse a bind name that the directory kind cannot accept.

    Active Directory also takes user@domain and DOMAIN\\user in a simple bind.
    """
    if kind == "ad" and (UPN_RE.match(value) or DOWN_LEVEL_RE.match(value)):
        return
    validate_dn(value)


def validate_ldap_filter(value):
    """Refuse a value that is not an RFC 4515 search filter."""
    try:
        parse_filter(
            value,
            None,
            auto_escape=False,
            auto_encode=False,
            validator=None,
            check_names=False,
        )
    except LDAPInvalidFilterError as error:
        raise ValidationError(
            "Not a valid LDAP filter: %(reason)s (a filter is enclosed in "
            "parentheses, for example (objectClass=computer)).",
            params={"reason": error},
            code="invalid_filter",
        ) from error


# The console's own secrets. A source's bind password is sent to the server
# the source names, which an admin chooses: these must never be sent there.
RESERVED_ENV_NAMES = frozenset(
    {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "FWCONSOLE_DATABASE_URL",
        "FWCONSOLE_BROKER_URL",
        "FWCONSOLE_SECRET_KEY",
        "FWCONSOLE_SECRET_KEY_FALLBACKS",
        "FWCONSOLE_ENCRYPTION_SALT",
        "FWCONSOLE_AUTH_LDAP_BIND_PASSWORD",
        "FWCONSOLE_AUTH_LDAP_BIND_PASSWORD_FILE",
    }
)


def validate_env_name(value):
    """Refuse a value that cannot name an environment variable, or names one
    of the console's own secrets."""
    if not ENV_NAME_RE.match(value):
        raise ValidationError(
            "An environment variable name holds only letters, digits and "
            "underscores, and does not start with a digit.",
            code="invalid_env_name",
        )
    if value.upper() in RESERVED_ENV_NAMES or "SECRET_KEY" in value.upper():
        raise ValidationError(
            f"{value} holds one of the console's own secrets, not a bind password.",
            code="reserved_env_name",
        )
