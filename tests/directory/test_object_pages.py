"""Computers, users and groups pages: every role reads them, data stays data."""

import pytest
from django.urls import reverse
from django.utils import timezone
from ldap3.utils.dn import escape_rdn

from directory.models import DirectoryObject, Membership, MembershipChange, ObjectChange
from tests.directory.factories import (
    ComputerFactory,
    DirectorySourceFactory,
    GroupFactory,
    MembershipChangeFactory,
    MembershipFactory,
    ObjectChangeFactory,
    SyncRunFactory,
    UserFactory,
    create_many,
)

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>\"quoted' &amp;\nnext line"
LIST_URLS = ("directory:computer_list", "directory:user_list", "directory:group_list")


@pytest.mark.parametrize("url_name", [*LIST_URLS, "directory:index"])
def test_every_console_role_reads_the_directory_lists(role_client, url_name):
    from fwconsole.roles import Role

    for role in (Role.VIEWER, Role.EDITOR, Role.ADMIN):
        client = role_client(role)
        assert client.get(reverse(url_name)).status_code == 200


def test_user_without_a_role_cannot_read_the_directory(client, make_user):
    computer = ComputerFactory()
    client.force_login(make_user("no-role"))

    assert client.get(reverse("directory:computer_list")).status_code == 403
    assert client.get(computer.get_absolute_url()).status_code == 403


def body_of(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def listed_names(response):
    return {row.record.pk for row in response.context["table"].paginated_rows}


def test_computer_list_filters_by_name_dn_enabled_deleted_source_and_scope(
    viewer_client,
):
    source = DirectorySourceFactory(name="corp")
    other = DirectorySourceFactory(name="lab")
    oslo = ComputerFactory(source=source, name="WS-OSLO-1", container="OU=Oslo")
    bergen = ComputerFactory(source=source, name="WS-BERGEN-1", container="OU=Bergen")
    disabled = ComputerFactory(source=source, name="WS-OLD", enabled=False)
    gone = ComputerFactory(source=source, name="WS-GONE", deleted_at=timezone.now())
    lab = ComputerFactory(source=other, name="LAB-1")
    outside = ComputerFactory(source=source, name="SRV-LEGACY", in_scope=False)
    url = reverse("directory:computer_list")

    def listed(query):
        return listed_names(viewer_client.get(url, query))

    assert listed({"name": "oslo"}) == {oslo.pk}
    assert listed({"name": "ws-oslo-1$"}) == {oslo.pk}
    assert listed({"dn": "ou=bergen"}) == {bergen.pk}
    assert listed({"enabled": "false"}) == {disabled.pk}
    assert listed({"deleted": "true"}) == {gone.pk}
    assert gone.pk not in listed({"deleted": "false"})
    assert listed({"source": other.pk}) == {lab.pk}
    assert listed({"in_scope": "false"}) == {outside.pk}
    assert len(listed({})) == 6


def test_lists_hold_only_their_kind(viewer_client):
    computer = ComputerFactory()
    user = UserFactory(source=computer.source)
    group = GroupFactory(source=computer.source)

    assert listed_names(viewer_client.get(reverse("directory:computer_list"))) == {
        computer.pk
    }
    assert listed_names(viewer_client.get(reverse("directory:user_list"))) == {user.pk}
    assert listed_names(viewer_client.get(reverse("directory:group_list"))) == {
        group.pk
    }


def test_group_list_filters_incomplete_groups(viewer_client):
    complete = GroupFactory()
    partial = GroupFactory(source=complete.source, members_complete=False)

    response = viewer_client.get(
        reverse("directory:group_list"), {"members_complete": "false"}
    )

    assert listed_names(response) == {partial.pk}
    assert "incomplete" in body_of(response)


def test_list_sorts_by_name_descending(viewer_client):
    source = DirectorySourceFactory()
    for name in ("WS-B", "WS-A", "WS-C"):
        ComputerFactory(source=source, name=name)

    response = viewer_client.get(reverse("directory:computer_list"), {"sort": "-name"})

    rows = [row.record.name for row in response.context["table"].paginated_rows]
    assert rows == ["WS-C", "WS-B", "WS-A"]


def test_list_pages_fifty_at_a_time(viewer_client):
    source = DirectorySourceFactory()
    create_many(ComputerFactory, 120, source=source)

    first = viewer_client.get(reverse("directory:computer_list"))
    last = viewer_client.get(reverse("directory:computer_list"), {"page": 3})

    assert len(first.context["table"].page.object_list) == 50
    assert len(last.context["table"].page.object_list) == 20


def test_deleted_object_stays_listed_and_marked_gone(viewer_client):
    gone = ComputerFactory(name="WS-GONE", deleted_at=timezone.now())

    listing = body_of(viewer_client.get(reverse("directory:computer_list")))
    page = body_of(viewer_client.get(gone.get_absolute_url()))

    assert "WS-GONE" in listing
    assert "gone" in listing
    assert "data-deleted" in page
    assert "is gone from the directory since" in page


@pytest.mark.parametrize("url_name", LIST_URLS)
def test_hostile_names_are_escaped_in_lists(viewer_client, url_name):
    source = DirectorySourceFactory()
    for factory in (ComputerFactory, UserFactory, GroupFactory):
        factory(source=source, name=HOSTILE, sam_account_name=HOSTILE)

    body = body_of(viewer_client.get(reverse(url_name)))

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&amp;amp;" in body


def test_hostile_names_are_escaped_on_detail_pages(viewer_client):
    source = DirectorySourceFactory()
    group = GroupFactory(source=source, name=HOSTILE, description=HOSTILE)
    computer = ComputerFactory(
        source=source, name=HOSTILE, dns_host_name=HOSTILE, warnings=[HOSTILE]
    )
    MembershipFactory(group=group, member=computer)
    MembershipFactory(
        group=group,
        member=None,
        member_dn=f"CN={escape_rdn('<img src=x onerror=alert(2)>')},{source.base_dn}",
        state=Membership.State.UNRESOLVED,
    )
    run = SyncRunFactory(source=source)
    ObjectChangeFactory(
        run=run, obj=computer, change="renamed", old_value=HOSTILE, new_value="x"
    )

    for obj in (group, computer):
        body = body_of(viewer_client.get(obj.get_absolute_url()))
        assert "<script>alert(1)</script>" not in body
        assert "<img" not in body
        assert "&lt;script&gt;" in body


def test_csv_export_neutralises_formulas_and_keeps_newlines_quoted(viewer_client):
    source = DirectorySourceFactory()
    ComputerFactory(
        source=source,
        name='=HYPERLINK("http://evil")',
        sam_account_name='=HYPERLINK("http://evil")$',
        operating_system="+cmd|' /C calc'!A0",
        dns_host_name="line1\nline2",
    )

    response = viewer_client.get(reverse("directory:computer_list"), {"export": "csv"})

    body = body_of(response)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "'=HYPERLINK" in body
    assert "'+cmd" in body
    assert '"line1\nline2"' in body
    assert ",=" not in body


def test_csv_export_follows_the_filter(viewer_client):
    source = DirectorySourceFactory()
    ComputerFactory(source=source, name="WS-KEEP")
    ComputerFactory(source=source, name="WS-DROP")

    body = body_of(
        viewer_client.get(
            reverse("directory:computer_list"), {"export": "csv", "name": "keep"}
        )
    )

    assert "WS-KEEP" in body
    assert "WS-DROP" not in body


def test_computer_page_shows_attributes_chains_and_history(viewer_client):
    source = DirectorySourceFactory()
    computer = ComputerFactory(
        source=source,
        name="WS0301",
        dns_host_name="ws0301.corp.example.test",
        operating_system="Windows 10 Enterprise",
        operating_system_version="10.0 (19045)",
        addresses=["10.20.1.31"],
        last_logon=timezone.now(),
        warnings=["no DNS answer for the host name"],
    )
    domain_computers = GroupFactory(source=source, name="Domain Computers")
    bypass = GroupFactory(source=source, name="FW-Bypass-App01")
    MembershipFactory(
        group=domain_computers, member=computer, via=Membership.Via.PRIMARY_GROUP
    )
    MembershipFactory(group=bypass, member=domain_computers)
    run = SyncRunFactory(source=source)
    ObjectChangeFactory(
        run=run,
        obj=computer,
        change=ObjectChange.Change.RENAMED,
        old_value="WS0300",
        new_value="WS0301",
    )
    ObjectChangeFactory(
        run=run,
        obj=computer,
        change=ObjectChange.Change.MOVED,
        old_value="OU=Floor1",
        new_value="OU=Floor2",
    )
    MembershipChangeFactory(run=run, group=domain_computers, member=computer)

    response = viewer_client.get(computer.get_absolute_url())

    body = body_of(response)
    assert response.status_code == 200
    assert "Computer WS0301" in body
    assert "WS0301$" in body
    assert "ws0301.corp.example.test" in body
    assert "Windows 10 Enterprise" in body
    assert computer.sid in body
    assert computer.guid in body
    assert "10.20.1.31" in body
    assert "no DNS answer for the host name" in body
    member_of = {row.obj.pk: row for row in response.context["member_of"]}
    assert set(member_of) == {domain_computers.pk, bypass.pk}
    chain = member_of[bypass.pk].steps
    assert [step.object_id for step in chain] == [
        computer.pk,
        domain_computers.pk,
        bypass.pk,
    ]
    assert chain[1].primary is True
    assert "primary group" in body
    assert "Renamed" in body
    assert "WS0300" in body
    assert "Moved" in body
    assert "OU=Floor1" in body
    assert "Joined" in body


def test_user_page_shows_the_account_and_its_groups(viewer_client):
    source = DirectorySourceFactory()
    user = UserFactory(
        source=source,
        name="jroe(adm)",
        display_name="Jane Roe (admin)",
        user_principal_name="jroe-adm@corp.example.test",
        enabled=False,
    )
    helpdesk = GroupFactory(source=source, name="Helpdesk")
    MembershipFactory(group=helpdesk, member=user)

    body = body_of(viewer_client.get(user.get_absolute_url()))

    assert "User jroe(adm)" in body
    assert "jroe-adm@corp.example.test" in body
    assert "Jane Roe (admin)" in body
    assert "disabled" in body
    assert helpdesk.get_absolute_url() in body


def test_group_page_shows_direct_members_in_every_state(viewer_client):
    source = DirectorySourceFactory()
    group = GroupFactory(source=source, name="FW-Bypass-App01", members_complete=False)
    member = ComputerFactory(source=source, name="WS1001")
    legacy = ComputerFactory(source=source, name="SRV-LEGACY", in_scope=False)
    MembershipFactory(group=group, member=member)
    MembershipFactory(group=group, member=legacy, state=Membership.State.OUT_OF_SCOPE)
    MembershipFactory(
        group=group,
        member=None,
        member_dn="CN=WS1099,OU=Gone,DC=corp,DC=example,DC=test",
        state=Membership.State.UNRESOLVED,
    )
    foreign_sid = "S-1-5-21-111-222-333-2201"
    MembershipFactory(
        group=group,
        member=None,
        member_dn=f"CN={foreign_sid},CN=ForeignSecurityPrincipals,DC=corp",
        member_sid=foreign_sid,
        state=Membership.State.FOREIGN,
    )

    body = body_of(viewer_client.get(group.get_absolute_url()))

    assert "data-members-incomplete" in body
    assert "Members incomplete" in body
    assert "WS1001" in body
    assert "Outside the sync scope" in body
    assert "CN=WS1099,OU=Gone" in body
    assert "Unresolved" in body
    assert "Foreign security principal" in body
    assert foreign_sid in body
    assert "data-uncertainties" in body


def test_group_page_lists_nested_members_with_their_chains(viewer_client):
    source = DirectorySourceFactory()
    top = GroupFactory(source=source, name="FW-Bypass-App01")
    site = GroupFactory(source=source, name="Site-Oslo-Workstations")
    kiosks = GroupFactory(source=source, name="Oslo-Kiosks")
    kiosk = ComputerFactory(source=source, name="KIOSK-0407")
    MembershipFactory(group=top, member=site)
    MembershipFactory(group=site, member=kiosks)
    MembershipFactory(group=kiosks, member=kiosk)
    MembershipFactory(group=kiosks, member=top)

    response = viewer_client.get(top.get_absolute_url())

    rows = {row.obj.pk: row for row in response.context["transitive_page"]}
    assert set(rows) == {site.pk, kiosks.pk, kiosk.pk}
    assert [step.object_id for step in rows[kiosk.pk].steps] == [
        kiosk.pk,
        kiosks.pk,
        site.pk,
        top.pk,
    ]
    assert rows[kiosk.pk].depth == 3
    assert "KIOSK-0407" in body_of(response)


def test_group_page_shows_who_joined_and_left(viewer_client):
    source = DirectorySourceFactory()
    group = GroupFactory(source=source)
    joined = ComputerFactory(source=source, name="WS-JOINED")
    left = ComputerFactory(source=source, name="WS-LEFT")
    run = SyncRunFactory(source=source)
    MembershipChangeFactory(run=run, group=group, member=joined)
    MembershipChangeFactory(
        run=run, group=group, member=left, change=MembershipChange.Change.REMOVED
    )

    body = body_of(viewer_client.get(group.get_absolute_url()))

    assert "WS-JOINED" in body
    assert "Joined" in body
    assert "WS-LEFT" in body
    assert "Left" in body
    assert reverse("directory:run_detail", args=[run.pk]) in body


def populate_directory(count):
    """A source with ``count`` computers, users and groups, all in one group."""
    source = DirectorySourceFactory()
    computers = create_many(ComputerFactory, count, source=source)
    create_many(UserFactory, count, source=source)
    groups = create_many(GroupFactory, count, source=source)
    big = groups[0]
    Membership.objects.bulk_create(
        MembershipFactory.build(group=big, member=computer) for computer in computers
    )
    run = SyncRunFactory(source=source)
    MembershipChange.objects.bulk_create(
        MembershipChangeFactory.build(run=run, group=big, member=computer)
        for computer in computers
    )
    return source, big, computers[0]


LIST_QUERY_LIMIT = 12
DETAIL_QUERY_LIMIT = 30


@pytest.mark.parametrize("count", [10, 1000])
def test_list_pages_run_a_bounded_number_of_queries(
    viewer_client, django_assert_max_num_queries, count
):
    populate_directory(count)

    for url_name in LIST_URLS:
        with django_assert_max_num_queries(LIST_QUERY_LIMIT):
            response = viewer_client.get(reverse(url_name))
        assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 1000])
def test_detail_pages_run_a_bounded_number_of_queries(
    viewer_client, django_assert_max_num_queries, count
):
    _source, big, computer = populate_directory(count)

    for obj in (big, computer):
        with django_assert_max_num_queries(DETAIL_QUERY_LIMIT):
            response = viewer_client.get(obj.get_absolute_url())
        assert response.status_code == 200
    assert response.context["member_of"][0].obj == big


@pytest.mark.parametrize("count", [10, 1000])
def test_overview_runs_a_bounded_number_of_queries(
    viewer_client, django_assert_max_num_queries, count
):
    populate_directory(count)

    with django_assert_max_num_queries(LIST_QUERY_LIMIT):
        response = viewer_client.get(reverse("directory:index"))

    assert response.context["totals"][DirectoryObject.Kind.COMPUTER]["live"] == count


@pytest.mark.parametrize(
    ("url_name", "factory", "columns"),
    [
        (
            "directory:computer_list",
            ComputerFactory,
            [
                "name",
                "dns_host_name",
                "operating_system",
                "enabled",
                "source",
                "dn",
                "when_changed",
                "deleted_at",
            ],
        ),
        (
            "directory:user_list",
            UserFactory,
            [
                "name",
                "display_name",
                "user_principal_name",
                "enabled",
                "source",
                "dn",
                "when_changed",
                "deleted_at",
            ],
        ),
        (
            "directory:group_list",
            GroupFactory,
            [
                "name",
                "group_scope",
                "is_security",
                "members_complete",
                "source",
                "dn",
                "when_changed",
                "deleted_at",
            ],
        ),
    ],
)
def test_lists_show_their_own_columns_not_every_stored_attribute(
    viewer_client, url_name, factory, columns
):
    # SIDs, GUIDs and raw attributes belong on the object's page; a list that
    # shows them all is wider than any screen.
    factory()

    response = viewer_client.get(reverse(url_name))

    table = response.context["table"]
    assert [column.name for column in table.columns] == columns
    assert ">Sid<" not in body_of(response)


def test_list_headings_spell_directory_terms_as_administrators_do(viewer_client):
    ComputerFactory()
    GroupFactory()

    computers = body_of(viewer_client.get(reverse("directory:computer_list")))
    groups = body_of(viewer_client.get(reverse("directory:group_list")))

    assert ">DNS host name<" in computers
    assert ">Security<" in groups
    assert "Dns host" not in computers
    assert "Is security" not in groups
