"""Remote-address scopes: parsing per era, canonical text, matching."""

import ipaddress
import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.models import Era
from policies.scopes import (
    ScopeError,
    canonical_scope,
    parse_scope,
    scopes_equivalent,
)

FC19_INTERFACES = ["10.20.1.10/24", "192.168.50.10/26"]


@pytest.mark.parametrize("era", [Era.XP, Era.ADVANCED])
@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("*", "*"),
        ("localsubnet", "LocalSubnet"),
        ("LOCALSUBNET", "LocalSubnet"),
        ("10.0.0.0/255.0.0.0", "10.0.0.0/8"),
        ("172.16.5.7", "172.16.5.7"),
        ("172.16.5.7/255.255.255.255", "172.16.5.7"),
        ("172.16.5.7/32", "172.16.5.7"),
        ("10.50.7.33/24", "10.50.7.0/24"),
        ("10.40.0.0/16,10.40.0.0/255.255.0.0", "10.40.0.0/16"),
        ("10.0.0.0/25, 10.0.0.128/25", "10.0.0.0/24"),
        ("10.0.0.1,LocalSubnet", "LocalSubnet,10.0.0.1"),
        ("0.0.0.0/0.0.0.0", "0.0.0.0/0"),
    ],
)
def test_scopes_of_both_eras_read_to_canonical_text(era, text, canonical):
    assert canonical_scope(text, era) == canonical


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("10.30.4.1-10.30.4.9,172.16.5.7", "10.30.4.1-10.30.4.9,172.16.5.7"),
        ("10.0.0.0-10.0.0.255", "10.0.0.0/24"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:db8:0:0::/64", "2001:db8::/64"),
        ("2001:db8::1-2001:db8::9", "2001:db8::1-2001:db8::9"),
        ("dns,Internet,localsubnet6", "LocalSubnet6,DNS,Internet"),
        ("LocalSubnet4,LocalSubnet6", "LocalSubnet"),
        ("any", "*"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
    ],
)
def test_later_era_scopes_take_ranges_ipv6_and_keywords(text, canonical):
    assert canonical_scope(text, Era.ADVANCED) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.0/33",
        "10.0.0.1 - 10.0.0.9",
        "10.0.0.9-10.0.0.1",
        "*,10.0.0.1",
        "256.1.1.1",
        "10.0.0.0/255.0.255.0",
    ],
)
@pytest.mark.parametrize("era", [Era.XP, Era.ADVANCED])
def test_fc19_strings_are_refused_on_save(era, text):
    with pytest.raises(ScopeError) as raised:
        parse_scope(text, era)
    assert str(raised.value)


def test_a_scope_of_ten_thousand_entries_reads_quickly():
    listed = [str(ipaddress.IPv4Address("10.0.0.0") + 2 * n) for n in range(10_000)]

    started = time.perf_counter()
    scope = parse_scope(",".join(listed), Era.ADVANCED)

    assert time.perf_counter() - started < 2
    assert scope.match("10.0.78.30").result is True
    assert scope.match("10.0.78.31").result is False


def test_a_scope_of_more_entries_is_refused_before_it_is_read():
    pasted = ",".join(["10.0.0.1"] * 1_000_000)

    with pytest.raises(ScopeError, match="more than 10,000 entries"):
        parse_scope(pasted, Era.ADVANCED)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.0/33", "Prefix /33 in '10.0.0.0/33' is longer than 32 bits"),
        ("10.0.0.1 - 10.0.0.9", "contains spaces"),
        (
            "10.0.0.9-10.0.0.1",
            "Range '10.0.0.9-10.0.0.1' in '10.0.0.9-10.0.0.1' ends before",
        ),
        ("*,10.0.0.1", "'*' (any address) must be the only entry"),
        ("256.1.1.1", "'256.1.1.1' in '256.1.1.1' is not an IP address"),
        (
            "10.0.0.0/255.0.255.0",
            "Mask 255.0.255.0 in '10.0.0.0/255.0.255.0' is not contiguous",
        ),
        ("10.0.0.0/0.0.0.255", "is not contiguous"),
        ("", "The scope is empty"),
        ("10.0.0.1,,10.0.0.2", "Empty entry between commas"),
        ("10.1", "'10.1' in '10.1' is not an IP address"),
        ("010.0.0.1", "is not an IP address"),
        ("intranet2", "'intranet2' in 'intranet2' is neither an address nor a keyword"),
        ("10.0.0.1-2001:db8::1", "mixes IPv4 and IPv6"),
        ("10.0.0.0/abc", "needs a prefix length"),
        ("2001:db8::/129", "longer than 128 bits"),
        ("fe80::1%3", "is not an IP address"),
        ("10.0.0.0/" + "9" * 5000, "is longer than 32 bits"),
        ("2001:db8::/" + "9" * 5000, "is longer than 128 bits"),
        ("10.0.0.0/٨", "needs a prefix length"),
    ],
)
def test_bad_scopes_are_refused_naming_the_token(text, message):
    with pytest.raises(ScopeError, match=re.escape(message)):
        parse_scope(text, Era.ADVANCED)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.1-10.0.0.9", "XP-era scopes take addresses and subnets only"),
        ("2001:db8::1", "XP-era scopes list IPv4 addresses only"),
        ("DNS", "XP-era scopes know only * and LocalSubnet"),
        ("any", "neither an address nor a keyword"),
    ],
)
def test_xp_era_refuses_later_era_syntax(text, message):
    with pytest.raises(ScopeError, match=re.escape(message)):
        parse_scope(text, Era.XP)


@pytest.mark.parametrize(
    ("console", "windows"),
    [
        ("10.0.0.0/255.0.0.0", "10.0.0.0/8"),
        ("172.16.5.7", "172.16.5.7/255.255.255.255"),
        ("localsubnet", "LocalSubnet"),
        ("10.40.0.0/16,10.40.0.0/255.255.0.0", "10.40.0.0/255.255.0.0"),
    ],
)
@pytest.mark.parametrize("era", [Era.XP, Era.ADVANCED])
def test_fc19_drift_pairs_count_as_in_sync(era, console, windows):
    assert scopes_equivalent(console, windows, era)
    assert canonical_scope(console, era) == canonical_scope(windows, era)


def test_different_scopes_are_not_equivalent():
    assert not scopes_equivalent("10.0.0.0/8", "10.0.0.0/9")
    assert not scopes_equivalent("LocalSubnet", "*")
    assert not scopes_equivalent("LocalSubnet4", "LocalSubnet")


@pytest.mark.parametrize(
    ("scope", "address", "admitted"),
    [
        ("10.0.0.0/255.0.0.0", "10.99.1.5", True),
        ("10.0.0.0/255.0.0.0", "11.0.0.1", False),
        ("localsubnet", "10.20.1.77", True),
        ("localsubnet", "10.20.2.77", False),
        ("localsubnet", "192.168.50.62", True),
        ("localsubnet", "192.168.50.70", False),
        ("10.30.4.1-10.30.4.9,172.16.5.7", "10.30.4.9", True),
        ("10.30.4.1-10.30.4.9,172.16.5.7", "10.30.4.10", False),
        ("10.30.4.1-10.30.4.9,172.16.5.7", "172.16.5.7", True),
        ("10.30.4.1-10.30.4.9,172.16.5.7", "172.16.5.8", False),
        ("*", "203.0.113.9", True),
        ("10.40.0.0/16,10.40.0.0/255.255.0.0", "10.40.255.255", True),
        ("10.50.7.33/24", "10.50.7.200", True),
        ("10.50.7.33/24", "10.50.8.1", False),
        ("2001:db8::/32", "2001:db8:1::5", True),
        ("2001:db8::/32", "10.0.0.1", False),
        ("LocalSubnet6", "10.20.1.77", False),
        ("LocalSubnet4", "10.20.1.77", True),
    ],
)
def test_fc19_scopes_admit_exactly_the_expected_clients(scope, address, admitted):
    assert parse_scope(scope, Era.ADVANCED).admits(address, FC19_INTERFACES) is admitted


def test_local_subnet_uses_each_interfaces_own_prefix_on_a_multi_homed_server():
    scope = parse_scope("LocalSubnet", Era.XP)
    match = scope.match("192.168.50.62", FC19_INTERFACES)
    assert match.result is True
    assert "192.168.50.0/26" in match.reason
    denied = scope.match("192.168.50.70", FC19_INTERFACES)
    assert denied.result is False
    assert "10.20.1.0/24, 192.168.50.0/26" in denied.reason


def test_local_subnet_without_recorded_interfaces_admits_nobody():
    match = parse_scope("LocalSubnet", Era.XP).match("10.0.0.1", [])
    assert match.result is False
    assert "none recorded" in match.reason


def test_unknown_client_address_is_unknown_unless_scope_is_any():
    assert parse_scope("*").admits(None, FC19_INTERFACES) is True
    assert parse_scope("LocalSubnet").admits(None, FC19_INTERFACES) is None
    match = parse_scope("10.0.0.0/8").match(None)
    assert match.result is None
    assert "needs the client's address" in match.reason


def test_undecidable_keywords_make_the_match_unknown_not_false():
    scope = parse_scope("DNS,10.1.0.0/16", Era.ADVANCED)
    assert scope.admits("10.1.2.3") is True
    match = scope.match("10.9.9.9")
    assert match.result is None
    assert "DNS" in match.reason


def test_local_subnet_decides_before_undecidable_keywords():
    scope = parse_scope("LocalSubnet,Internet", Era.ADVANCED)
    assert scope.admits("10.20.1.5", FC19_INTERFACES) is True
    assert scope.admits("8.8.8.8", FC19_INTERFACES) is None


def test_match_names_the_token_that_admitted():
    match = parse_scope("10.30.4.1-10.30.4.9,172.16.5.7").match("10.30.4.3")
    assert match.via == "10.30.4.1-10.30.4.9"


def test_server_address_rows_serve_as_interfaces():
    class Row:
        address = "192.168.50.10"
        prefix_length = 26

    assert parse_scope("LocalSubnet").admits("192.168.50.1", [Row()]) is True


ipv4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
prefix = st.integers(0, 32)
subnet = st.tuples(ipv4, prefix).map(lambda pair: f"{pair[0]}/{pair[1]}")
token = st.one_of(ipv4, subnet, st.just("LocalSubnet"))
scope_text = st.lists(token, min_size=1, max_size=6).map(",".join)


@given(scope_text, st.sampled_from([Era.XP, Era.ADVANCED]))
def test_canonical_text_reads_back_to_an_equal_scope(text, era):
    scope = parse_scope(text, era)
    again = parse_scope(scope.canonical(), era)
    assert again == scope
    assert again.canonical() == scope.canonical()


@given(ipv4, prefix, ipv4)
def test_mask_and_prefix_forms_admit_the_same_clients(address, length, probe):
    network = ipaddress.IPv4Network(f"{address}/{length}", strict=False)
    as_prefix = parse_scope(f"{address}/{length}", Era.XP)
    as_mask = parse_scope(f"{address}/{network.netmask}", Era.XP)
    assert as_prefix == as_mask
    expected = ipaddress.IPv4Address(probe) in network
    assert as_prefix.admits(probe) is expected


@given(ipv4, ipv4, ipv4)
def test_range_admits_exactly_its_inclusive_span(first, second, probe):
    low, high = sorted([first, second], key=ipaddress.IPv4Address)
    scope = parse_scope(f"{low}-{high}", Era.ADVANCED)
    expected = (
        ipaddress.IPv4Address(low)
        <= ipaddress.IPv4Address(probe)
        <= ipaddress.IPv4Address(high)
    )
    assert scope.admits(probe) is expected
    assert parse_scope(scope.canonical(), Era.ADVANCED) == scope


@given(st.lists(subnet, min_size=1, max_size=5), ipv4)
def test_joining_scopes_admits_the_union(subnets, probe):
    joined = parse_scope(",".join(subnets), Era.XP)
    expected = any(parse_scope(s, Era.XP).admits(probe) for s in subnets)
    assert joined.admits(probe) is expected
