import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.sddl import (
    AceType,
    SddlError,
    Sid,
    build_authorization,
    build_xp_bypass,
    parse_sddl,
    parse_sid,
    rights_mask,
)

DOMAIN = "S-1-5-21-3623811015-3361044348-30300820"

authorities = st.one_of(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=2**32, max_value=2**48 - 1),
)
sids = st.builds(
    Sid,
    authorities,
    st.lists(
        st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=15
    ).map(tuple),
)


@given(sids)
def test_sid_text_parses_back_to_the_same_sid(sid):
    assert parse_sid(str(sid)) == sid


@given(st.lists(sids, max_size=20))
def test_xp_bypass_value_parses_back_to_its_sids_and_rights(values):
    descriptor = parse_sddl(build_xp_bypass(values))

    assert descriptor.owner == "DA"
    assert descriptor.group == "DA"
    assert descriptor.sids(AceType.DENY) == []
    assert descriptor.sids(AceType.ALLOW) == list(dict.fromkeys(values))
    assert {ace.access_mask for ace in descriptor.aces} <= {0x40020000}


@given(st.lists(sids, max_size=10), st.lists(sids, max_size=10))
def test_authorization_list_parses_back_with_deny_entries_first(allow, deny):
    text = build_authorization(allow, deny)
    descriptor = parse_sddl(text)

    assert descriptor.owner == "LS"
    assert descriptor.group is None
    assert descriptor.sids(AceType.ALLOW) == list(dict.fromkeys(allow))
    assert descriptor.sids(AceType.DENY) == list(dict.fromkeys(deny))
    types = [ace.type for ace in descriptor.aces]
    assert types == sorted(types, key=lambda kind: kind != AceType.DENY)
    assert str(descriptor) == text


@given(st.text(max_size=40))
def test_arbitrary_text_is_a_sid_only_in_canonical_form(text):
    try:
        sid = parse_sid(text)
    except SddlError:
        return
    assert str(sid) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "S-1-5",
        "s-1-5-21-1",
        "S-2-5-21-1",
        "S-1-5-021",
        "S-1-05-21",
        "S-1-5-21-4294967296",
        "S-1-0x000000000005-21",
        "S-1-4294967296-1",
        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
        "S-1-5-21-1 ",
        "S-1-5-21-1\n",
        "S-1-5--21",
        "S-1-5-21-",
        "DA",
        "S-1-5-21-x",
        "S-1-5-21-" + "9" * 5000,
        "S-1-" + "9" * 5000 + "-21",
        "S-1-5-21-99999999999",
    ],
)
def test_malformed_sid_is_refused(text):
    with pytest.raises(SddlError):
        parse_sid(text)


def test_large_authority_is_written_in_hex():
    sid = parse_sid("S-1-0x000FFFFFFFF0-1")
    assert str(sid) == "S-1-0x000FFFFFFFF0-1"
    assert sid.authority == 0xFFFFFFFF0


@pytest.mark.parametrize(
    "text",
    [
        "O:DAG:DAD:(A;;RCGW;;;S-1-5-bogus)",
        "O:DAG:DAD:(A;;RCGW;;;AU)",
        "O:LSD:(X;;CC;;;S-1-5-11)",
        "O:LSD:(A;CI;CC;;;S-1-5-11)",
        "O:LSD:(A;;ZZ;;;S-1-5-11)",
        "O:LSD:(A;;CCCC;;;S-1-5-11)",
        "O:LSD:(A;;;;;S-1-5-11)",
        "O:LSD:P(A;;CC;;;S-1-5-11)",
        "O:LSD:(A;;CC;;;S-1-5-11)junk",
        "O:XXD:(A;;CC;;;S-1-5-11)",
        "D:(A;;CC;;;S-1-5-11)",
        "O:LSD:(A;;CC;;;S-1-5-11",
    ],
)
def test_descriptor_outside_the_accepted_forms_is_refused(text):
    with pytest.raises(SddlError):
        parse_sddl(text)


def test_builders_refuse_a_sid_that_does_not_parse():
    with pytest.raises(SddlError, match="not a SID"):
        build_xp_bypass([f"{DOMAIN}-1105", "S-1-5-21-abc"])
    with pytest.raises(SddlError, match="not a SID"):
        build_authorization(["S-1-5-11"], deny=["Domain Computers"])


def test_documented_xp_form_for_one_group():
    value = build_xp_bypass([f"{DOMAIN}-1105"])

    assert value == f"O:DAG:DAD:(A;;RCGW;;;{DOMAIN}-1105)"


def test_rights_masks_match_the_windows_constants():
    assert rights_mask("CC") == 0x1
    assert rights_mask("RCGW") == 0x20000 | 0x40000000
