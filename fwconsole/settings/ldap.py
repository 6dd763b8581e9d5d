"""Sign-in with domain accounts (django-auth-ldap); off unless a server is set.

Console users sign in with their Active Directory account: the console binds
as them over LDAPS or StartTLS (certificate always verified), reads the
security groups in their token (tokenGroups: nested groups and the primary
group count) and gives them the console role mapped from those groups, again
at every sign-in.

Variables (all optional; FWCONSOLE_AUTH_LDAP_SERVER_URI switches the feature on):

  FWCONSOLE_AUTH_LDAP_SERVER_URI       ldaps:// or ldap:// URIs, space or comma
                                       separated, tried in order
  FWCONSOLE_AUTH_LDAP_START_TLS        1: upgrade ldap:// with StartTLS
  FWCONSOLE_AUTH_LDAP_CA_FILE          PEM file of the CA that signed the DCs
  FWCONSOLE_AUTH_LDAP_BIND_DN          service account that finds users, or
                                       empty to bind as the user directly
  FWCONSOLE_AUTH_LDAP_BIND_PASSWORD    its password (or ..._BIND_PASSWORD_FILE)
  FWCONSOLE_AUTH_LDAP_USER_DN_TEMPLATE direct bind name, e.g. %(user)s@corp.example
  FWCONSOLE_AUTH_LDAP_USER_SEARCH_BASE where accounts live
  FWCONSOLE_AUTH_LDAP_USER_FILTER      must contain %(user)s (escaped by the library)
  FWCONSOLE_AUTH_LDAP_GROUP_SEARCH_BASE where role groups live
  FWCONSOLE_AUTH_LDAP_{VIEWER,EDITOR,ADMIN}_GROUPS  group DNs separated by ";"
  FWCONSOLE_AUTH_LDAP_TIMEOUT          seconds to wait for a DC (default 5)
"""

import re
from pathlib import Path

import ldap
from django_auth_ldap.config import LDAPSearch

from fwconsole.settings.base import AUTHENTICATION_BACKENDS as _BASE_BACKENDS
from fwconsole.settings.env import env

DIRECTORY_BACKEND = "fwconsole.auth.backends.DirectoryBackend"

DEFAULT_USER_FILTER = (
    "(&(objectCategory=person)(objectClass=user)(sAMAccountName=%(user)s))"
)

# An unescaped ";" ends a DN in these lists (RFC 4514 makes a literal one "\;").
_DN_LIST_SEPARATOR = re.compile(r"(?<!\\);")


def split_dn_list(value):
    """Split a ";"-separated list of DNs, dropping blanks."""
    return [
        part.strip() for part in _DN_LIST_SEPARATOR.split(value or "") if part.strip()
    ]


def split_uris(value):
    """Split server URIs given with spaces, commas or newlines."""
    return [uri for uri in re.split(r"[\s,]+", value or "") if uri]


def auth_ldap_settings(
    *,
    server_uris,
    user_search_base,
    group_search_base,
    start_tls=False,
    ca_file="",
    bind_dn="",
    bind_password="",
    user_dn_template="",
    user_filter=DEFAULT_USER_FILTER,
    timeout=5,
):
    """Return the AUTH_LDAP_* settings for one directory sign-in configuration.

    Kept as a function so that tests build exactly what production builds.
    """
    from fwconsole.auth.groups import TokenGroupsType

    # The TLS options must come before OPT_X_TLS_NEWCTX, which makes them take
    # effect on this connection (python-ldap applies them in dict order).
    options = {
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_PROTOCOL_VERSION: 3,
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
    }
    if ca_file:
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
    options[ldap.OPT_X_TLS_NEWCTX] = 0

    direct_bind = not bind_dn
    values = {
        "AUTH_LDAP_SERVER_URI": " ".join(server_uris),
        "AUTH_LDAP_START_TLS": start_tls,
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_BIND_DN": bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": bind_password,
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(
            user_search_base, ldap.SCOPE_SUBTREE, user_filter
        ),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(
            group_search_base, ldap.SCOPE_SUBTREE, "(objectClass=group)"
        ),
        "AUTH_LDAP_GROUP_TYPE": TokenGroupsType(),
        "AUTH_LDAP_USER_ATTR_MAP": {
            "first_name": "givenName",
            "last_name": "sn",
            "email": "mail",
        },
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        # Roles are read again at every sign-in, never from a cache.
        "AUTH_LDAP_CACHE_TIMEOUT": 0,
        "AUTH_LDAP_FIND_GROUP_PERMS": False,
        "AUTH_LDAP_USER_DN_TEMPLATE": None,
        "AUTH_LDAP_BIND_AS_AUTHENTICATING_USER": direct_bind,
        "AUTH_LDAP_REFRESH_DN_ON_BIND": direct_bind,
    }
    if direct_bind:
        # Bound as the user (user@domain), then the real DN is searched for
        # with that same connection (REFRESH_DN_ON_BIND).
        values["AUTH_LDAP_USER_DN_TEMPLATE"] = user_dn_template or None
    return values


def _bind_password():
    password_file = env.str("FWCONSOLE_AUTH_LDAP_BIND_PASSWORD_FILE", default="")
    if password_file:
        return Path(password_file).read_text(encoding="utf-8").strip()
    return env.str("FWCONSOLE_AUTH_LDAP_BIND_PASSWORD", default="")


FWCONSOLE_AUTH_LDAP_SERVER_URI = env.str("FWCONSOLE_AUTH_LDAP_SERVER_URI", default="")

# Role mappings given here are added to those an admin keeps on the role
# mapping page; they show there as read-only.
FWCONSOLE_AUTH_LDAP_ROLE_GROUPS = {
    "viewer": split_dn_list(env.str("FWCONSOLE_AUTH_LDAP_VIEWER_GROUPS", default="")),
    "editor": split_dn_list(env.str("FWCONSOLE_AUTH_LDAP_EDITOR_GROUPS", default="")),
    "admin": split_dn_list(env.str("FWCONSOLE_AUTH_LDAP_ADMIN_GROUPS", default="")),
}

if FWCONSOLE_AUTH_LDAP_SERVER_URI:
    globals().update(
        auth_ldap_settings(
            server_uris=split_uris(FWCONSOLE_AUTH_LDAP_SERVER_URI),
            start_tls=env.bool("FWCONSOLE_AUTH_LDAP_START_TLS", default=False),
            ca_file=env.str("FWCONSOLE_AUTH_LDAP_CA_FILE", default=""),
            bind_dn=env.str("FWCONSOLE_AUTH_LDAP_BIND_DN", default=""),
            bind_password=_bind_password(),
            user_dn_template=env.str(
                "FWCONSOLE_AUTH_LDAP_USER_DN_TEMPLATE", default=""
            ),
            user_search_base=env.str("FWCONSOLE_AUTH_LDAP_USER_SEARCH_BASE"),
            user_filter=env.str(
                "FWCONSOLE_AUTH_LDAP_USER_FILTER", default=DEFAULT_USER_FILTER
            ),
            group_search_base=env.str("FWCONSOLE_AUTH_LDAP_GROUP_SEARCH_BASE"),
            timeout=env.int("FWCONSOLE_AUTH_LDAP_TIMEOUT", default=5),
        )
    )
    # Local accounts first: the break-glass admin signs in without waiting
    # for a domain controller, and a directory that is down or slow cannot
    # keep it out. The directory backend never takes over a local account.
    AUTHENTICATION_BACKENDS = [*_BASE_BACKENDS, DIRECTORY_BACKEND]
