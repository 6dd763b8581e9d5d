"""`manage.py check --deploy` is clean with production settings, and the
directory sign-in checks refuse settings that would leak passwords."""

import os
import secrets
import subprocess
import sys

from tests.services import ROOT

DOMAIN = "DC=corp,DC=example,DC=test"

PRODUCTION = {
    "FWCONSOLE_DEBUG": "0",
    "FWCONSOLE_SECURE": "1",
    "FWCONSOLE_BEHIND_PROXY": "1",
    "FWCONSOLE_ALLOWED_HOSTS": "fwconsole.corp.example.test",
    "FWCONSOLE_CSRF_TRUSTED_ORIGINS": "https://fwconsole.corp.example.test",
}


def manage_check(extra_env, *args):
    env = {
        key: value
        for key, value in os.environ.items()
        # The test run allows async-unsafe calls for Playwright; production
        # must not (check --deploy says so).
        if not key.startswith("FWCONSOLE_AUTH_LDAP_")
        and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(PRODUCTION)
    env["FWCONSOLE_SECRET_KEY"] = secrets.token_urlsafe(50)
    env.update(extra_env)
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage_check({})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_is_clean_with_directory_sign_in_over_ldaps(tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("placeholder: only readability is checked\n")

    result = manage_check(
        {
            "FWCONSOLE_AUTH_LDAP_SERVER_URI": "ldaps://dc1.corp.example.test ldaps://dc2.corp.example.test",
            "FWCONSOLE_AUTH_LDAP_CA_FILE": str(ca_file),
            "FWCONSOLE_AUTH_LDAP_BIND_DN": f"CN=svc-fwconsole,OU=Service,{DOMAIN}",
            "FWCONSOLE_AUTH_LDAP_BIND_PASSWORD": "not-used-by-the-check",
            "FWCONSOLE_AUTH_LDAP_USER_SEARCH_BASE": DOMAIN,
            "FWCONSOLE_AUTH_LDAP_GROUP_SEARCH_BASE": f"OU=Groups,{DOMAIN}",
        }
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_ldap_without_start_tls_is_refused():
    result = manage_check(
        {
            "FWCONSOLE_AUTH_LDAP_SERVER_URI": "ldap://dc1.corp.example.test",
            "FWCONSOLE_AUTH_LDAP_USER_DN_TEMPLATE": "%(user)s@corp.example.test",
            "FWCONSOLE_AUTH_LDAP_USER_SEARCH_BASE": DOMAIN,
            "FWCONSOLE_AUTH_LDAP_GROUP_SEARCH_BASE": DOMAIN,
        }
    )

    assert result.returncode != 0
    assert "fwconsole.E002" in result.stderr + result.stdout


def test_user_filter_without_the_user_placeholder_is_refused():
    result = manage_check(
        {
            "FWCONSOLE_AUTH_LDAP_SERVER_URI": "ldaps://dc1.corp.example.test",
            "FWCONSOLE_AUTH_LDAP_USER_DN_TEMPLATE": "%(user)s@corp.example.test",
            "FWCONSOLE_AUTH_LDAP_USER_FILTER": "(objectClass=user)",
            "FWCONSOLE_AUTH_LDAP_USER_SEARCH_BASE": DOMAIN,
            "FWCONSOLE_AUTH_LDAP_GROUP_SEARCH_BASE": DOMAIN,
        }
    )

    assert "fwconsole.E004" in result.stderr + result.stdout
