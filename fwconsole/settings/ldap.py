"""Sign-in with domain accounts (django-auth-ldap); off unless a server is set."""

from fwconsole.settings.env import env

# Filled in by the directory sign-in feature; empty means local accounts only.
FWCONSOLE_AUTH_LDAP_SERVER_URI = env.str("FWCONSOLE_AUTH_LDAP_SERVER_URI", default="")
