"""Errors of reading a directory, each saying what was being done and where.

Every LDAP exception goes through ``ldap_error``, which turns it into one of
the classes below: the message names the action and the server, and the class
says whether trying again later can help.
"""

import re
import socket
import ssl

from ldap3.core import exceptions as ldap_exceptions


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
)


def describe(exc):
    """Say what an LDAP or network exception means in one phrase."""
    if isinstance(exc, ldap_exceptions.LDAPOperationResult):
        text = f"{exc.description} ({exc.result})"
        if exc.message:
            text += f": {exc.message.strip()}"
        return text
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


def _is_certificate_problem(exc):
    # ldap3 re-raises socket errors as a class made of both its own error and
    # the original one, so an SSL failure is also an LDAPSocketOpenError.
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
    if isinstance(exc, ldap_exceptions.LDAPInvalidCredentialsResult):
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
