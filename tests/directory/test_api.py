"""Directory REST API: roles, the write-only password, members, runs, schema."""

import base64

import pytest
from django.urls import include, path, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.routers import DefaultRouter

from directory import api
from directory.models import Membership
from fwconsole.roles import Role
from tests.conftest import PASSWORD
from tests.directory.factories import (
    ComputerFactory,
    DirectorySourceFactory,
    GroupFactory,
    MembershipFactory,
    SyncLogEntryFactory,
    SyncRunFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BIND_PASSWORD = "Api-never-Shows-5531"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_sources_are_refused_below_admin(role_client, role):
    source = DirectorySourceFactory()
    client = role_client(role)

    assert client.get(reverse("api:directory-source-list")).status_code == 403
    detail = reverse("api:directory-source-detail", args=[source.pk])
    assert client.get(detail).status_code == 403
    sync = reverse("api:directory-source-sync", args=[source.pk])
    assert client.post(sync, {}).status_code == 403


def test_admin_reads_sources_without_the_password(admin_client):
    source = DirectorySourceFactory(bind_password=BIND_PASSWORD)

    listing = admin_client.get(reverse("api:directory-source-list"))
    detail = admin_client.get(reverse("api:directory-source-detail", args=[source.pk]))

    assert listing.status_code == 200
    assert BIND_PASSWORD not in listing.content.decode()
    assert BIND_PASSWORD not in detail.content.decode()
    assert "bind_password" not in detail.json()
    assert detail.json()["has_bind_password"] is True
    assert detail.json()["base_dn"] == source.base_dn


def test_basic_auth_client_reads_computers(client, make_user):
    make_user("api-reader", Role.VIEWER)
    computer = ComputerFactory(name="WS0101")
    credentials = base64.b64encode(f"api-reader:{PASSWORD}".encode()).decode()

    response = client.get(
        reverse("api:directory-computer-list"),
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )

    assert response.status_code == 200
    assert (
        response.json()["results"][0]["sam_account_name"] == computer.sam_account_name
    )


def test_anonymous_api_client_is_refused(client):
    response = client.get(reverse("api:directory-computer-list"))

    assert response.status_code in (401, 403)


def test_viewer_lists_and_filters_computers_and_users(viewer_client):
    source = DirectorySourceFactory()
    keep = ComputerFactory(source=source, name="WS-KEEP", enabled=False)
    ComputerFactory(source=source, name="WS-OTHER")
    user = UserFactory(source=source, name="jroe")

    computers = viewer_client.get(
        reverse("api:directory-computer-list"), {"enabled": "false"}
    ).json()
    users = viewer_client.get(reverse("api:directory-user-list")).json()

    assert [row["id"] for row in computers["results"]] == [keep.pk]
    assert computers["results"][0]["display_label"] == "WS-KEEP"
    assert computers["results"][0]["dns_host_name"] == keep.dns_host_name
    assert [row["id"] for row in users["results"]] == [user.pk]
    assert users["results"][0]["user_principal_name"] == user.user_principal_name


def test_group_answer_lists_direct_members_including_unresolved(viewer_client):
    source = DirectorySourceFactory()
    group = GroupFactory(source=source, members_complete=False)
    member = ComputerFactory(source=source)
    MembershipFactory(group=group, member=member, via=Membership.Via.PRIMARY_GROUP)
    MembershipFactory(
        group=group,
        member=None,
        member_dn="CN=WS1099,OU=Gone,DC=corp,DC=example,DC=test",
        state=Membership.State.UNRESOLVED,
    )

    listing = viewer_client.get(reverse("api:directory-group-list")).json()
    detail = viewer_client.get(
        reverse("api:directory-group-detail", args=[group.pk])
    ).json()

    assert listing["results"][0]["member_count"] == 2
    assert detail["members_complete"] is False
    members = {row["state"]: row for row in detail["members"]}
    assert members["resolved"]["member"] == member.pk
    assert members["resolved"]["via"] == "primary"
    assert members["unresolved"]["member"] is None
    assert members["unresolved"]["member_dn"].startswith("CN=WS1099")


def test_group_members_action_gives_chains_at_any_depth(viewer_client):
    source = DirectorySourceFactory()
    top = GroupFactory(source=source)
    nested = GroupFactory(source=source)
    computer = ComputerFactory(source=source)
    MembershipFactory(group=top, member=nested)
    MembershipFactory(group=nested, member=computer, via=Membership.Via.PRIMARY_GROUP)
    url = reverse("api:directory-group-nested-members", args=[top.pk])

    transitive = viewer_client.get(url).json()
    direct = viewer_client.get(url, {"transitive": "false"}).json()

    rows = {row["id"]: row for row in transitive["results"]}
    assert set(rows) == {nested.pk, computer.pk}
    assert rows[computer.pk]["depth"] == 2
    assert [step["id"] for step in rows[computer.pk]["chain"]] == [
        computer.pk,
        nested.pk,
        top.pk,
    ]
    assert rows[computer.pk]["chain"][1]["primary"] is True
    assert [row["id"] for row in direct["results"]] == [nested.pk]


def test_runs_list_and_detail_with_log(viewer_client):
    run = SyncRunFactory(counts={"objects": {"added": 3}})
    SyncLogEntryFactory(run=run, message="read 3 objects")

    listing = viewer_client.get(reverse("api:directory-run-list")).json()
    detail = viewer_client.get(
        reverse("api:directory-run-detail", args=[run.pk])
    ).json()

    assert listing["results"][0]["id"] == run.pk
    assert "log" not in listing["results"][0]
    assert detail["counts"] == {"objects": {"added": 3}}
    assert [entry["message"] for entry in detail["log"]] == ["read 3 objects"]


@pytest.mark.parametrize("count", [10, 200])
def test_api_lists_run_a_bounded_number_of_queries(
    viewer_client, django_assert_max_num_queries, count
):
    source = DirectorySourceFactory()
    group = GroupFactory(source=source)
    for computer in ComputerFactory.create_batch(count, source=source):
        MembershipFactory(group=group, member=computer)

    for name in ("computer", "group", "run"):
        with django_assert_max_num_queries(8):
            viewer_client.get(reverse(f"api:directory-{name}-list"))
    with django_assert_max_num_queries(8):
        viewer_client.get(reverse("api:directory-group-detail", args=[group.pk]))


def test_schema_of_the_directory_api_generates_without_warnings(capsys):
    router = DefaultRouter()
    api.register(router)
    patterns = [path("api/", include((router.urls, "api")))]

    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)

    captured = capsys.readouterr()
    assert "Warning" not in captured.err, captured.err
    assert "Error" not in captured.err, captured.err
    paths = schema["paths"]
    assert "/api/directory/sources/{id}/sync/" in paths
    assert "/api/directory/groups/{id}/members/" in paths
    source_fields = schema["components"]["schemas"]["DirectorySource"]["properties"]
    assert "bind_password" not in source_fields
    assert "has_bind_password" in source_fields


def test_actions_answer_with_a_format_suffix(admin_client):
    group = GroupFactory()
    source = group.source

    members = admin_client.get(f"/api/directory/groups/{group.pk}/members.json")
    sync = admin_client.post(f"/api/directory/sources/{source.pk}/sync.json")

    assert members.status_code == 200
    assert members["Content-Type"] == "application/json"
    assert sync.status_code == 202
