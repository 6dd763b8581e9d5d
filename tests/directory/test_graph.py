"""Nested membership resolution: chains, primary groups, cycles, foreign SIDs."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.graph import Link, MembershipGraph, current_graph
from directory.models import DirectoryObject, DirectorySource, Membership

MEMBER = Membership.Via.MEMBER
PRIMARY = Membership.Via.PRIMARY_GROUP

# Accounts 1-9, groups 10 and up.
WS1, WS2, KIOSK = 1, 2, 3
OSLO_KIOSKS, SITE_OSLO, BYPASS, DOMAIN_COMPUTERS, LOOP_A, LOOP_B = range(10, 16)


def sample_graph():
    return MembershipGraph(
        [
            (KIOSK, OSLO_KIOSKS, MEMBER),
            (OSLO_KIOSKS, SITE_OSLO, MEMBER),
            (WS1, SITE_OSLO, MEMBER),
            (SITE_OSLO, BYPASS, MEMBER),
            (WS2, DOMAIN_COMPUTERS, PRIMARY),
            (LOOP_A, LOOP_B, MEMBER),
            (LOOP_B, LOOP_A, MEMBER),
            (WS2, LOOP_A, MEMBER),
        ],
        group_ids=[OSLO_KIOSKS, SITE_OSLO, BYPASS, DOMAIN_COMPUTERS, LOOP_A, LOOP_B],
    )


def test_chain_follows_nesting_three_levels_up():
    chain = sample_graph().chain_to(KIOSK, BYPASS)

    assert chain.object_ids() == [KIOSK, OSLO_KIOSKS, SITE_OSLO, BYPASS]


def test_primary_group_link_is_marked_in_the_chain():
    chain = sample_graph().chain_to(WS2, DOMAIN_COMPUTERS)

    assert chain.links == (Link(DOMAIN_COMPUTERS, PRIMARY),)
    assert chain.links[0].is_primary is True


def test_cycle_is_walked_once_and_both_groups_are_found():
    groups = sample_graph().groups_of(WS2)

    assert set(groups) == {DOMAIN_COMPUTERS, LOOP_A, LOOP_B}
    assert groups[LOOP_B].object_ids() == [WS2, LOOP_A, LOOP_B]


def test_account_outside_every_chain_is_not_a_member():
    assert sample_graph().chain_to(WS2, BYPASS) is None


def test_transitive_members_include_nested_groups_and_their_members():
    members = sample_graph().members_of(BYPASS)

    assert set(members) == {SITE_OSLO, WS1, OSLO_KIOSKS, KIOSK}
    assert members[KIOSK].object_ids() == [KIOSK, OSLO_KIOSKS, SITE_OSLO, BYPASS]


def test_direct_members_only_when_not_transitive():
    assert set(sample_graph().members_of(BYPASS, transitive=False)) == {SITE_OSLO}


def test_members_of_a_group_in_a_cycle_do_not_include_the_group_itself():
    assert set(sample_graph().members_of(LOOP_A)) == {LOOP_B, WS2}


def test_pretended_membership_adds_the_group_and_everything_above_it():
    groups = sample_graph().groups_of(WS2, extra_group_ids=[SITE_OSLO])

    assert groups[BYPASS].object_ids() == [WS2, SITE_OSLO, BYPASS]


def test_pretended_non_membership_cuts_chains_through_the_group():
    groups = sample_graph().groups_of(KIOSK, excluded_group_ids=[SITE_OSLO])

    assert set(groups) == {OSLO_KIOSKS}


def test_incomplete_nested_group_makes_the_outer_group_uncertain():
    graph = MembershipGraph(
        [(SITE_OSLO, BYPASS, MEMBER)],
        group_ids=[SITE_OSLO, BYPASS],
        incomplete_group_ids=[SITE_OSLO],
        foreign_by_group={BYPASS: ["S-1-5-21-1-2-3-2201"]},
    )

    reasons = {(u.group_id, u.reason) for u in graph.uncertainties(BYPASS)}

    assert reasons == {
        (SITE_OSLO, "incomplete"),
        (BYPASS, "foreign:S-1-5-21-1-2-3-2201"),
    }
    assert graph.uncertainties(OSLO_KIOSKS) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12)).filter(
            lambda e: e[0] != e[1]
        ),
        max_size=40,
    )
)
def test_groups_of_and_members_of_agree_on_any_graph(pairs):
    graph = MembershipGraph([(member, group, MEMBER) for member, group in pairs])

    nodes = range(13)
    for member, group in itertools.product(nodes, nodes):
        if member == group:
            continue
        upward = group in graph.groups_of(member)
        downward = member in graph.members_of(group)
        assert upward == downward


@pytest.mark.django_db
def test_load_resolves_foreign_principals_by_sid_across_sources():
    corp = DirectorySource.objects.create(name="corp", base_dn="DC=corp")
    partner = DirectorySource.objects.create(name="partner", base_dn="DC=partner")
    group = make_object(corp, "group", "FW-Bypass-File01", "S-1-5-21-9-9-9-1100")
    partner_pc = make_object(partner, "computer", "PWS-0001$", "S-1-5-21-7-7-7-2201")
    Membership.objects.create(
        group=group,
        member_key="s-1-5-21-7-7-7-2201",
        member_sid="S-1-5-21-7-7-7-2201",
        state=Membership.State.FOREIGN,
    )
    Membership.objects.create(
        group=group,
        member_key="s-1-5-21-7-7-7-2202",
        member_sid="S-1-5-21-7-7-7-2202",
        state=Membership.State.FOREIGN,
    )

    graph = current_graph()

    assert graph.chain_to(partner_pc.pk, group.pk).object_ids() == [
        partner_pc.pk,
        group.pk,
    ]
    assert [u.reason for u in graph.uncertainties(group.pk)] == [
        "foreign:S-1-5-21-7-7-7-2202"
    ]


@pytest.mark.django_db
def test_cached_graph_is_reloaded_after_membership_changes():
    corp = DirectorySource.objects.create(name="corp", base_dn="DC=corp")
    group = make_object(corp, "group", "Accounting Computers", "S-1-5-21-1-1-1-1200")
    computer = make_object(corp, "computer", "WS0001$", "S-1-5-21-1-1-1-1300")
    assert current_graph().chain_to(computer.pk, group.pk) is None

    Membership.objects.create(group=group, member=computer, member_key="cn=ws0001")

    assert current_graph().chain_to(computer.pk, group.pk) is not None


@pytest.mark.django_db
def test_deleted_members_are_not_loaded():
    corp = DirectorySource.objects.create(name="corp", base_dn="DC=corp")
    group = make_object(corp, "group", "Accounting Computers", "S-1-5-21-1-1-1-1200")
    computer = make_object(corp, "computer", "WS0001$", "S-1-5-21-1-1-1-1300")
    Membership.objects.create(group=group, member=computer, member_key="cn=ws0001")
    computer.deleted_at = computer.first_seen_at
    computer.save()

    assert MembershipGraph.load().chain_to(computer.pk, group.pk) is None


def make_object(source, kind, sam, sid):
    return DirectoryObject.objects.create(
        source=source,
        kind=kind,
        guid=sid,
        sid=sid,
        dn=f"CN={sam.rstrip('$')},DC={source.name}",
        dn_key=f"cn={sam.rstrip('$').lower()},dc={source.name}",
        name=sam.rstrip("$"),
        sam_account_name=sam,
        lookup_name=sam.rstrip("$").lower(),
    )
