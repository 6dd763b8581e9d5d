"""Distinguished names compared as values, not as strings.

AD preserves case but compares without it, writes ``\\,`` or ``\\2C`` for the
same comma, and lets a value end in an escaped space (``CN=Kiosk Users\\ `` is
not ``CN=Kiosk Users``). A DN is therefore parsed once at the boundary into
RDNs of unescaped values, and compared through its *key*: the same RDNs,
case-folded and re-escaped one canonical way.

DN escaping (RFC 4514) and filter escaping (RFC 4515) are separate layers:
nothing here is fit for a search filter.
"""

import re
from functools import lru_cache

_SPECIAL = set(',+"\\<>;=')
_HEX = set("0123456789abcdefABCDEF")
# Anything that needs the careful parser: escapes, quotes, several AVAs per
# RDN, the old ';' separator.
_NEEDS_FULL_PARSE = re.compile(r'[\\"+;]')
_NEEDS_ESCAPE = re.compile(r'[,+"\\<>;=\x00\r\n]|^[ #]| $')


class InvalidDN(ValueError):
    """A string that is not a distinguished name."""


def parse_dn(dn):
    """Split ``dn`` into RDNs, each a tuple of (type, unescaped value) pairs."""
    return _parse(dn)


@lru_cache(maxsize=65536)
def _parse(dn):
    if not _NEEDS_FULL_PARSE.search(dn):
        return _parse_plain(dn)
    rdns = []
    avas = []
    position = 0
    length = len(dn)
    if not dn.strip():
        return ()
    while True:
        attr_type, position = _read_type(dn, position)
        value, position = _read_value(dn, position)
        avas.append((attr_type, value))
        if position >= length:
            rdns.append(tuple(avas))
            break
        separator = dn[position]
        position += 1
        if separator == "+":
            continue
        rdns.append(tuple(avas))
        avas = []
    return tuple(rdns)


def _parse_plain(dn):
    # Most DNs hold no escapes, quotes or multi-valued RDNs: split them at once.
    if not dn.strip():
        return ()
    rdns = []
    for part in dn.split(","):
        attr_type, equals, value = part.partition("=")
        attr_type = attr_type.strip()
        if not equals or not attr_type or any(c in _SPECIAL for c in attr_type):
            raise InvalidDN(f"{dn!r}: bad RDN {part!r}")
        rdns.append(((attr_type, value.strip(" ")),))
    return tuple(rdns)


def _read_type(dn, position):
    end = dn.find("=", position)
    if end < 0:
        raise InvalidDN(f"{dn!r}: no '=' after position {position}")
    attr_type = dn[position:end].strip()
    if not attr_type or any(char in _SPECIAL for char in attr_type):
        raise InvalidDN(f"{dn!r}: bad attribute type {attr_type!r}")
    return attr_type, end + 1


def _read_value(dn, position):
    length = len(dn)
    while position < length and dn[position] == " ":
        position += 1
    if position < length and dn[position] == '"':
        return _read_quoted(dn, position)
    raw = bytearray()
    protected = 0  # length of raw up to the last escaped character
    while position < length:
        char = dn[position]
        if char in ",+;":
            break
        if char == "\\":
            if position + 1 >= length:
                raise InvalidDN(f"{dn!r}: lone backslash at the end")
            following = dn[position + 1]
            if following in _HEX and position + 2 < length and dn[position + 2] in _HEX:
                raw.append(int(dn[position + 1 : position + 3], 16))
                position += 3
            else:
                raw.extend(following.encode("utf-8"))
                position += 2
            protected = len(raw)
            continue
        raw.extend(char.encode("utf-8"))
        position += 1
    # Unescaped trailing spaces are not part of the value; escaped ones are.
    end = len(raw)
    while end > protected and raw[end - 1] == 0x20:
        end -= 1
    try:
        value = bytes(raw[:end]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDN(f"{dn!r}: escaped bytes are not UTF-8") from exc
    position = _skip_spaces(dn, position)
    return value, position


def _read_quoted(dn, position):
    # Quoted values come from RFC 1779 writers; inside quotes only \ escapes.
    position += 1
    chars = []
    length = len(dn)
    while position < length and dn[position] != '"':
        if dn[position] == "\\" and position + 1 < length:
            position += 1
        chars.append(dn[position])
        position += 1
    if position >= length:
        raise InvalidDN(f"{dn!r}: unterminated quoted value")
    position = _skip_spaces(dn, position + 1)
    return "".join(chars), position


def _skip_spaces(dn, position):
    while position < len(dn) and dn[position] == " ":
        position += 1
    return position


def escape_value(value):
    """Escape an attribute value for a DN (RFC 4514)."""
    if not value:
        return ""
    if not _NEEDS_ESCAPE.search(value):
        return value
    out = []
    for char in value:
        if char in _SPECIAL:
            out.append("\\" + char)
        elif char == "\x00":
            out.append("\\00")
        elif char in "\r\n":
            out.append(f"\\{ord(char):02X}")
        else:
            out.append(char)
    if out[0] in (" ", "#"):
        out[0] = "\\" + out[0]
    if out[-1] == " ":
        out[-1] = "\\ "
    return "".join(out)


def rdn_keys(dn):
    """Return the DN's RDNs in canonical, case-folded form (a tuple of str)."""
    return _rdn_keys(dn)


@lru_cache(maxsize=65536)
def _rdn_keys(dn):
    keys = []
    for rdn in _parse(dn):
        parts = sorted(
            f"{attr_type.casefold()}={escape_value(value.casefold())}"
            for attr_type, value in rdn
        )
        keys.append("+".join(parts))
    return tuple(keys)


def dn_key(dn):
    """Return the canonical key of ``dn``: equal keys mean the same entry."""
    return ",".join(_rdn_keys(dn))


def rdn_value(dn):
    """Return the unescaped value of the first RDN (the object's name)."""
    rdns = _parse(dn)
    if not rdns:
        return ""
    return rdns[0][0][1]


def parent_dn(dn):
    """Return the DN without its first RDN, as written (escapes kept)."""
    position = 0
    length = len(dn)
    while position < length:
        char = dn[position]
        if char == "\\":
            position += 2
            continue
        if char in ",;":
            return dn[position + 1 :].lstrip()
        position += 1
    return ""


def is_within(dn, base):
    """Whether ``dn`` is ``base`` or lies below it."""
    keys = _rdn_keys(dn)
    base_keys = _rdn_keys(base)
    if not base_keys:
        return True
    return len(keys) >= len(base_keys) and keys[-len(base_keys) :] == base_keys


def dns_domain_of(dn):
    """Return the DNS name spelled by the DN's ``DC=`` components."""
    labels = [
        value
        for rdn in _parse(dn)
        for attr_type, value in rdn
        if attr_type.lower() == "dc"
    ]
    return ".".join(labels).lower()
