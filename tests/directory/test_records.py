"""Decoding and normalising single entries: SIDs, GUIDs, DNs, account state."""

import base64

import pytest

from directory.ldap.dn import InvalidDN, dn_key, is_within, parent_dn, rdn_value
from directory.ldap.entry import Entry
from directory.ldap.values import (
    escape_filter_text,
    filetime,
    guid_filter,
    guid_text,
    sid_bytes,
    sid_text,
)
from directory.sync.collect import Snapshot, foreign_sid
from directory.sync.pipeline import resolve_addresses
from directory.sync.records import member_values, object_record


def test_sid_round_trips_between_binary_and_text():
    raw = base64.b64decode("AQUAAAAAAAUVAAAAx/f+13x3VciUWs4BNQgAAA==")

    assert sid_text(raw) == "S-1-5-21-3623811015-3361044348-30300820-2101"
    assert sid_bytes(sid_text(raw)) == raw


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("1MOyofblG0qMLT5PWmt8jQ==", "a1b2c3d4-e5f6-4a1b-8c2d-3e4f5a6b7c8d"),
        ("AO7/wDQSvEqd7wARIjOquw==", "c0ffee00-1234-4abc-9def-00112233aabb"),
    ],
)
def test_object_guid_uses_the_windows_byte_order(encoded, expected):
    assert guid_text(base64.b64decode(encoded)) == expected


def test_binary_filter_values_escape_every_byte():
    assert guid_filter("29282a5c-0d9c-4f1e-a2b3-c4d5e6f70819") == (
        r"(objectGUID=\5c\2a\28\29\9c\0d\1e\4f\a2\b3\c4\d5\e6\f7\08\19)"
    )
    assert escape_filter_text("jroe(adm)") == r"jroe\28adm\29"
    assert escape_filter_text("*)(sAMAccountName=*") == r"\2a\29\28sAMAccountName=\2a"


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("cn=ws0602,ou=r\\+d,dc=CORP", "CN=WS0602,OU=R\\+D,DC=corp", True),
        ("CN=Roe\\, Jane,OU=Staff", "CN=Roe\\2C Jane, OU=Staff", True),
        ("CN=Kiosk Users\\ ,OU=G", "CN=Kiosk Users,OU=G", False),
        ("CN=Troms\\C3\\B8,OU=a", "cn=TROMSØ,ou=A", True),
        ("CN=\\#Ops,OU=G", "CN=\\23Ops,OU=g", True),
    ],
)
def test_dns_compare_as_parsed_values(first, second, same):
    assert (dn_key(first) == dn_key(second)) is same


def test_dn_parts_are_unescaped():
    assert rdn_value("CN=Kiosk Users\\ ,OU=Groups") == "Kiosk Users "
    assert rdn_value('CN=Jo \\"JJ\\" Example,OU=S') == 'Jo "JJ" Example'
    assert parent_dn("CN=Roe\\, Jane,OU=Staff,DC=x") == "OU=Staff,DC=x"
    assert is_within("CN=a,OU=Staff,DC=x", "ou=staff,dc=X")
    assert not is_within("CN=x\\,OU=b", "OU=b")


def test_a_string_that_is_no_dn_is_refused():
    with pytest.raises(InvalidDN):
        dn_key("no equals sign")


@pytest.mark.parametrize(
    ("uac", "enabled"), [(4096, True), (4098, False), (69634, False), (4128, True)]
)
def test_disabled_is_bit_two_of_user_account_control(uac, enabled):
    entry = Entry(
        "CN=WS1,DC=x",
        {"objectclass": [b"computer"], "useraccountcontrol": [str(uac).encode()]},
    )

    assert object_record(entry, "computer").enabled is enabled


def test_computer_names_drop_the_dollar_only_for_lookup():
    entry = Entry(
        "CN=WS1301,DC=corp,DC=example,DC=test",
        {
            "objectclass": [b"computer"],
            "objectguid": [base64.b64decode("e1ocPgAAAECAAAAAAAAFFQ==")],
            "samaccountname": [b"WS1301$"],
            "dnshostname": [b"WS1301.corp.example.test."],
        },
    )

    record = object_record(entry, "computer", dns_domain="corp.example.test")

    assert (record.sam_account_name, record.lookup_name) == ("WS1301$", "ws1301")
    assert record.dns_host_name == "ws1301.corp.example.test"
    assert record.warnings == []


def test_ranged_chunks_join_only_when_they_follow_each_other():
    complete = Entry(
        "CN=G,DC=x",
        {"member;range=0-1": [b"CN=a", b"CN=b"], "member;range=2-*": [b"CN=c"]},
    )
    gap = Entry(
        "CN=G,DC=x",
        {"member;range=0-1": [b"CN=a", b"CN=b"], "member;range=5-*": [b"CN=f"]},
    )

    assert member_values(complete) == (["CN=a", "CN=b", "CN=c"], True, [])
    members, done, warnings = member_values(gap)
    assert (members, done) == (["CN=a", "CN=b"], False)
    assert "member;range=5-*" in warnings[0]


def test_foreign_principal_dns_give_their_sid():
    dn = "CN=S-1-5-21-1-2-3-2201,CN=ForeignSecurityPrincipals,DC=corp,DC=test"

    assert foreign_sid(dn) == "S-1-5-21-1-2-3-2201"
    assert foreign_sid("CN=S-1-5-21-1-2-3-2201,OU=Other,DC=corp,DC=test") is None


def test_last_logon_filetime_and_never():
    assert filetime(b"0") is None
    assert filetime(b"9223372036854775807") is None
    assert filetime(b"133800000000000000").year == 2024


def test_addresses_come_from_dns_lookups_of_the_host_name():
    entry = Entry(
        "CN=L,DC=x", {"objectclass": [b"computer"], "dnshostname": [b"localhost"]}
    )
    gone = Entry(
        "CN=G,DC=x", {"objectclass": [b"computer"], "dnshostname": [b"gone.invalid"]}
    )
    snapshot = Snapshot()
    for item in (entry, gone):
        record = object_record(item, "computer")
        snapshot.records[record.guid] = record

    resolve_addresses(snapshot)

    local, missing = snapshot.records.values()
    assert "127.0.0.1" in local.addresses
    assert missing.addresses == []
    assert snapshot.warnings == ["1 computers' dNSHostName did not resolve in DNS"]


@pytest.mark.parametrize(
    "plain",
    [
        "CN=Ab c,OU=Work Stations,DC=corp,DC=test",
        "cn=WS1 , ou=Floor-2 ,dc=corp",
        "CN=a=b,OU=x",
        "CN=#Ops,OU=G",
    ],
)
def test_plain_and_escaped_spellings_of_a_dn_give_one_key(plain):
    # The second spelling escapes its first letter, so it takes the careful
    # parser while the first takes the quick split.
    escaped = f"{plain[:3]}\\{ord(plain[3]):02X}{plain[4:]}"

    assert dn_key(plain) == dn_key(escaped)
    assert rdn_value(plain) == rdn_value(escaped)
