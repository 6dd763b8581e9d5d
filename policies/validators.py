"""Field checks shared by the policy models, forms, API and policy-as-code import.

Each raises django's ValidationError with a message that names the bad part, so
a form shows it on the field and an import shows it on the line.
"""

import re

from django.core.exceptions import ValidationError

from policies.sddl import SddlError, parse_sid

MAX_PATH = 260

# Control characters (C0, DEL, C1) never belong in a name, path or note that
# ends up in a PowerShell script, a netsh command or a registry value.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# A program path as Windows Firewall stores it: a drive, an environment
# variable such as %ProgramFiles% or %SystemRoot%, or a UNC share, then the
# rest of the path with backslashes.
_PATH_START_RE = re.compile(
    r"(?:[A-Za-z]:\\|%[A-Za-z_][A-Za-z0-9_()]*%\\|\\\\[^\\]+\\[^\\]+\\)"
)
_PATH_FORBIDDEN = set('<>"|?*/')

# A prefix length as written after the slash: ASCII digits, at most three
# (/128); int() would also read other scripts' digits, and refuses thousands.
PREFIX_LENGTH_RE = re.compile(r"[0-9]{1,3}")

_SERVER_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9])?")
_DNS_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def validate_plain_text(value):
    """Refuse control characters (newlines, tabs, escapes) in a one-line value."""
    match = _CONTROL_RE.search(value or "")
    if match:
        raise ValidationError(
            "Control characters are not allowed here (found %(char)s at "
            "position %(position)s).",
            params={"char": repr(match.group()), "position": match.start() + 1},
            code="control_character",
        )


def validate_sid(value):
    """Refuse a string that is not a SID in canonical form."""
    try:
        parse_sid(value)
    except SddlError as error:
        raise ValidationError(str(error), code="invalid_sid") from None


def validate_program_path(value):
    """Refuse a program path Windows Firewall would not take."""
    value = value or ""
    validate_plain_text(value)
    if len(value) > MAX_PATH:
        raise ValidationError(
            "A program path is at most %(limit)s characters.",
            params={"limit": MAX_PATH},
            code="path_too_long",
        )
    if not _PATH_START_RE.match(value):
        raise ValidationError(
            "%(path)s is not an absolute Windows path: start with a drive "
            "(C:\\), an environment variable (%%ProgramFiles%%\\) or a share "
            "(\\\\server\\share\\).",
            params={"path": value},
            code="path_not_absolute",
        )
    forbidden = sorted(set(value) & _PATH_FORBIDDEN)
    if forbidden:
        raise ValidationError(
            "%(path)s contains %(chars)s, which a Windows path cannot hold "
            "(use backslashes between folders).",
            params={"path": value, "chars": " ".join(forbidden)},
            code="path_character",
        )
    rest = value[2:] if value[1:2] == ":" else value
    if ":" in rest:
        raise ValidationError(
            "%(path)s has a colon after the drive letter.",
            params={"path": value},
            code="path_character",
        )
    if value.endswith(("\\", " ", ".")):
        raise ValidationError(
            "%(path)s must name a program file, not end with a backslash, "
            "space or dot.",
            params={"path": value},
            code="path_end",
        )


def validate_server_name(value):
    """Refuse a server name that is not a host name (letters, digits, - _ .)."""
    if not _SERVER_NAME_RE.fullmatch(value or ""):
        raise ValidationError(
            "%(name)s is not a server name: use letters, digits, hyphens, "
            "underscores and dots.",
            params={"name": value},
            code="invalid_server_name",
        )


def validate_fqdn(value):
    """Refuse a DNS name that is not made of valid labels."""
    name = (value or "").removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_DNS_LABEL_RE.fullmatch(label) for label in labels):
        raise ValidationError(
            "%(name)s is not a DNS name.", params={"name": value}, code="invalid_fqdn"
        )


def validate_ports(value, *, blank_means_every_port=False):
    """Refuse a port specification that does not parse; return its PortSet."""
    from policies.ports import PortSpecError, parse_ports

    try:
        return parse_ports(value, blank_means_every_port=blank_means_every_port)
    except PortSpecError as error:
        raise ValidationError(str(error), code="invalid_ports") from None


def validate_scope(value, era):
    """Refuse a remote-address scope the era cannot hold; return the Scope."""
    from policies.scopes import ScopeError, parse_scope

    try:
        return parse_scope(value, era)
    except ScopeError as error:
        raise ValidationError(str(error), code="invalid_scope") from None
