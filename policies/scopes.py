"""Remote-address scopes of firewall exceptions and rules, parsed per era.

A scope says which client addresses an exception admits. What may be written
depends on the Windows era of the server:

XP SP2 / Server 2003 (group policy and ``netsh firewall`` syntax)
    ``*`` alone (any address), ``LocalSubnet`` (any case), or a comma-separated
    list of IPv4 addresses and subnets written as ``a.b.c.d/nn`` or
    ``a.b.c.d/m.m.m.m``; the list may include ``LocalSubnet``. A bare address
    means /32 and ``10.50.7.33/24`` means the network 10.50.7.0/24.
    Known limitation: the XP syntax has no ``start-end`` ranges and no IPv6
    (the custom list lives under the ``ICFv4`` key), so both are refused for
    XP-era servers rather than accepted with a meaning Windows would not give
    them.

Vista / Server 2008 and later (WFAS, ``netsh advfirewall``, PowerShell)
    Additionally ``start-end`` ranges (no spaces, start not after end), IPv6
    addresses, prefixes and ranges, ``Any``, and the keywords ``LocalSubnet``,
    ``LocalSubnet4``, ``LocalSubnet6``, ``DNS``, ``DHCP``, ``WINS``,
    ``DefaultGateway``, ``Internet``, ``Intranet``, ``IntranetRemoteAccess``,
    ``PlayToDevice``, ``CaptivePortal`` and ``Ply2Renders``. Only the
    LocalSubnet family can be decided from what the console knows (the
    server's addresses); the others depend on the server's live network
    configuration, so a match that hinges on them is unknown.

Masks must be contiguous (``255.0.255.0`` is refused, as Windows refuses it).
``parse_scope`` raises ``ScopeError`` naming the bad token; ``Scope.match``
answers True, False or None (unknown), with the reason.
"""

import ipaddress
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from netaddr import IPAddress, IPNetwork, IPRange, IPSet

from fwconsole.numbers import ascii_number
from policies.models import Era

ANY_ADDRESS = "*"

LOCAL_SUBNET = "LocalSubnet"
LOCAL_SUBNET4 = "LocalSubnet4"
LOCAL_SUBNET6 = "LocalSubnet6"
LOCAL_SUBNET_KEYWORDS = {LOCAL_SUBNET: None, LOCAL_SUBNET4: 4, LOCAL_SUBNET6: 6}

# Keywords whose addresses come from the server's live configuration (DNS and
# WINS servers, gateway, DHCP server, remote-access and Play To devices) or
# from its routing view of the network; the console records none of that.
UNDECIDABLE_KEYWORDS = (
    "DNS",
    "DHCP",
    "WINS",
    "DefaultGateway",
    "Internet",
    "Intranet",
    "IntranetRemoteAccess",
    "PlayToDevice",
    "CaptivePortal",
    "Ply2Renders",
)

_ADVANCED_KEYWORDS = {
    name.lower(): name for name in (*LOCAL_SUBNET_KEYWORDS, *UNDECIDABLE_KEYWORDS)
}


class ScopeError(ValueError):
    """A scope string that cannot be saved; the message names the bad token."""


# The most entries a scope may list. Parsing is linear, but a scope is read
# again for every what-if evaluation and export, and a pasted file of a
# million addresses would hold a web worker for a minute.
MAX_SCOPE_ENTRIES = 10_000

# ASCII digits only: str.isdigit() would also take digits of other scripts.
_PREFIX_RE = re.compile(r"[0-9]+")


def _is_xp(era):
    return era == Era.XP


def _parse_address(token, text, era):
    if "%" in token:
        # A zone index names an interface of the machine that wrote it; it means
        # nothing in a firewall scope.
        raise ScopeError(f"'{token}' in '{text}' is not an IP address (zone index).")
    try:
        address = ipaddress.ip_address(token)
    except ValueError:
        raise ScopeError(f"'{token}' in '{text}' is not an IP address.") from None
    if address.version == 6 and _is_xp(era):
        raise ScopeError(
            f"'{token}' in '{text}' is IPv6; XP-era scopes list IPv4 addresses only."
        )
    return address


def _prefix_from_mask(mask_text, token, text):
    try:
        mask = ipaddress.IPv4Address(mask_text)
    except ValueError:
        raise ScopeError(f"'{mask_text}' in '{token}' is not a subnet mask.") from None
    bits = int(mask)
    inverted = ~bits & 0xFFFFFFFF
    # Contiguous: the host part is all ones from the right, i.e. inverted+1 is
    # a power of two.
    if inverted & (inverted + 1):
        raise ScopeError(
            f"Mask {mask_text} in '{text}' is not contiguous; write the subnet as "
            "a prefix such as /24."
        )
    return 32 - inverted.bit_length()


def _parse_subnet(token, text, era):
    address_text, _, prefix_text = token.partition("/")
    address = _parse_address(address_text, text, era)
    limit = 32 if address.version == 4 else 128
    if _PREFIX_RE.fullmatch(prefix_text):
        prefix = ascii_number(prefix_text, 3)
        if prefix is None or prefix > limit:
            raise ScopeError(
                f"Prefix /{prefix_text} in '{text}' is longer than {limit} bits."
            )
    elif address.version == 4 and "." in prefix_text:
        prefix = _prefix_from_mask(prefix_text, token, text)
    else:
        raise ScopeError(
            f"'{token}' in '{text}' needs a prefix length (/24) or a dotted mask."
        )
    # A host address with a prefix names its whole network, as Windows reads it.
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return IPNetwork(str(network))


def _parse_range(token, text, era):
    if _is_xp(era):
        raise ScopeError(
            f"'{token}' in '{text}' is a range; XP-era scopes take addresses and "
            "subnets only (write the range as subnets)."
        )
    start_text, _, end_text = token.partition("-")
    start = _parse_address(start_text, text, era)
    end = _parse_address(end_text, text, era)
    if start.version != end.version:
        raise ScopeError(f"Range '{token}' in '{text}' mixes IPv4 and IPv6.")
    if start > end:
        raise ScopeError(f"Range '{token}' in '{text}' ends before it starts.")
    return IPRange(str(start), str(end))


@dataclass(frozen=True)
class ScopeMatch:
    """The answer of a scope for one client: True, False or None (unknown)."""

    result: bool | None
    reason: str
    via: str = ""


@dataclass(frozen=True)
class Scope:
    """A parsed remote-address scope.

    ``any`` admits every client; otherwise a client is admitted when its address
    is in ``addresses``, or on the local subnet of one of the server's
    interfaces (``local_subnet`` holds 4, 6 or None for both families), and the
    admission is unknown when only an undecidable keyword could admit it.
    """

    era: str
    any: bool = False
    local_subnet: frozenset = frozenset()
    keywords: frozenset = frozenset()
    addresses: IPSet = field(default_factory=IPSet)

    @property
    def is_undecidable(self):
        return bool(self.keywords)

    @cached_property
    def _tokens(self):
        """(version, first, last, token) of each address token, in order.

        Matching looks a client up here by bisection instead of asking the
        IPSet, which is far slower when one scope meets thousands of clients.
        """
        found = []
        for token in _address_tokens(self.addresses, self.era):
            start, _, end = token.partition("-")
            if end:
                first, last = IPAddress(start), IPAddress(end)
                found.append((first.version, int(first), int(last), token))
            else:
                network = IPNetwork(token)
                found.append((network.version, network.first, network.last, token))
        return sorted(found)

    @cached_property
    def _canonical(self):
        if self.any:
            return ANY_ADDRESS
        tokens = []
        local = self.local_subnet
        if None in local or {4, 6} <= local:
            tokens.append(LOCAL_SUBNET)
        else:
            tokens += [LOCAL_SUBNET4] if 4 in local else []
            tokens += [LOCAL_SUBNET6] if 6 in local else []
        tokens += [name for name in UNDECIDABLE_KEYWORDS if name in self.keywords]
        tokens += [token for *_, token in self._tokens]
        return ",".join(tokens)

    def canonical(self):
        """Return the canonical text; equal scopes give equal text."""
        return self._canonical

    __str__ = canonical

    def __eq__(self, other):
        if not isinstance(other, Scope):
            return NotImplemented
        return self.canonical() == other.canonical()

    def __hash__(self):
        return hash(self.canonical())

    def _covering(self, version, number):
        tokens = self._tokens
        index = bisect_right(tokens, (version, number, _ABOVE_ANY, "")) - 1
        if index >= 0:
            token_version, first, last, token = tokens[index]
            if token_version == version and first <= number <= last:
                return token
        return ""

    def decide(self, client_address, server_interfaces=()):
        """The answer of ``match`` without its explanation (faster, for many
        clients at once): True, False or None."""
        if self.any:
            return True
        if client_address is None:
            return None
        try:
            version, number, _ = _client(str(client_address))
        except ValueError:
            return None
        if self._covering(version, number):
            return True
        if self._local_network(version, number, server_interfaces) is not None:
            return True
        return None if self.keywords else False

    def match(self, client_address, server_interfaces=()):
        """Decide whether the scope admits a client address, and say why.

        ``server_interfaces`` are the server's addresses with their prefix
        lengths (``"10.20.1.10/24"``, netaddr IPNetwork, or objects with
        ``address`` and ``prefix_length``); LocalSubnet means the same subnet as
        any one of them. ``client_address`` None means the client's address is
        not known: only ``*`` can admit it then.
        """
        if self.any:
            return ScopeMatch(True, "the scope is * (any address)", ANY_ADDRESS)
        if client_address is None:
            return ScopeMatch(
                None, f"the scope {self} needs the client's address, which is unknown"
            )
        try:
            version, number, address = _client(str(client_address))
        except ValueError:
            return ScopeMatch(
                None, f"the client address {client_address!r} is unreadable"
            )
        token = self._covering(version, number)
        if token:
            return ScopeMatch(True, f"{address} is in {self}", token)
        network = self._local_network(version, number, server_interfaces)
        if network is not None:
            return ScopeMatch(
                True,
                f"{address} is on the local subnet {network.cidr} of the "
                f"server's interface {network}",
                LOCAL_SUBNET,
            )
        if self.keywords:
            names = ", ".join(sorted(self.keywords))
            return ScopeMatch(
                None,
                f"{address} could only be admitted by {names}, whose addresses "
                "depend on the server's live network settings",
            )
        if self.local_subnet:
            subnets = ", ".join(
                str(network.cidr) for network in interface_networks(server_interfaces)
            )
            return ScopeMatch(
                False,
                f"{address} is not in {self} (the server's local subnets: "
                f"{subnets or 'none recorded'})",
            )
        return ScopeMatch(False, f"{address} is not in {self}")

    def admits(self, client_address, server_interfaces=()):
        """Return True, False or None (unknown); see ``match`` for the reason."""
        return self.decide(client_address, server_interfaces)

    def _local_network(self, version, number, server_interfaces):
        """The server interface whose subnet holds the address under LocalSubnet."""
        if not self.local_subnet:
            return None
        for network in interface_networks(server_interfaces):
            family_allowed = (
                None in self.local_subnet or network.version in self.local_subnet
            )
            if family_allowed and network.version == version:
                if network.first <= number <= network.last:
                    return network
        return None


# Sorts after every (version, first) pair of the same first address.
_ABOVE_ANY = 2**129


@lru_cache(maxsize=200_000)
def _client(text):
    """(version, integer, normal text) of a client address, parsed once."""
    address = ipaddress.ip_address(text)
    return address.version, int(address), str(address)


def interface_networks(server_interfaces):
    """Return the server's interfaces as netaddr IPNetworks (host bits kept)."""
    networks = []
    for interface in server_interfaces:
        if isinstance(interface, IPNetwork):
            networks.append(interface)
        elif hasattr(interface, "prefix_length"):
            networks.append(IPNetwork(f"{interface.address}/{interface.prefix_length}"))
        else:
            networks.append(IPNetwork(str(interface)))
    return networks


def _address_tokens(addresses, era):
    """Render an address set: CIDRs for XP, ranges where needed for later eras."""
    tokens = []
    if _is_xp(era):
        for network in addresses.iter_cidrs():
            tokens.append(_network_token(network))
        return tokens
    for address_range in addresses.iter_ipranges():
        cidrs = address_range.cidrs()
        if len(cidrs) == 1:
            tokens.append(_network_token(cidrs[0]))
        else:
            first = IPAddress(address_range.first, address_range.version)
            last = IPAddress(address_range.last, address_range.version)
            tokens.append(f"{first}-{last}")
    return tokens


def _network_token(network):
    full = 32 if network.version == 4 else 128
    if network.prefixlen == full:
        return str(network.ip)
    return str(network.cidr)


def parse_scope(text, era=Era.ADVANCED):
    """Parse a scope string for a server of the given era (raises ScopeError)."""
    text = (text or "").strip()
    if not text:
        raise ScopeError("The scope is empty; write * for any address.")
    if text.count(",") >= MAX_SCOPE_ENTRIES:
        raise ScopeError(
            f"The scope lists more than {MAX_SCOPE_ENTRIES:,} entries; write "
            "neighbouring addresses as subnets or ranges, or split the rule."
        )
    tokens = [raw.strip() for raw in text.split(",")]
    if ANY_ADDRESS in tokens or (not _is_xp(era) and "any" in map(str.lower, tokens)):
        if len(tokens) > 1:
            raise ScopeError(
                f"'*' (any address) must be the only entry, not part of '{text}'."
            )
        return Scope(era=era, any=True)

    local_subnet = set()
    keywords = set()
    entries = []
    for token in tokens:
        if not token:
            raise ScopeError(f"Empty entry between commas in '{text}'.")
        if any(character.isspace() for character in token):
            raise ScopeError(
                f"'{token}' in '{text}' contains spaces; addresses, subnets and "
                "ranges are written without spaces (10.0.0.1-10.0.0.9)."
            )
        keyword = _keyword(token, text, era)
        if keyword in LOCAL_SUBNET_KEYWORDS:
            local_subnet.add(LOCAL_SUBNET_KEYWORDS[keyword])
        elif keyword:
            keywords.add(keyword)
        elif "/" in token:
            entries.append(_parse_subnet(token, text, era))
        elif "-" in token:
            entries.append(_parse_range(token, text, era))
        else:
            entries.append(IPAddress(str(_parse_address(token, text, era))))
    # One merge of every entry: adding them one by one re-merges the set each
    # time, which takes seconds for a few thousand entries.
    return Scope(
        era=era,
        local_subnet=frozenset(local_subnet),
        keywords=frozenset(keywords),
        addresses=IPSet(entries),
    )


def _keyword(token, text, era):
    """Return the canonical keyword a token names, or '' for an address token."""
    lowered = token.lower()
    if lowered == LOCAL_SUBNET.lower():
        return LOCAL_SUBNET
    if lowered in _ADVANCED_KEYWORDS:
        if _is_xp(era):
            raise ScopeError(
                f"'{token}' in '{text}' is a later-era keyword; XP-era scopes know "
                "only * and LocalSubnet."
            )
        return _ADVANCED_KEYWORDS[lowered]
    if token[:1].isalpha() and ":" not in token and not _looks_like_ipv4(token):
        raise ScopeError(f"'{token}' in '{text}' is neither an address nor a keyword.")
    return ""


def _looks_like_ipv4(token):
    return all(part.isdigit() for part in token.split("/")[0].split("-")[0].split("."))


def canonical_scope(text, era=Era.ADVANCED):
    """Return the canonical text of a scope string (raises ScopeError)."""
    return parse_scope(text, era).canonical()


def scopes_equivalent(first, second, era=Era.ADVANCED):
    """Whether two scope strings admit exactly the same clients.

    This is the drift check: Windows reads scopes back in its own notation
    (``10.0.0.0/255.0.0.0`` as ``10.0.0.0/8``, ``localsubnet`` as
    ``LocalSubnet``), which must count as in sync.
    """
    return parse_scope(first, era) == parse_scope(second, era)
