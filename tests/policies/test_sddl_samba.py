from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.sddl import (
    AceType,
    Sid,
    build_authorization,
    build_xp_bypass,
    parse_sddl,
)
from tests.policies.samba import SAMBA_ALLOW, SAMBA_DENY, samba_read

DOMAIN = "S-1-5-21-3623811015-3361044348-30300820"

WELL_KNOWN = ["S-1-5-11", "S-1-5-18", "S-1-1-0", "S-1-5-32-544", f"{DOMAIN}-515"]

sids = st.one_of(
    st.sampled_from(WELL_KNOWN),
    st.builds(
        lambda subs: str(Sid(5, (21, *subs))),
        st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=5),
    ),
)


def ace_set(descriptor):
    kinds = {AceType.ALLOW: SAMBA_ALLOW, AceType.DENY: SAMBA_DENY}
    return {(kinds[ace.type], ace.access_mask, str(ace.sid)) for ace in descriptor.aces}


def samba_ace_set(reading):
    assert "error" not in reading, reading
    return {(ace["type"], ace["mask"], ace["sid"]) for ace in reading["aces"]}


def test_samba_reads_the_documented_xp_value_with_domain_admins_as_owner():
    value = build_xp_bypass([f"{DOMAIN}-1105", "S-1-5-11"])

    [reading] = samba_read([value], DOMAIN)

    assert reading["owner"] == f"{DOMAIN}-512"
    assert reading["group"] == f"{DOMAIN}-512"
    assert samba_ace_set(reading) == {
        (SAMBA_ALLOW, 0x40020000, f"{DOMAIN}-1105"),
        (SAMBA_ALLOW, 0x40020000, "S-1-5-11"),
    }


@settings(max_examples=1, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.lists(sids, min_size=1, max_size=6),
            st.lists(sids, max_size=4),
        ),
        min_size=40,
        max_size=40,
    )
)
def test_samba_reads_every_built_descriptor_as_the_same_sids_and_rights(batches):
    values = []
    for allow, deny in batches:
        values.append(build_xp_bypass(allow))
        values.append(build_authorization(allow, deny))

    readings = samba_read(values, DOMAIN)

    for value, reading in zip(values, readings, strict=True):
        assert samba_ace_set(reading) == ace_set(parse_sddl(value)), value
        if value.startswith("O:LS"):
            assert reading["owner"] == "S-1-5-19"
            assert reading["group"] is None


def test_samba_refuses_what_our_parser_refuses():
    readings = samba_read(["O:LSD:(A;;CC;;;S-1-5-bogus)"], DOMAIN)

    assert "error" in readings[0]
