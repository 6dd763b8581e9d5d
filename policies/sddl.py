"""SIDs and the few SDDL security descriptors Windows Firewall reads.

Two forms only, both a list of trustees by SID:

- the XP SP2 / Server 2003 group-policy value "Allow authenticated IPsec
  bypass": ``O:DAG:DAD:`` followed by one ``(A;;RCGW;;;SID)`` per trustee;
- the later-era authorization lists of a firewall rule (``-RemoteMachine``,
  ``-RemoteUser``, ``rmtcomputergrp=``): ``O:LSD:`` followed by the deny
  entries ``(D;;CC;;;SID)`` and then the allow entries ``(A;;CC;;;SID)``.

The parser is strict on purpose: it accepts what the builders write and
refuses everything else, so a value that round-trips here is one Windows reads
the same way. SID strings follow MS-DTYP 2.4.2.1 in canonical form (no leading
zeros, decimal authority below 2**32, ``0x`` and twelve hex digits above).
"""

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_SUB_AUTHORITIES = 15
MAX_AUTHORITY = 2**48 - 1
MAX_SUB_AUTHORITY = 2**32 - 1

_NUMBER = r"(?:0|[1-9][0-9]*)"
_SID_RE = re.compile(
    rf"S-1-(?P<authority>0x[0-9A-F]{{12}}|{_NUMBER})(?P<subs>(?:-{_NUMBER})+)"
)

# Owner and group aliases the two forms use: Domain Admins, Local Service.
OWNER_ALIASES = frozenset({"DA", "LS"})

# Access rights by their SDDL code (MS-DTYP 2.5.1.1).
RIGHT_MASKS = {
    "CC": 0x00000001,  # create child: "may connect" in firewall authorization lists
    "RC": 0x00020000,  # read control
    "GW": 0x40000000,  # generic write
}

XP_BYPASS_RIGHTS = "RCGW"
AUTHORIZATION_RIGHTS = "CC"


class SddlError(ValueError):
    """A SID or security descriptor string outside the accepted forms."""


class AceType(StrEnum):
    ALLOW = "A"
    DENY = "D"


@dataclass(frozen=True, order=True)
class Sid:
    """A security identifier: revision 1, an authority and sub-authorities."""

    authority: int
    sub_authorities: tuple[int, ...]

    def __post_init__(self):
        if not 0 <= self.authority <= MAX_AUTHORITY:
            raise SddlError(f"SID authority {self.authority} is out of range.")
        if not 1 <= len(self.sub_authorities) <= MAX_SUB_AUTHORITIES:
            raise SddlError(
                f"A SID has 1 to {MAX_SUB_AUTHORITIES} sub-authorities, "
                f"not {len(self.sub_authorities)}."
            )
        for value in self.sub_authorities:
            if not 0 <= value <= MAX_SUB_AUTHORITY:
                raise SddlError(f"SID sub-authority {value} is out of range.")

    def __str__(self):
        if self.authority > 0xFFFFFFFF:
            authority = f"0x{self.authority:012X}"
        else:
            authority = str(self.authority)
        subs = "".join(f"-{value}" for value in self.sub_authorities)
        return f"S-1-{authority}{subs}"


@dataclass(frozen=True)
class Ace:
    """One access control entry: allow or deny some rights to one SID."""

    type: AceType
    rights: str
    sid: Sid

    @property
    def access_mask(self):
        return rights_mask(self.rights)

    def __str__(self):
        return f"({self.type};;{self.rights};;;{self.sid})"


@dataclass(frozen=True)
class Descriptor:
    """A security descriptor: owner, optional group, and a DACL."""

    owner: str
    group: str | None
    aces: tuple[Ace, ...]

    def __str__(self):
        group = f"G:{self.group}" if self.group else ""
        return f"O:{self.owner}{group}D:" + "".join(str(ace) for ace in self.aces)

    def sids(self, ace_type):
        """Return the SIDs of the entries of one type, in order."""
        return [ace.sid for ace in self.aces if ace.type == ace_type]


def parse_sid(text):
    """Parse a SID string in canonical form; raise SddlError otherwise."""
    if not isinstance(text, str):
        raise SddlError("A SID must be a string.")
    match = _SID_RE.fullmatch(text)
    if match is None:
        raise SddlError(f"{_shown(text)} is not a SID (S-1-<authority>-<number>...).")

    raw_authority = match["authority"]
    if raw_authority.startswith("0x"):
        authority = int(raw_authority, 16)
        if authority <= 0xFFFFFFFF:
            raise SddlError(
                f"{_shown(text)}: an authority below 2^32 is written in decimal."
            )
    else:
        # Compared as text first: int() refuses thousands of digits, and a
        # canonical number has no leading zeros.
        too_long = len(raw_authority) > len(str(0xFFFFFFFF))
        authority = None if too_long else int(raw_authority)
        if too_long or authority > 0xFFFFFFFF:
            raise SddlError(
                f"{_shown(text)}: an authority of 2^32 or more is written as 0x "
                "and twelve hex digits."
            )

    parts = match["subs"].split("-")[1:]
    for part in parts:
        if len(part) > len(str(MAX_SUB_AUTHORITY)):
            shown = part if len(part) <= 20 else part[:17] + "..."
            raise SddlError(
                f"{_shown(text)}: SID sub-authority {shown} is out of range."
            )
    subs = tuple(int(part) for part in parts)
    try:
        return Sid(authority, subs)
    except SddlError as error:
        raise SddlError(f"{_shown(text)}: {error}") from None


def is_sid(text):
    """Whether a string is a SID in canonical form."""
    try:
        parse_sid(text)
    except SddlError:
        return False
    return True


def rights_mask(rights):
    """Return the access mask of a rights string such as ``RCGW``."""
    if not rights or len(rights) % 2:
        raise SddlError(f"{_shown(rights)} is not a list of two-letter rights.")
    codes = [rights[index : index + 2] for index in range(0, len(rights), 2)]
    unknown = [code for code in codes if code not in RIGHT_MASKS]
    if unknown:
        raise SddlError(f"Unknown access right {unknown[0]!r}.")
    if len(set(codes)) != len(codes):
        raise SddlError(f"{_shown(rights)} names a right twice.")
    mask = 0
    for code in codes:
        mask |= RIGHT_MASKS[code]
    return mask


def build_xp_bypass(sids):
    """Return the XP/2003 "Allow authenticated IPsec bypass" value for SIDs."""
    aces = [Ace(AceType.ALLOW, XP_BYPASS_RIGHTS, sid) for sid in _unique_sids(sids)]
    return str(Descriptor("DA", "DA", tuple(aces)))


def build_authorization(allow, deny=()):
    """Return a later-era authorization list: deny entries first, then allow."""
    deny_aces = [
        Ace(AceType.DENY, AUTHORIZATION_RIGHTS, sid) for sid in _unique_sids(deny)
    ]
    allow_aces = [
        Ace(AceType.ALLOW, AUTHORIZATION_RIGHTS, sid) for sid in _unique_sids(allow)
    ]
    return str(Descriptor("LS", None, tuple(deny_aces + allow_aces)))


_ACE_RE = re.compile(
    r"\((?P<type>[^;()]*);(?P<flags>[^;()]*);(?P<rights>[^;()]*);"
    r"(?P<object>[^;()]*);(?P<inherited>[^;()]*);(?P<sid>[^;()]*)\)"
)
_HEADER_RE = re.compile(r"O:(?P<owner>[^:]+?)(?:G:(?P<group>[^:]+?))?D:")


def parse_sddl(text):
    """Parse one of the two accepted descriptor forms; raise SddlError otherwise.

    Accepted: an owner and optional group (``DA``, ``LS`` or a SID), a DACL
    without flags, and entries of type A or D with no ACE flags, no object
    types, rights from CC/RC/GW and a trustee given as a SID string.
    """
    if not isinstance(text, str):
        raise SddlError("A security descriptor must be a string.")
    header = _HEADER_RE.match(text)
    if header is None:
        raise SddlError(f"{_shown(text)} does not start with O:<owner>[G:<group>]D:.")
    owner = _parse_owner(header["owner"])
    group = _parse_owner(header["group"]) if header["group"] is not None else None

    aces = []
    position = header.end()
    while position < len(text):
        match = _ACE_RE.match(text, position)
        if match is None:
            raise SddlError(
                f"Unexpected text at character {position + 1}: "
                f"{_shown(text[position : position + 30])}."
            )
        aces.append(_parse_ace(match))
        position = match.end()
    return Descriptor(owner, group, tuple(aces))


def _parse_owner(value):
    if value in OWNER_ALIASES:
        return value
    return str(parse_sid(value))


def _parse_ace(match):
    try:
        ace_type = AceType(match["type"])
    except ValueError:
        raise SddlError(
            f"ACE type {_shown(match['type'])} is neither A (allow) nor D (deny)."
        ) from None
    if match["flags"] or match["object"] or match["inherited"]:
        raise SddlError(f"{_shown(match[0])}: ACE flags and object types are refused.")
    rights_mask(match["rights"])
    return Ace(ace_type, match["rights"], parse_sid(match["sid"]))


def _unique_sids(sids):
    """Parse SIDs and drop repeats, keeping the first occurrence's place."""
    unique = {}
    for value in sids:
        sid = value if isinstance(value, Sid) else parse_sid(value)
        unique.setdefault(sid, None)
    return list(unique)


def _shown(text):
    """Quote a value for an error message without letting it run on."""
    text = str(text)
    return repr(text if len(text) <= 80 else text[:77] + "...")
