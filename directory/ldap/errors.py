"""Errors of reading a directory, each saying what was being done and where.

Every LDAP exception goes through ``ldap_error``, which turns it into one of
the classes below: the message names the action and the server, and the class
says whether trying again later can help. Exceptions of both libraries are
understood: python-ldap's from a sync's reads, ldap3's from the connection
test (see ``directory.ldap.connection``).
"""

import re
import socket
import ssl

import ldap
from ldap3.core import exceptions as ldap_exceptions
from ldap3.core.results import RESULT_CODES


class DirectoryError(Exception):
    """A directory could not be read; the message says what and where."""

    retryable = False


class DirectoryUnavailable(DirectoryError):
    """The server could not be reached, dropped the connection, timed out or
    said it is busy: a later attempt may succeed."""

    retryable = True


class DirectoryConfigurationError(DirectoryError):
    """Bad credentials, a missing base DN, an untrusted certificate: trying
    again changes nothing until someone fixes the source."""


class DirectoryAnswerRefused(DirectoryError):
    """The directory answered, but the answer is not believable (for example
    far fewer objects than the last good run)."""


_TRANSIENT = (
    ldap_exceptions.LDAPSocketOpenError,
    ldap_exceptions.LDAPSocketReceiveError,
    ldap_exceptions.LDAPSocketSendError,
    ldap_exceptions.LDAPSocketCloseError,
    ldap_exceptions.LDAPSessionTerminatedByServerError,
    ldap_exceptions.LDAPResponseTimeoutError,
    ldap_exceptions.LDAPCommunicationError,
    ldap_exceptions.LDAPBusyResult,
    ldap_exceptions.LDAPUnavailableResult,
    ldap_exceptions.LDAPTimeLimitExceededResult,
    socket.timeout,
    ConnectionError,
    ldap.SERVER_DOWN,
    ldap.CONNECT_ERROR,
    ldap.TIMEOUT,
    ldap.BUSY,
    ldap.UNAVAILABLE,
    ldap.TIMELIMIT_EXCEEDED,
)

_CONFIGURATION = (
    ldap_exceptions.LDAPInvalidCredentialsResult,
    ldap_exceptions.LDAPNoSuchObjectResult,
    ldap_exceptions.LDAPCertificateError,
    ldap_exceptions.LDAPStrongerAuthRequiredResult,
    ldap_exceptions.LDAPConfidentialityRequiredResult,
    ldap_exceptions.LDAPReferralResult,
    ldap_exceptions.LDAPInvalidFilterError,
    ldap_exceptions.LDAPInvalidDnError,
    ssl.SSLError,
    ldap.INVALID_CREDENTIALS,
    ldap.NO_SUCH_OBJECT,
    ldap.STRONG_AUTH_REQUIRED,
    ldap.CONFIDENTIALITY_REQUIRED,
    ldap.INAPPROPRIATE_AUTH,
    ldap.REFERRAL,
    ldap.FILTER_ERROR,
    ldap.INVALID_DN_SYNTAX,
)


def describe(exc):
    """Say what an LDAP or network exception means in one phrase."""
    if isinstance(exc, ldap_exceptions.LDAPOperationResult):
        text = f"{exc.description} ({exc.result})"
        if exc.message:
            text += f": {exc.message.strip()}"
        return text
    if isinstance(exc, ldap.LDAPError):
        return _describe_libldap(exc)
    text = str(exc).strip() or type(exc).__name__
    if _is_certificate_problem(exc):
        # ldap3 re-raises the SSL error as a class mixing in the original one,
        # without its attributes: fall back to the text.
        reason = getattr(exc, "verify_message", None)
        if not reason:
            match = re.search(r"certificate verify failed: ([^('\"]+)", text)
            reason = match.group(1).strip() if match else text
        return f"certificate not trusted ({reason}); check the source's CA file"
    return f"{type(exc).__name__}: {text}"


def _libldap_details(exc):
    details = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return details.get("result"), details.get("desc", ""), details.get("info", "")


def _describe_libldap(exc):
    code, desc, info = _libldap_details(exc)
    info = info.strip() if isinstance(info, str) else ""
    if isinstance(exc, ldap.SERVER_DOWN):
        # libldap says the same when the server cannot be reached and when it
        # closes the connection half-way through an answer.
        text = f"unreachable or session terminated ({desc or 'server down'})"
    elif isinstance(exc, ldap.TIMEOUT):
        text = "timed out waiting for the server's answer"
    elif isinstance(code, int) and code >= 0:
        text = f"{RESULT_CODES.get(code, desc or type(exc).__name__)} ({code})"
    else:
        text = desc or type(exc).__name__
    if _is_certificate_problem(exc):
        return f"certificate not trusted ({info or desc}); check the source's CA file"
    if info:
        text += f": {info}"
    return text


def _is_certificate_problem(exc):
    # ldap3 re-raises socket errors as a class made of both its own error and
    # the original one, so an SSL failure is also an LDAPSocketOpenError.
    if isinstance(exc, ldap.LDAPError):
        # libldap reports a refused certificate as a failed connection; only
        # the text from the TLS library (GnuTLS or OpenSSL) says why.
        _, _, info = _libldap_details(exc)
        return isinstance(exc, ldap.SERVER_DOWN | ldap.CONNECT_ERROR) and bool(
            re.search(r"certificate|verify|issuer", str(info), re.IGNORECASE)
        )
    return isinstance(
        exc, ssl.SSLCertVerificationError | ldap_exceptions.LDAPCertificateError
    ) or "CERTIFICATE_VERIFY_FAILED" in str(exc)


def ldap_error(action, exc, *, url=None):
    """Return the DirectoryError for ``exc`` raised while doing ``action``."""
    where = f" on {url}" if url else ""
    message = f"{action}{where} failed: {describe(exc)}"
    if isinstance(exc, DirectoryError):
        return exc
    if _is_certificate_problem(exc):
        return DirectoryConfigurationError(message)
    if isinstance(exc, _TRANSIENT):
        return DirectoryUnavailable(message)
    if isinstance(
        exc, ldap_exceptions.LDAPInvalidCredentialsResult | ldap.INVALID_CREDENTIALS
    ):
        return DirectoryConfigurationError(
            f"{action}{where} failed: the server refused the bind DN and password "
            "(invalidCredentials, 49)"
        )
    if isinstance(exc, _CONFIGURATION):
        return DirectoryConfigurationError(message)
    if isinstance(exc, OSError):
        # Socket errors that ldap3 did not wrap: refused, reset, unreachable.
        return DirectoryUnavailable(message)
    return DirectoryError(message)
