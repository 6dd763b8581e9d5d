"""Fixtures of the console's own tests: the Samba DC configured for domain
sign-in, and a page for every URL pattern of the console."""

import pytest
from django.conf import settings as django_settings

from fwconsole.settings.ldap import DIRECTORY_BACKEND, auth_ldap_settings
from tests.fwconsole.pages import every_page  # noqa: F401 - a fixture
from tests.fwconsole.samba import SambaOU, samba_environment

SERVICE_PASSWORD = "Svc-sign-in-2026!"


@pytest.fixture(scope="session")
def samba_env():
    return samba_environment()


@pytest.fixture
def samba_ou(samba_env):
    """An OU of this test on the shared DC, removed with everything in it."""
    ou = SambaOU(samba_env)
    yield ou
    ou.remove()


@pytest.fixture
def directory_sign_in(settings, samba_ou):
    """Return a function that points domain sign-in at the test's OU.

    By default the console finds users with a service account made in the OU
    and binds as them over LDAPS, verifying the DC's certificate.
    """
    _sam, service_dn = samba_ou.add_user("svc", SERVICE_PASSWORD)

    def configure(**overrides):
        options = {
            "server_uris": [samba_ou.url],
            "ca_file": samba_ou.ca_file,
            "bind_dn": service_dn,
            "bind_password": SERVICE_PASSWORD,
            "user_search_base": samba_ou.dn,
            "group_search_base": samba_ou.dn,
            **overrides,
        }
        for name, value in auth_ldap_settings(**options).items():
            setattr(settings, name, value)
        base = [
            backend
            for backend in django_settings.AUTHENTICATION_BACKENDS
            if backend != DIRECTORY_BACKEND
        ]
        settings.AUTHENTICATION_BACKENDS = [*base, DIRECTORY_BACKEND]
        settings.FWCONSOLE_AUTH_LDAP_ROLE_GROUPS = {}
        return samba_ou

    configure()
    return configure
