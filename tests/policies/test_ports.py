"""Port specifications and service strings."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.ports import (
    PortSet,
    PortSpecError,
    Service,
    ServiceSpecError,
    canonical_ports,
    parse_ports,
    parse_service,
)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("445", "445"),
        ("80,443", "80,443"),
        ("443, 80", "80,443"),
        ("5000-5100", "5000-5100"),
        ("80,81,82", "80-82"),
        ("5000-5100,5050", "5000-5100"),
        ("1-65535", "*"),
        ("*", "*"),
        ("Any", "*"),
        ("65535", "65535"),
    ],
)
def test_port_specs_read_to_canonical_text(text, canonical):
    assert canonical_ports(text) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "Port 0 in '0' is outside 1-65535"),
        ("65536", "Port 65536"),
        ("80,http", "'http' in '80,http' is not a port number"),
        ("5100-5000", "Range '5100-5000' in '5100-5000' ends before it starts"),
        ("80,,443", "Empty entry between commas"),
        ("80,*", "'*' must stand alone"),
        ("", "No port given"),
        ("-5", "'-5' in '-5' is not a port range"),
        ("1e3", "'1e3'"),
        ("+80", "'+80'"),
        ("٤٤٥", "'٤٤٥' in '٤٤٥' is not a port number"),
        ("9" * 5000, "is outside 1-65535"),
        ("80-" + "9" * 5000, "is outside 1-65535"),
    ],
)
def test_bad_port_specs_are_refused_naming_the_token(text, message):
    with pytest.raises(PortSpecError, match=re.escape(message)):
        parse_ports(text)


def test_leading_zeros_do_not_count_against_the_length_of_a_port():
    assert canonical_ports("0" * 5000 + "445") == "445"
    assert parse_service("icmp/" + "0" * 5000 + "8") == Service.icmp(8)


def test_blank_means_every_port_only_when_asked():
    assert parse_ports("", blank_means_every_port=True).is_every_port
    with pytest.raises(PortSpecError):
        parse_ports("  ")


def test_port_set_contains_the_ends_of_a_range_and_nothing_outside():
    ports = parse_ports("5000-5100,445")
    assert ports.contains(5000)
    assert 5100 in ports
    assert 445 in ports
    assert not ports.contains(4999)
    assert not ports.contains(5101)
    assert len(ports) == 102


@given(st.lists(st.tuples(st.integers(1, 65535), st.integers(0, 300)), min_size=1))
def test_canonical_text_reads_back_to_the_same_set(pairs):
    ranges = [(start, min(start + width, 65535)) for start, width in pairs]
    spec = ",".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges)
    ports = parse_ports(spec)
    assert parse_ports(str(ports)) == ports
    for start, end in ranges:
        assert ports.contains(start) and ports.contains(end)


@given(st.sets(st.integers(1, 65535), min_size=1, max_size=40), st.integers(1, 65535))
def test_port_set_contains_exactly_the_listed_ports(listed, probe):
    ports = parse_ports(",".join(map(str, listed)))
    assert ports.contains(probe) == (probe in listed)
    assert set(ports) == listed


def test_port_set_union_and_overlap():
    first, second = PortSet.of(80, (100, 200)), PortSet.of(150, 443)
    assert str(first | second) == "80,100-200,443"
    assert first.overlaps(second)
    assert not PortSet.of(1).overlaps(PortSet.of(2))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("445/tcp", Service.tcp(445)),
        ("tcp/445", Service.tcp(445)),
        ("TCP/445", Service.tcp(445)),
        ("tcp:445", Service.tcp(445)),
        ("udp/161", Service.udp(161)),
        ("161/UDP", Service.udp(161)),
        ("icmp/8", Service.icmp(8)),
        ("icmp:echo-request", Service.icmp(8)),
        ("icmp/Time-Exceeded", Service.icmp(11)),
        (
            r"program:C:\Program Files\App\app.exe",
            Service.program(r"C:\Program Files\App\app.exe"),
        ),
        ("PROGRAM: %SystemRoot%\\x.exe", Service.program("%SystemRoot%\\x.exe")),
    ],
)
def test_service_strings_parse(text, expected):
    assert parse_service(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("445", "is not a service"),
        ("", "No service given"),
        ("tcp/0", "Port 0 in 'tcp/0' is outside"),
        ("tcp/65536", "outside 1-65535"),
        ("tcp/80,443", "names several ports"),
        ("tcp/80-90", "names several ports"),
        ("sctp/80", "names no protocol"),
        ("tcp/http", "'http' in 'tcp/http' is not a port number"),
        ("icmp/256", "is not an ICMP type"),
        ("icmp/pong", "'pong' in 'icmp/pong' is not an ICMP type"),
        ("program:", "names no program path"),
        ("tcp/445/udp", "is not a service"),
        ("tcp/" + "9" * 5000, "is outside 1-65535"),
        ("icmp/" + "9" * 5000, "is not an ICMP type"),
    ],
)
def test_malformed_service_strings_are_refused(text, message):
    with pytest.raises(ServiceSpecError, match=message):
        parse_service(text)


@given(st.sampled_from(["tcp", "udp"]), st.integers(1, 65535))
def test_service_text_round_trips(protocol, port):
    service = parse_service(f"{port}/{protocol}")
    assert parse_service(str(service)) == service
    assert service.port == port and service.protocol == protocol


def test_service_labels_read_well():
    assert parse_service("tcp/445").label == "TCP 445"
    assert parse_service("icmp/8").label == "ICMP echo-request (8)"
    assert parse_service("icmp/200").label == "ICMP type 200"
