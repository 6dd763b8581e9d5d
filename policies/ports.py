"""Port specifications and service strings, parsed strictly.

A port specification is what a firewall exception or rule lists: single ports
and ranges separated by commas (``445``, ``80,443``, ``5000-5100``), or ``*`` /
``any`` for every port. A service string names what a what-if query asks for:
``445/tcp`` or ``tcp/445``, ``icmp/8`` or ``icmp:echo-request``, or
``program:<path>``.

Parsing never guesses: a bad token raises ``PortSpecError`` (or
``ServiceSpecError``) whose message names the token, so a form can show it
next to the field.
"""

import re
from dataclasses import dataclass

from fwconsole.numbers import ascii_number

PORT_MIN = 1
PORT_MAX = 65535

TCP = "tcp"
UDP = "udp"
ICMP = "icmp"
PROGRAM = "program"

PORT_PROTOCOLS = (TCP, UDP)

# Inbound ICMP types a Windows firewall can be asked about, by the names
# netsh, the XP group policy settings and RFC 792 use.
ICMP_TYPE_NAMES = {
    "echo-reply": 0,
    "destination-unreachable": 3,
    "source-quench": 4,
    "redirect": 5,
    "echo-request": 8,
    "echo": 8,
    "router-advertisement": 9,
    "router-solicitation": 10,
    "router-request": 10,
    "time-exceeded": 11,
    "parameter-problem": 12,
    "timestamp-request": 13,
    "timestamp": 13,
    "timestamp-reply": 14,
    "address-mask-request": 17,
    "mask-request": 17,
    "address-mask-reply": 18,
}

ICMP_ECHO_REQUEST = 8

_DIGITS = re.compile(r"[0-9]+")


class PortSpecError(ValueError):
    """A port specification that cannot be read; the message names the token."""


class ServiceSpecError(ValueError):
    """A service string that cannot be read; the message says what was expected."""


def _parse_port_number(token, text):
    if not _DIGITS.fullmatch(token):
        raise PortSpecError(
            f"'{token}' in '{text}' is not a port number "
            f"(use digits, {PORT_MIN}-{PORT_MAX})."
        )
    port = ascii_number(token, len(str(PORT_MAX)))
    if port is None or not PORT_MIN <= port <= PORT_MAX:
        raise PortSpecError(
            f"Port {token} in '{text}' is outside {PORT_MIN}-{PORT_MAX}."
        )
    return port


def _merge(ranges):
    """Sort ranges and join those that overlap or touch."""
    merged = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class PortSet:
    """A set of TCP or UDP port numbers, kept as merged, sorted ranges.

    Two specifications that name the same ports compare equal and print the
    same canonical text (``80,443,5000-5100``; ``*`` for every port; empty
    text for no port).
    """

    ranges: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, *items):
        """Build a set from port numbers and (start, end) pairs."""
        ranges = []
        for item in items:
            start, end = (item, item) if isinstance(item, int) else item
            if not (PORT_MIN <= start <= end <= PORT_MAX):
                raise PortSpecError(f"{start}-{end} is not a valid port range.")
            ranges.append((start, end))
        return cls(_merge(ranges))

    @classmethod
    def every(cls):
        return cls(((PORT_MIN, PORT_MAX),))

    def contains(self, port):
        """Return whether the port number is in the set."""
        return any(start <= port <= end for start, end in self.ranges)

    __contains__ = contains

    @property
    def is_every_port(self):
        return self.ranges == ((PORT_MIN, PORT_MAX),)

    @property
    def is_empty(self):
        return not self.ranges

    def __len__(self):
        return sum(end - start + 1 for start, end in self.ranges)

    def __bool__(self):
        return bool(self.ranges)

    def __iter__(self):
        for start, end in self.ranges:
            yield from range(start, end + 1)

    def union(self, other):
        return PortSet(_merge(self.ranges + other.ranges))

    __or__ = union

    def overlaps(self, other):
        return any(
            start <= other_end and other_start <= end
            for start, end in self.ranges
            for other_start, other_end in other.ranges
        )

    def __str__(self):
        if self.is_every_port:
            return "*"
        return ",".join(
            str(start) if start == end else f"{start}-{end}"
            for start, end in self.ranges
        )


def parse_ports(text, *, blank_means_every_port=False):
    """Parse a port specification into a PortSet.

    Accepts single ports and ``start-end`` ranges separated by commas (spaces
    around the commas are ignored), or ``*`` / ``any`` alone for every port.
    Blank text is an error unless ``blank_means_every_port`` (for fields whose
    help says "Empty: every port").
    """
    text = (text or "").strip()
    if not text:
        if blank_means_every_port:
            return PortSet.every()
        raise PortSpecError("No port given (e.g. 445, 80,443 or 5000-5100).")
    if text.lower() in ("*", "any"):
        return PortSet.every()

    ranges = []
    for raw in text.split(","):
        token = raw.strip()
        if not token:
            raise PortSpecError(f"Empty entry between commas in '{text}'.")
        if token.lower() in ("*", "any"):
            raise PortSpecError(f"'{token}' must stand alone, not in a list: '{text}'.")
        if "-" in token:
            start_text, _, end_text = token.partition("-")
            if not start_text.strip() or not end_text.strip():
                raise PortSpecError(
                    f"'{token}' in '{text}' is not a port range (write start-end)."
                )
            start = _parse_port_number(start_text.strip(), text)
            end = _parse_port_number(end_text.strip(), text)
            if start > end:
                raise PortSpecError(
                    f"Range '{token}' in '{text}' ends before it starts."
                )
            ranges.append((start, end))
        else:
            port = _parse_port_number(token, text)
            ranges.append((port, port))
    return PortSet(_merge(ranges))


def canonical_ports(text, *, blank_means_every_port=False):
    """Return the canonical text of a port specification (raises PortSpecError)."""
    return str(parse_ports(text, blank_means_every_port=blank_means_every_port))


@dataclass(frozen=True)
class Service:
    """What a client asks a server for: a TCP/UDP port, an ICMP type or a program.

    Exactly one of ``port``, ``icmp_type`` or ``program_path`` is set, as
    ``kind`` says.
    """

    kind: str
    protocol: str = ""
    port: int | None = None
    icmp_type: int | None = None
    program_path: str = ""

    @classmethod
    def tcp(cls, port):
        return cls(kind=TCP, protocol=TCP, port=port)

    @classmethod
    def udp(cls, port):
        return cls(kind=UDP, protocol=UDP, port=port)

    @classmethod
    def icmp(cls, icmp_type):
        return cls(kind=ICMP, protocol=ICMP, icmp_type=icmp_type)

    @classmethod
    def program(cls, path):
        return cls(kind=PROGRAM, program_path=path)

    @property
    def is_port(self):
        return self.kind in PORT_PROTOCOLS

    @property
    def is_icmp(self):
        return self.kind == ICMP

    @property
    def is_program(self):
        return self.kind == PROGRAM

    def __str__(self):
        if self.is_port:
            return f"{self.protocol}/{self.port}"
        if self.is_icmp:
            return f"icmp/{self.icmp_type}"
        return f"program:{self.program_path}"

    @property
    def label(self):
        """A human label: ``TCP 445``, ``ICMP echo-request (8)``, ``program C:\\x``."""
        if self.is_port:
            return f"{self.protocol.upper()} {self.port}"
        if self.is_icmp:
            name = icmp_type_name(self.icmp_type)
            return (
                f"ICMP {name} ({self.icmp_type})"
                if name
                else f"ICMP type {self.icmp_type}"
            )
        return f"program {self.program_path}"


def icmp_type_name(icmp_type):
    """Return the preferred name of an ICMP type number, or '' if it has none."""
    for name, number in ICMP_TYPE_NAMES.items():
        if number == icmp_type:
            return name
    return ""


def _parse_icmp_type(token, text):
    lowered = token.lower()
    if lowered in ICMP_TYPE_NAMES:
        return ICMP_TYPE_NAMES[lowered]
    icmp_type = ascii_number(token, 3)
    if icmp_type is None or icmp_type > 255:
        names = ", ".join(sorted(set(ICMP_TYPE_NAMES) - {"echo", "timestamp"}))
        raise ServiceSpecError(
            f"'{token}' in '{text}' is not an ICMP type: give 0-255 or one of {names}."
        )
    return icmp_type


def _parse_single_port(token, text):
    if "," in token or "-" in token:
        raise ServiceSpecError(
            f"'{text}' names several ports; a service is one port (e.g. tcp/445)."
        )
    try:
        return _parse_port_number(token, text)
    except PortSpecError as error:
        raise ServiceSpecError(str(error)) from None


def parse_service(text):
    """Parse a service string into a Service.

    Accepted: ``445/tcp``, ``tcp/445``, ``udp/161``, ``tcp:445``, ``icmp/8``,
    ``icmp:echo-request``, ``program:<path>``. Protocol names are
    case-insensitive; a bare port number is refused because TCP and UDP ports
    are different services.
    """
    text = (text or "").strip()
    if not text:
        raise ServiceSpecError(
            "No service given (e.g. tcp/445, icmp/8, program:C:\\app.exe)."
        )

    head, sep, rest = text.partition(":")
    if sep and head.strip().lower() == PROGRAM:
        path = rest.strip()
        if not path:
            raise ServiceSpecError(f"'{text}' names no program path after 'program:'.")
        return Service.program(path)

    parts = re.split(r"[/:]", text)
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise ServiceSpecError(
            f"'{text}' is not a service: write tcp/445, 445/tcp, udp/161, "
            "icmp/8, icmp:echo-request or program:<path>."
        )
    first, second = (part.strip() for part in parts)
    if first.lower() in (TCP, UDP, ICMP):
        protocol, value = first.lower(), second
    elif second.lower() in (TCP, UDP, ICMP):
        protocol, value = second.lower(), first
    else:
        raise ServiceSpecError(
            f"'{text}' names no protocol: use tcp, udp or icmp (e.g. tcp/445)."
        )

    if protocol == ICMP:
        return Service.icmp(_parse_icmp_type(value, text))
    port = _parse_single_port(value, text)
    return Service(kind=protocol, protocol=protocol, port=port)
