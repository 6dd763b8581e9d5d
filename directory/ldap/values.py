"""Binary and encoded attribute values in their standard text forms.

objectGUID is 16 bytes in Windows GUID layout (the first three fields
little-endian): ``uuid.UUID(bytes_le=...)`` gives the text AD tools show.
entryUUID (OpenLDAP) is already text and is kept verbatim. objectSid is the
binary SID structure. Binary values inside filters are written byte by byte
as ``\\xx``, so that NUL, ``*``, ``(``, ``)`` and ``\\`` can never change a
filter's meaning.
"""

import struct
import uuid
from datetime import UTC, datetime, timedelta

from ldap3.utils.conv import escape_filter_chars

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_FILETIME_NEVER = 0x7FFFFFFFFFFFFFFF


def guid_text(raw):
    """Return the text form of a 16-byte objectGUID."""
    if len(raw) != 16:
        raise ValueError(f"objectGUID must be 16 bytes, not {len(raw)}")
    return str(uuid.UUID(bytes_le=bytes(raw)))


def guid_bytes(text):
    """Return the 16 wire bytes of a GUID given in text form."""
    return uuid.UUID(text).bytes_le


def sid_text(raw):
    """Return the S-1-... form of a binary objectSid."""
    raw = bytes(raw)
    if len(raw) < 8:
        raise ValueError(f"objectSid too short ({len(raw)} bytes)")
    revision = raw[0]
    count = raw[1]
    if len(raw) != 8 + 4 * count:
        raise ValueError(f"objectSid of {len(raw)} bytes for {count} sub-authorities")
    authority = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack(f"<{count}I", raw[8:])
    return "S-" + "-".join(str(part) for part in (revision, authority, *subs))


def sid_bytes(text):
    """Return the binary form of a SID given as S-1-..."""
    parts = text.strip().upper().split("-")
    if len(parts) < 3 or parts[0] != "S":
        raise ValueError(f"not a SID: {text!r}")
    revision, authority, *subs = (int(part) for part in parts[1:])
    return (
        bytes([revision, len(subs)])
        + authority.to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


def sid_domain(sid):
    """Return the domain part of an account SID (everything before the RID)."""
    return sid.rsplit("-", 1)[0]


def escape_filter_bytes(raw):
    """Escape every byte of a binary value for a search filter."""
    return "".join(f"\\{byte:02x}" for byte in bytes(raw))


def escape_filter_text(value):
    """Escape a text value for a search filter (RFC 4515)."""
    return escape_filter_chars(value)


def guid_filter(text):
    """Return ``(objectGUID=\\xx...)`` for a GUID in text form."""
    return f"(objectGUID={escape_filter_bytes(guid_bytes(text))})"


def sid_filter(text):
    """Return ``(objectSid=\\xx...)`` for a SID in text form."""
    return f"(objectSid={escape_filter_bytes(sid_bytes(text))})"


def generalized_time(raw):
    """Parse a GeneralizedTime value such as ``20261203183000.0Z``."""
    if not raw:
        return None
    text = raw.decode("ascii", errors="replace").strip()
    digits = text[:14]
    if len(digits) < 14 or not digits.isdigit():
        return None
    try:
        return datetime(
            int(digits[0:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            int(digits[12:14]),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def filetime(raw):
    """Parse a Windows FILETIME integer (lastLogonTimestamp); None for never."""
    if not raw:
        return None
    value = int(raw)
    if value <= 0 or value >= _FILETIME_NEVER:
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=value // 10)
