"""System checks for domain sign-in: refuse settings that would leak passwords."""

import os

from django.conf import settings
from django.core.checks import Error, Tags, register

from fwconsole.settings.ldap import DIRECTORY_BACKEND


@register(Tags.security)
def check_directory_sign_in(app_configs=None, **kwargs):
    if DIRECTORY_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        return []
    errors = []
    uris = settings.AUTH_LDAP_SERVER_URI.split()
    if not uris:
        errors.append(
            Error("Directory sign-in has no server URI.", id="fwconsole.E001")
        )
    plain = [uri for uri in uris if not uri.lower().startswith("ldaps://")]
    if plain and not settings.AUTH_LDAP_START_TLS:
        errors.append(
            Error(
                "Directory sign-in would send passwords unencrypted to "
                + ", ".join(plain),
                hint="Use ldaps:// URIs or set FWCONSOLE_AUTH_LDAP_START_TLS=1.",
                id="fwconsole.E002",
            )
        )
    ca_file = _ca_file()
    if ca_file and not os.access(ca_file, os.R_OK):
        errors.append(
            Error(
                f"The CA file {ca_file} for directory sign-in cannot be read.",
                id="fwconsole.E003",
            )
        )
    search = settings.AUTH_LDAP_USER_SEARCH
    if "%(user)s" not in search.filterstr:
        errors.append(
            Error(
                "FWCONSOLE_AUTH_LDAP_USER_FILTER must contain %(user)s, where "
                "the escaped user name goes.",
                id="fwconsole.E004",
            )
        )
    if not settings.AUTH_LDAP_BIND_DN and not settings.AUTH_LDAP_USER_DN_TEMPLATE:
        errors.append(
            Error(
                "Directory sign-in needs a bind DN (service account) or a user "
                "DN template such as %(user)s@corp.example.",
                id="fwconsole.E005",
            )
        )
    return errors


def _ca_file():
    import ldap

    return settings.AUTH_LDAP_CONNECTION_OPTIONS.get(ldap.OPT_X_TLS_CACERTFILE, "")
