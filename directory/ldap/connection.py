"""Connections to a directory source, and the step-by-step connection test.

ldaps:// or ldap:// upgraded with StartTLS; the certificate is verified
against the source's CA file unless the source says otherwise; referrals are
not chased unless the source asks; every network wait has the source's
timeout. The bind password comes from the source or from the environment
variable it names, and never appears in a message or a log line.

Two libraries, each where it does best. A sync reads through python-ldap
(``open_connection``): libldap decodes the answers in C, which reads a large
domain about twice as fast as ldap3's pure-Python decoder, and nearly as fast
as ``ldapsearch``. The connection test stays on ldap3 (``make_connection``):
it opens the socket, the TLS session and the bind as separate steps and looks
at the TLS session itself, so it can say which step failed; libldap hides
those steps behind one call. Both apply the same source settings.
"""

import logging
import os
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import ldap
import ldap3
from ldap3.core import exceptions as ldap_exceptions

from directory.ldap.errors import (
    DirectoryConfigurationError,
    describe,
    ldap_error,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerAddress:
    """One server URL of a source, split into its parts."""

    url: str
    host: str
    port: int
    use_ssl: bool


def server_addresses(source):
    """Return the source's server URLs in the order they are tried."""
    addresses = []
    for line in (source.server_urls or "").splitlines():
        url = line.strip()
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
            raise DirectoryConfigurationError(
                f"source {source.name}: {url!r} is not an ldap:// or ldaps:// URL"
            )
        use_ssl = parts.scheme == "ldaps"
        port = parts.port or (636 if use_ssl else 389)
        addresses.append(ServerAddress(url, parts.hostname, port, use_ssl))
    if not addresses:
        raise DirectoryConfigurationError(f"source {source.name} has no server URL")
    return addresses


def bind_password(source):
    """Return the bind password from the source or the variable it names."""
    if source.bind_password_env:
        value = os.environ.get(source.bind_password_env)
        if value is None:
            raise DirectoryConfigurationError(
                f"source {source.name}: environment variable "
                f"{source.bind_password_env} (bind password) is not set"
            )
        return value
    return source.bind_password or ""


def tls_settings(source):
    """Return ldap3's TLS settings: verification on unless switched off."""
    if source.ca_file and not os.path.isfile(source.ca_file):
        raise DirectoryConfigurationError(
            f"source {source.name}: CA file {source.ca_file} does not exist"
        )
    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED if source.verify_certificate else ssl.CERT_NONE,
        ca_certs_file=source.ca_file or None,
        version=ssl.PROTOCOL_TLS_CLIENT,
    )


def make_connection(source, address):
    """Return an unopened ldap3 connection to one server, for the connection test."""
    server = ldap3.Server(
        address.host,
        port=address.port,
        use_ssl=address.use_ssl,
        tls=tls_settings(source),
        get_info=ldap3.NONE,
        connect_timeout=source.timeout_seconds,
    )
    return ldap3.Connection(
        server,
        user=source.bind_dn or None,
        password=bind_password(source) if source.bind_dn else None,
        authentication=ldap3.SIMPLE if source.bind_dn else ldap3.ANONYMOUS,
        auto_bind=ldap3.AUTO_BIND_NONE,
        client_strategy=ldap3.SYNC,
        read_only=True,
        raise_exceptions=True,
        receive_timeout=source.timeout_seconds,
        auto_referrals=source.follow_referrals,
        # The reader follows member ranges itself (ldap3's loop mishandles
        # two range keys, FC-01) and wants absent attributes absent.
        auto_range=False,
        return_empty_attributes=False,
        check_names=False,
    )


def open_connection(source):
    """Return a bound python-ldap connection to the first server that answers.

    Servers that cannot be reached are skipped; a refused bind or an
    untrusted certificate stops at once, since another server of the same
    directory would answer the same.
    """
    unreachable = []
    for address in server_addresses(source):
        connection = reader_connection(source, address)
        try:
            if address.use_ssl or source.start_tls:
                _check_tls(source, address)
            if not address.use_ssl and source.start_tls:
                connection.start_tls_s()
            if source.bind_dn:
                connection.simple_bind_s(source.bind_dn, bind_password(source))
            else:
                connection.simple_bind_s("", "")
        except Exception as exc:
            _unbind(connection)
            error = ldap_error(
                f"connecting to {source.name} as {source.bind_dn or 'anonymous'}",
                exc,
                url=address.url,
            )
            if not error.retryable:
                raise error from exc
            logger.warning("source %s: %s", source.name, error)
            unreachable.append(error)
            continue
        logger.info("source %s: bound to %s", source.name, address.url)
        return connection
    raise unreachable[-1]


def reader_connection(source, address):
    """Return an unbound python-ldap connection to one server of the source.

    libldap connects at the first operation; every option that decides how
    (TLS verification, timeouts, referrals) is set on this connection alone,
    and the TLS settings take effect with the new context made last.
    """
    if source.ca_file and not os.path.isfile(source.ca_file):
        raise DirectoryConfigurationError(
            f"source {source.name}: CA file {source.ca_file} does not exist"
        )
    host = f"[{address.host}]" if ":" in address.host else address.host
    scheme = "ldaps" if address.use_ssl else "ldap"
    connection = ldap.initialize(f"{scheme}://{host}:{address.port}")
    connection.set_option(ldap.OPT_PROTOCOL_VERSION, ldap.VERSION3)
    connection.set_option(ldap.OPT_REFERRALS, 1 if source.follow_referrals else 0)
    connection.set_option(ldap.OPT_DEREF, ldap.DEREF_NEVER)
    connection.set_option(ldap.OPT_NETWORK_TIMEOUT, source.timeout_seconds)
    connection.set_option(ldap.OPT_TIMEOUT, source.timeout_seconds)
    # Synchronous calls (bind, StartTLS) wait at most this long for an answer.
    connection.timeout = source.timeout_seconds
    connection.set_option(
        ldap.OPT_X_TLS_REQUIRE_CERT,
        ldap.OPT_X_TLS_DEMAND if source.verify_certificate else ldap.OPT_X_TLS_NEVER,
    )
    connection.set_option(ldap.OPT_X_TLS_PROTOCOL_MIN, ldap.OPT_X_TLS_PROTOCOL_TLS1_2)
    if source.ca_file:
        connection.set_option(ldap.OPT_X_TLS_CACERTFILE, source.ca_file)
    connection.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
    return connection


def _check_tls(source, address):
    """Make the TLS handshake once through ldap3, within the source's timeout.

    libldap waits without limit for a TLS handshake that a server never
    answers, and reports a refused certificate only as "Can't contact LDAP
    server". Through ldap3 and Python's ssl module the same handshake has the
    source's timeout and an error that says why; libldap connects only after
    it succeeded. A server that completes this handshake and then hangs the
    next one moments later is left to the sync task's time limit.
    """
    connection = make_connection(source, address)
    try:
        connection.open()
        if not address.use_ssl:
            connection.start_tls()
    finally:
        _close(connection)


def _unbind(connection):
    try:
        connection.unbind_s()
    except Exception:  # noqa: S110 - a connection that failed may not close cleanly
        pass


def _close(connection):
    try:
        connection.unbind()
    except Exception:  # noqa: S110 - a connection that failed may not close cleanly
        pass


@dataclass
class ConnectionStep:
    """One step of a connection test, with what it found."""

    name: str
    ok: bool | None
    detail: str


@dataclass
class ConnectionReport:
    """The steps of a connection test in order; ``ok`` when all passed."""

    url: str = ""
    steps: list = field(default_factory=list)

    @property
    def ok(self):
        return bool(self.steps) and all(step.ok for step in self.steps)

    def add(self, name, ok, detail):
        self.steps.append(ConnectionStep(name, ok, detail))
        return ok

    def skip_rest(self, names):
        done = {step.name for step in self.steps}
        for name in names:
            if name not in done:
                self.steps.append(
                    ConnectionStep(name, None, "not tried after the step above failed")
                )


STEPS = ("DNS", "TCP", "TLS", "bind", "base")


def connection_test(source):
    """Test DNS, TCP, TLS, bind and the base DNs, stopping at the first failure.

    Each server URL is tried in order until one passes every step; the report
    of that server (or of the last one tried) is returned.
    """
    try:
        addresses = server_addresses(source)
    except DirectoryConfigurationError as exc:
        report = ConnectionReport()
        report.add("DNS", False, str(exc))
        report.skip_rest(STEPS)
        return report
    report = None
    for address in addresses:
        report = _test_address(source, address)
        if report.ok:
            break
    return report


def _test_address(source, address):
    report = ConnectionReport(url=address.url)
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        report.add("DNS", False, f"{address.host} does not resolve: {exc.strerror}")
        report.skip_rest(STEPS)
        return report
    resolved = sorted({info[4][0] for info in infos})
    report.add("DNS", True, f"{address.host} resolves to {', '.join(resolved)}")

    try:
        with socket.create_connection(
            (address.host, address.port), timeout=source.timeout_seconds
        ):
            pass
    except OSError as exc:
        report.add(
            "TCP",
            False,
            f"no connection to {address.host}:{address.port}: {exc.strerror or exc}",
        )
        report.skip_rest(STEPS)
        return report
    report.add("TCP", True, f"{address.host}:{address.port} accepts connections")

    try:
        connection = make_connection(source, address)
    except DirectoryConfigurationError as exc:
        report.add("TLS", False, str(exc))
        report.skip_rest(STEPS)
        return report
    try:
        if not _test_tls(source, address, connection, report):
            report.skip_rest(STEPS)
            return report
        if not _test_bind(source, connection, report):
            report.skip_rest(STEPS)
            return report
        _test_bases(source, connection, report)
    finally:
        _close(connection)
    return report


def _test_tls(source, address, connection, report):
    try:
        connection.open()
        if not address.use_ssl and source.start_tls:
            connection.start_tls()
    except Exception as exc:
        return report.add(
            "TLS",
            False,
            f"TLS with {address.host}:{address.port} failed: {describe(exc)}",
        )
    if not address.use_ssl and not source.start_tls:
        return report.add(
            "TLS", True, "plain LDAP: no TLS configured, the password travels in clear"
        )
    tls_socket = connection.socket
    verified = (
        "certificate verified"
        if source.verify_certificate
        else "certificate NOT verified (switched off)"
    )
    version = tls_socket.version() if hasattr(tls_socket, "version") else "TLS"
    return report.add("TLS", True, f"{version}, {verified}")


def _test_bind(source, connection, report):
    who = source.bind_dn or "anonymous"
    try:
        connection.bind()
    except ldap_exceptions.LDAPInvalidCredentialsResult:
        return report.add(
            "bind", False, f"bind as {who} refused: invalid credentials (49)"
        )
    except DirectoryConfigurationError as exc:
        return report.add("bind", False, str(exc))
    except Exception as exc:
        return report.add("bind", False, f"bind as {who} failed: {describe(exc)}")
    return report.add("bind", True, f"bound as {who}")


def _test_bases(source, connection, report):
    bases = [("base DN", source.base_dn)]
    for label, base in (
        ("computer base", source.computer_base),
        ("user base", source.user_base),
        ("group base", source.group_base),
    ):
        if base:
            bases.append((label, base))
    found = []
    for label, base in bases:
        try:
            connection.search(
                base, "(objectClass=*)", ldap3.BASE, attributes=["objectClass"]
            )
        except ldap_exceptions.LDAPNoSuchObjectResult:
            return report.add("base", False, f"{label} {base} does not exist")
        except Exception as exc:
            return report.add(
                "base", False, f"reading {label} {base} failed: {describe(exc)}"
            )
        found.append(f"{label} {base}")
    return report.add("base", True, "found " + "; ".join(found))
