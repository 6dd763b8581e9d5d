"""Fixtures of the directory tests: the field cases, the shared Samba DC, the
test domain loaded into it, per-test OUs, the AD-limits proxy, and sources
that read the DC over verified LDAPS."""

import os
import uuid
from pathlib import Path

import pytest

from directory.models import DirectorySource
from tests.directory import domain, samba
from tests.directory.proxies import AdLimitsProxy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cases_dir():
    """The field cases (tests/cases)."""
    folder = Path(os.environ.get("FWCONSOLE_CASES_DIR", ROOT / "tests" / "cases"))
    if not (folder / "FC-01").is_dir():
        pytest.fail(f"the field cases are missing: {folder} (set FWCONSOLE_CASES_DIR)")
    return folder


@pytest.fixture(scope="session")
def samba_env():
    """The shared DC's variables; the run fails (never skips) without a DC."""
    try:
        return samba.start_dc()
    except samba.SambaUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def samba_domain(samba_env):
    """The test domain, loaded into the DC once and reused afterwards."""
    return domain.ensure_domain(samba_env)


@pytest.fixture
def samba_conn(samba_env):
    conn = samba.connect(samba_env)
    yield conn
    conn.unbind()


@pytest.fixture
def samba_ou(samba_env, samba_conn):
    """An OU of this test's own in the DC, removed afterwards."""
    dn = f"OU=dirsync-{uuid.uuid4().hex[:10]},{samba_env['FWCONSOLE_SAMBA_BASE_DN']}"
    samba.add_ou(samba_conn, dn)
    yield dn
    samba.delete_tree(samba_conn, dn)


@pytest.fixture
def ad_proxy(samba_env):
    """A proxy enforcing Windows' MaxPageSize 1000 and MaxValRange 1500."""
    proxy = make_proxy(samba_env)
    yield proxy
    proxy.stop()
    assert proxy.errors == []


def make_samba_source(env, base_dn, *, url=None, name=None, **fields):
    """Create an AD source that reads the DC (or a proxy in front of it)."""
    values = {
        "kind": DirectorySource.Kind.ACTIVE_DIRECTORY,
        "server_urls": url or env["FWCONSOLE_SAMBA_URL"],
        "ca_file": env["FWCONSOLE_SAMBA_CA_FILE"],
        "bind_dn": env["FWCONSOLE_SAMBA_ADMIN_DN"],
        "bind_password": env["FWCONSOLE_SAMBA_ADMIN_PASSWORD"],
        "base_dn": base_dn,
        "timeout_seconds": 20,
        **fields,
    }
    name = name or f"dc-{uuid.uuid4().hex[:8]}"
    return DirectorySource.objects.create(name=name, **values)


def make_proxy(env, **limits):
    """Start an AD-limits proxy in front of the DC."""
    return AdLimitsProxy(
        env["FWCONSOLE_SAMBA_ADDRESS"],
        ca_file=env["FWCONSOLE_SAMBA_CA_FILE"],
        cert_file=env["FWCONSOLE_SAMBA_TLS_CERT"],
        key_file=env["FWCONSOLE_SAMBA_TLS_KEY"],
        **limits,
    ).start()


@pytest.fixture
def samba_source(samba_env):
    """Return a factory of AD sources reading the DC (or a proxy in front of it)."""

    def make(base_dn, **fields):
        return make_samba_source(samba_env, base_dn, **fields)

    return make
