import pytest

from directory.models import DirectoryObject, Membership
from tests.directory.factories import (
    ComputerFactory,
    GroupFactory,
    MembershipFactory,
    SyncRunFactory,
    UserFactory,
    dn_key,
)

pytestmark = pytest.mark.django_db


def test_objects_get_consistent_identities_under_their_source():
    computer = ComputerFactory(name="WS0101")
    user = UserFactory(source=computer.source)

    assert computer.kind == DirectoryObject.Kind.COMPUTER
    assert computer.sam_account_name == "WS0101$"
    assert computer.lookup_name == "ws0101"
    assert computer.dn.endswith(computer.source.base_dn)
    assert computer.dn_key == dn_key(computer.dn)
    assert computer.sid.startswith(computer.source.domain_sid + "-")
    assert user.sid != computer.sid
    assert user.guid != computer.guid


def test_membership_member_shares_the_group_source():
    edge = MembershipFactory()

    assert edge.member.source == edge.group.source
    assert edge.member_key == edge.member.dn_key
    assert Membership.objects.get().state == Membership.State.RESOLVED


def test_unresolved_membership_keeps_the_dn():
    group = GroupFactory()
    edge = MembershipFactory(
        group=group,
        member=None,
        member_dn="CN=Gone,OU=Retired,DC=corp,DC=example,DC=test",
        state=Membership.State.UNRESOLVED,
    )

    assert edge.member is None
    assert edge.member_key == "cn=gone,ou=retired,dc=corp,dc=example,dc=test"


def test_finished_run_has_a_finish_time_and_active_run_has_none():
    assert SyncRunFactory().finished_at is not None
    assert SyncRunFactory(status="running").finished_at is None
