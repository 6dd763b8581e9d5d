"""MembershipGraph.member_ids, the chain-free member set the dashboard counts
with, names exactly the members members_of finds, on any graph."""

from hypothesis import given, settings
from hypothesis import strategies as st

from directory.graph import MembershipGraph
from directory.models import Membership

MEMBER = Membership.Via.MEMBER
PRIMARY = Membership.Via.PRIMARY_GROUP


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 12), st.integers(0, 12), st.sampled_from([MEMBER, PRIMARY])
        ).filter(lambda edge: edge[0] != edge[1]),
        max_size=40,
    )
)
def test_member_ids_equal_the_members_of_any_graph(edges):
    graph = MembershipGraph(edges)

    for group in range(13):
        assert graph.member_ids(group) == set(graph.members_of(group))


def test_member_ids_follow_a_cycle_without_the_group_itself():
    graph = MembershipGraph([(1, 2, MEMBER), (2, 1, MEMBER), (3, 1, MEMBER)])

    assert graph.member_ids(1) == {2, 3}
    assert graph.member_ids(2) == {1, 3}
