"""Group sizes are sampled after each committed sync run, through the real
LDIF import path and its ``sync_applied`` signal, and charted from the samples."""

import base64
import io
import uuid

import pytest
from django.urls import reverse

from directory.ldap.values import sid_bytes
from directory.models import DirectoryObject, DirectorySource, SyncRun
from directory.services import ldif_import
from policies.dashboard import services
from policies.models import GroupSizeSample
from tests.policies.factories import (
    AccessRequirementFactory,
    BypassEntryFactory,
    BypassRuleFactory,
    ServerFactory,
)

DOMAIN = "S-1-5-21-111-222-333"
BASE = "DC=corp,DC=example,DC=test"


def _entry(dn, classes, rid, **attributes):
    lines = [f"dn: {dn}"]
    lines += [f"objectClass: {name}" for name in classes]
    guid = uuid.uuid5(uuid.NAMESPACE_URL, dn).bytes_le
    lines.append(f"objectGUID:: {base64.b64encode(guid).decode()}")
    sid = sid_bytes(f"{DOMAIN}-{rid}")
    lines.append(f"objectSid:: {base64.b64encode(sid).decode()}")
    for name, value in attributes.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{name}: {item}")
    return "\n".join(lines)


def _ldif(ops_members):
    """A small AD export: FW-Ops (WS1 and the nested FW-Ops-Sub) and Staff."""

    def computer(name, rid):
        return _entry(
            f"CN={name},OU=Workstations,{BASE}",
            ["top", "person", "organizationalPerson", "user", "computer"],
            rid,
            cn=name,
            sAMAccountName=f"{name}$",
            userAccountControl="4096",
            primaryGroupID="515",
        )

    entries = [
        computer("WS1", 1101),
        computer("WS2", 1102),
        computer("WS3", 1103),
        _entry(
            f"CN=Jane,OU=Staff,{BASE}",
            ["top", "person", "organizationalPerson", "user"],
            1201,
            cn="Jane",
            sAMAccountName="jane",
            userAccountControl="512",
        ),
        _entry(
            f"CN=FW-Ops,OU=Groups,{BASE}",
            ["top", "group"],
            1301,
            cn="FW-Ops",
            sAMAccountName="FW-Ops",
            groupType="-2147483646",
            member=[f"CN={name},OU=Workstations,{BASE}" for name in ops_members]
            + [f"CN=FW-Ops-Sub,OU=Groups,{BASE}"],
        ),
        _entry(
            f"CN=FW-Ops-Sub,OU=Groups,{BASE}",
            ["top", "group"],
            1302,
            cn="FW-Ops-Sub",
            sAMAccountName="FW-Ops-Sub",
            groupType="-2147483646",
            member=[f"CN=WS2,OU=Workstations,{BASE}", f"CN=Jane,OU=Staff,{BASE}"],
        ),
        _entry(
            f"CN=Staff,OU=Groups,{BASE}",
            ["top", "group"],
            1303,
            cn="Staff",
            sAMAccountName="Staff",
            groupType="-2147483646",
            member=[f"CN=Jane,OU=Staff,{BASE}"],
        ),
    ]
    return ("\n\n".join(entries) + "\n").encode()


@pytest.fixture
def source(db):
    return DirectorySource.objects.create(
        name="corp-ldif",
        kind=DirectorySource.Kind.LDIF,
        base_dn=BASE,
        shrink_threshold_percent=50,
    )


@pytest.fixture
def referenced(db):
    """FW-Ops on a bypass list, Staff on an access requirement."""
    server = ServerFactory(name="APP1")
    rule = BypassRuleFactory(policy=server.local_policy, name="Bypass list")
    BypassEntryFactory(rule=rule, sid=f"{DOMAIN}-1301", name="FW-Ops")
    requirement = AccessRequirementFactory(server=server, name="Share")
    requirement.groups.create(sid=f"{DOMAIN}-1303", name="Staff")
    return server


def _import(source, ops_members, capture):
    with capture(execute=True):
        run = ldif_import(source=source, path_or_file=io.BytesIO(_ldif(ops_members)))
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return run


def test_each_import_records_the_size_of_the_groups_policies_name(
    source, referenced, django_capture_on_commit_callbacks
):
    first = _import(source, ["WS1"], django_capture_on_commit_callbacks)
    second = _import(source, ["WS1", "WS3"], django_capture_on_commit_callbacks)

    ops = DirectoryObject.objects.get(sid=f"{DOMAIN}-1301")
    staff = DirectoryObject.objects.get(sid=f"{DOMAIN}-1303")
    samples = [
        (s.run_id, s.group_id, s.accounts, s.computers, s.users)
        for s in GroupSizeSample.objects.order_by("run_id", "group_id")
    ]
    assert samples == [
        (first.pk, ops.pk, 3, 2, 1),
        (first.pk, staff.pk, 1, 0, 1),
        (second.pk, ops.pk, 4, 3, 1),
        (second.pk, staff.pk, 1, 0, 1),
    ]
    second.refresh_from_db()
    assert GroupSizeSample.objects.get(run=second, group=ops).at == second.finished_at


def test_the_group_chart_shows_every_sample_then_the_size_now(
    source, referenced, django_capture_on_commit_callbacks, viewer_client
):
    first = _import(source, ["WS1"], django_capture_on_commit_callbacks)
    second = _import(source, ["WS1", "WS3"], django_capture_on_commit_callbacks)

    data = viewer_client.get(reverse("dashboard:chart_group_sizes")).json()

    ops = next(group for group in data["groups"] if group["name"] == "FW-Ops")
    assert [(s["run"], s["accounts"], s["computers"]) for s in ops["samples"]] == [
        (first.pk, 3, 2),
        (second.pk, 4, 3),
    ]
    assert (ops["accounts"], ops["computers"], ops["users"]) == (4, 3, 1)
    assert [group["name"] for group in data["groups"]] == ["FW-Ops", "Staff"]
    assert data["total_groups"] == 2


def test_a_group_no_policy_names_gets_no_samples(
    source, referenced, django_capture_on_commit_callbacks
):
    _import(source, ["WS1"], django_capture_on_commit_callbacks)

    sub = DirectoryObject.objects.get(sid=f"{DOMAIN}-1302")
    assert not GroupSizeSample.objects.filter(group=sub).exists()


def test_recording_twice_for_one_run_keeps_the_first_samples(
    source, referenced, django_capture_on_commit_callbacks
):
    run = _import(source, ["WS1"], django_capture_on_commit_callbacks)

    services.record_group_sizes(run)

    assert GroupSizeSample.objects.filter(run=run).count() == 2


def test_a_refused_import_records_nothing(
    source, referenced, django_capture_on_commit_callbacks
):
    _import(source, ["WS1"], django_capture_on_commit_callbacks)
    shrunk = _ldif(["WS1"]).split(b"\n\n")[0] + b"\n"

    with django_capture_on_commit_callbacks(execute=True):
        run = ldif_import(source=source, path_or_file=io.BytesIO(shrunk))

    assert run.status == SyncRun.Status.FAILED
    assert not GroupSizeSample.objects.filter(run=run).exists()
    assert GroupSizeSample.objects.count() == 2
