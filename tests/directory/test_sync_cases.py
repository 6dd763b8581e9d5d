"""Field cases imported through ldif_import: what the sync must store (expect_sync)."""

import io

import pytest
import yaml

from directory.graph import MembershipGraph
from directory.ldap.values import guid_filter
from directory.ldif import LdifError
from directory.models import (
    DirectoryObject,
    DirectorySource,
    Membership,
    MembershipChange,
    ObjectChange,
    SyncRun,
)
from directory.services import ldif_import

pytestmark = pytest.mark.django_db

CORP = "DC=corp,DC=example,DC=test"


def make_source(name, **fields):
    values = {"kind": DirectorySource.Kind.LDIF, "base_dn": CORP, **fields}
    return DirectorySource.objects.create(name=name, **values)


def import_case(source, path):
    run = ldif_import(source=source, path_or_file=path)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return run


def obj(source, name):
    return DirectoryObject.objects.get(source=source, lookup_name=name.casefold())


def group(source, dn):
    return DirectoryObject.objects.get(source=source, kind="group", dn=dn)


def direct_members(group_obj):
    return {
        (m.member.name if m.member else m.member_dn): (m.via, m.state)
        for m in Membership.objects.filter(group=group_obj).select_related("member")
    }


def transitive_names(group_obj):
    graph = MembershipGraph.load()
    ids = graph.members_of(group_obj.pk)
    return set(
        DirectoryObject.objects.filter(pk__in=ids)
        .exclude(kind="group")
        .values_list("name", flat=True)
    )


def test_fc01_offline_ranged_export_is_kept_and_marked_incomplete(cases_dir):
    source = make_source("fc01")

    run = import_case(source, cases_dir / "FC-01" / "offline-ranged-export.ldif")

    bypass = group(source, f"CN=FW-Bypass-App01,OU=Firewall,OU=Groups,{CORP}")
    assert set(direct_members(bypass)) == {"WS0105", "WS0106", "WS0107"}
    assert bypass.members_complete is False
    assert any("member;range=0-2" in warning for warning in bypass.warnings)
    assert any("member;range=0-2" in warning for warning in run.warnings)


def test_fc03_primary_group_membership_is_stored_as_primary_edges(cases_dir):
    source = make_source("fc03")

    import_case(source, cases_dir / "FC-03" / "directory.ldif")

    computers = group(source, f"CN=Domain Computers,CN=Users,{CORP}")
    build = group(source, f"CN=Build Servers,OU=Groups,{CORP}")
    assert direct_members(computers) == {
        "WS0301": ("primary", "resolved"),
        "SRV-BUILD01": ("member", "resolved"),
    }
    assert direct_members(build) == {"SRV-BUILD01": ("primary", "resolved")}
    assert source.directory_objects.get(name="WS0301").primary_group_id == 515
    source.refresh_from_db()
    assert source.domain_sid == "S-1-5-21-3623811015-3361044348-30300820"


def test_fc04_chain_through_groups_outside_the_group_base_counts(cases_dir):
    source = make_source("fc04", group_base=f"OU=Firewall,OU=Groups,{CORP}")

    import_case(source, cases_dir / "FC-04" / "directory.ldif")

    bypass = group(source, f"CN=FW-Bypass-App01,OU=Firewall,OU=Groups,{CORP}")
    sites = group(source, f"CN=Site-Oslo-Workstations,OU=Sites,OU=Groups,{CORP}")
    kiosks = group(source, f"CN=Oslo-Kiosks,OU=Sites,OU=Groups,{CORP}")
    assert bypass.in_scope is True
    assert sites.in_scope is False and kiosks.in_scope is False
    assert direct_members(bypass) == {
        "Site-Oslo-Workstations": ("member", "out_of_scope")
    }
    assert transitive_names(bypass) == {"WS0401", "KIOSK-0407"}
    graph = MembershipGraph.load()
    chain = graph.chain_to(obj(source, "KIOSK-0407").pk, bypass.pk)
    assert chain.object_ids() == [
        obj(source, "KIOSK-0407").pk,
        kiosks.pk,
        sites.pk,
        bypass.pk,
    ]


def test_fc06_escaped_and_differently_cased_dns_resolve(cases_dir):
    expected = yaml.safe_load((cases_dir / "FC-06" / "scenario.yaml").read_text())[
        "expect_sync"
    ]
    source = make_source("fc06")

    import_case(source, cases_dir / "FC-06" / "directory.ldif")

    assert not Membership.objects.filter(
        group__source=source, state="unresolved"
    ).exists()
    for dn, names in expected["groups"].items():
        assert set(direct_members(group(source, dn))) == set(names), dn
    names = set(
        DirectoryObject.objects.filter(source=source, kind="group").values_list(
            "name", flat=True
        )
    )
    assert {"#Ops", "Kiosk Users ", "Kiosk Users"} <= names
    trailing = group(source, "CN=Kiosk Users\\ ,OU=Groups,DC=corp,DC=example,DC=test")
    plain = group(source, "CN=Kiosk Users,OU=Groups,DC=corp,DC=example,DC=test")
    assert trailing.pk != plain.pk and trailing.dn_key != plain.dn_key


def test_fc08_rename_and_move_keep_the_record_and_a_reused_dn_is_new(cases_dir):
    source = make_source("fc08")
    import_case(source, cases_dir / "FC-08" / "sync-1.ldif")
    old = obj(source, "WS0801")
    bypass = group(source, f"CN=FW-Bypass-App01,OU=Firewall,OU=Groups,{CORP}")

    run = import_case(source, cases_dir / "FC-08" / "sync-2.ldif")

    machines = DirectoryObject.objects.filter(source=source, kind="computer")
    assert machines.count() == 2
    renamed = machines.get(guid="7c2b9f4e-1a3d-4b8e-9f21-0d6c5a8e3b17")
    assert renamed.pk == old.pk
    assert renamed.name == "WS0801-R"
    assert renamed.dn == f"CN=WS0801-R,OU=Floor2,OU=Workstations,{CORP}"
    changes = {
        (c.change, c.old_value, c.new_value) for c in renamed.history.filter(run=run)
    }
    assert ("renamed", "WS0801", "WS0801-R") in changes
    assert (
        "moved",
        f"OU=Floor1,OU=Workstations,{CORP}",
        f"OU=Floor2,OU=Workstations,{CORP}",
    ) in changes
    new = machines.get(guid="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70819")
    assert new.name == "WS0801"
    assert list(new.history.values_list("change", flat=True)) == ["created"]
    assert not Membership.objects.filter(member=new, via="member").exists()
    assert direct_members(bypass) == {"WS0801-R": ("member", "resolved")}
    assert not MembershipChange.objects.filter(run=run).exists()


def _fc09_before(cases_dir):
    text = (cases_dir / "FC-09" / "directory.ldif").read_text()
    live = text.replace(
        "dn: CN=WS0905\\0ADEL:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9,CN=Deleted Objects,",
        "dn: CN=WS0905,OU=Workstations,",
    ).replace("isDeleted: TRUE\n", "")
    live = live.replace(
        "member: CN=WS0904,OU=Workstations,DC=corp,DC=example,DC=test",
        "member: CN=WS0904,OU=Workstations,DC=corp,DC=example,DC=test\n"
        "member: CN=WS0905,OU=Workstations,DC=corp,DC=example,DC=test",
    )
    return io.BytesIO(live.encode())


def test_fc09_disabled_by_bit_and_tombstone_marks_the_computer_deleted(cases_dir):
    source = make_source("fc09")
    import_case(source, _fc09_before(cases_dir))
    ws0905 = obj(source, "WS0905")
    assert Membership.objects.filter(member=ws0905).exists()

    run = import_case(source, cases_dir / "FC-09" / "directory.ldif")

    enabled = dict(
        DirectoryObject.objects.filter(
            source=source, kind="computer", deleted_at__isnull=True
        ).values_list("name", "enabled")
    )
    assert enabled == {"WS0901": True, "WS0902": False, "WS0903": False, "WS0904": True}
    ws0905.refresh_from_db()
    assert ws0905.deleted_at is not None
    assert ws0905.name == "WS0905"
    assert not Membership.objects.filter(member=ws0905).exists()
    assert MembershipChange.objects.filter(
        run=run, member=ws0905, change="removed"
    ).exists()
    assert ObjectChange.objects.filter(run=run, obj=ws0905, change="deleted").exists()
    assert not DirectoryObject.objects.filter(name__contains="DEL:").exists()


def test_fc10_foreign_out_of_scope_and_dangling_members_are_kept(cases_dir):
    corp = make_source("fc10", computer_base=f"OU=Workstations,{CORP}")
    partner = make_source("fc10-partner", base_dn="DC=partner,DC=example,DC=test")

    import_case(corp, cases_dir / "FC-10" / "directory.ldif")
    import_case(partner, cases_dir / "FC-10" / "partner.ldif")

    bypass = group(corp, f"CN=FW-Bypass-File01,OU=Firewall,OU=Groups,{CORP}")
    edges = {m.member_dn: m for m in Membership.objects.filter(group=bypass)}
    fsp = edges[
        "CN=S-1-5-21-1004336348-1177238915-682003330-2201,CN=ForeignSecurityPrincipals,"
        + CORP
    ]
    assert (fsp.state, fsp.member_sid, fsp.member_id) == (
        "foreign",
        "S-1-5-21-1004336348-1177238915-682003330-2201",
        None,
    )
    legacy = edges[f"CN=SRV-LEGACY,OU=Retired,{CORP}"]
    assert legacy.state == "out_of_scope" and legacy.member.in_scope is False
    dangling = edges[f"CN=WS1099,OU=Workstations,{CORP}"]
    assert (dangling.state, dangling.member_id) == ("unresolved", None)
    assert edges[f"CN=WS1001,OU=Workstations,{CORP}"].state == "resolved"
    assert transitive_names(bypass) == {"WS1001", "SRV-LEGACY", "PWS-0001"}


def test_fc11_guids_are_decoded_little_endian_and_entryuuid_kept(cases_dir):
    expected = yaml.safe_load((cases_dir / "FC-11" / "scenario.yaml").read_text())
    corp = make_source("fc11")
    lab = make_source(
        "fc11-lab", kind=DirectorySource.Kind.LDAP, base_dn="dc=corp,dc=example,dc=test"
    )

    import_case(corp, cases_dir / "FC-11" / "directory.ldif")
    import_case(lab, cases_dir / "FC-11" / "openldap-host.ldif")

    stored = dict(DirectoryObject.objects.values_list("name", "guid"))
    for name, guid in expected["expect_sync"]["stored_ids"].items():
        assert stored[name] == guid


def test_fc13_computers_without_or_with_odd_dns_names_are_kept_with_warnings(cases_dir):
    source = make_source("fc13")

    run = import_case(source, cases_dir / "FC-13" / "directory.ldif")

    computers = DirectoryObject.objects.filter(source=source, kind="computer")
    assert sorted(c.display_label for c in computers) == ["WS1301", "WS1302", "WS1303"]
    assert obj(source, "ws1301").sam_account_name == "WS1301$"
    assert "WS1302 has no dNSHostName" in run.warnings
    assert (
        "WS1303 dNSHostName suffix branch.example.test differs from corp.example.test"
        in run.warnings
    )
    assert obj(source, "WS1302").warnings == ["WS1302 has no dNSHostName"]
    assert not DirectoryObject.objects.filter(lookup_name="ws130").exists()


def test_fc16_names_with_filter_characters_are_stored_exactly(cases_dir):
    source = make_source("fc16")

    import_case(source, cases_dir / "FC-16" / "directory.ldif")

    admin = obj(source, "jroe(adm)")
    assert admin.name == "Jane Roe (admin)"
    assert obj(source, "jroe").pk != admin.pk
    helpdesk = group(source, f"CN=Helpdesk,OU=Groups,{CORP}")
    assert set(direct_members(helpdesk)) == {"Jane Roe (admin)"}


def test_reimporting_the_same_file_changes_nothing(cases_dir):
    source = make_source("again")
    import_case(source, cases_dir / "FC-06" / "directory.ldif")

    run = import_case(source, cases_dir / "FC-06" / "directory.ldif")

    assert run.counts["objects_added"] == 0
    assert run.counts["objects_changed"] == 0
    assert run.counts["edges_added"] == run.counts["edges_removed"] == 0
    assert not ObjectChange.objects.filter(run=run).exists()


def test_malformed_file_changes_nothing_and_names_the_line(cases_dir):
    source = make_source("bad")
    import_case(source, cases_dir / "FC-14" / "directory.ldif")
    before = list(Membership.objects.values_list("pk", "member_key").order_by("pk"))
    runs = SyncRun.objects.count()
    text = (cases_dir / "FC-14" / "directory.ldif").read_text()
    broken = text.replace("dNSHostName: ws1402.corp", "dNSHostName ws1402.corp", 1)

    with pytest.raises(LdifError) as caught:
        ldif_import(source=source, path_or_file=io.BytesIO(broken.encode()))

    line = broken.splitlines().index("dNSHostName ws1402.corp.example.test") + 1
    assert caught.value.line == line
    assert (
        list(Membership.objects.values_list("pk", "member_key").order_by("pk"))
        == before
    )
    assert SyncRun.objects.count() == runs


def test_fc14_an_export_with_far_fewer_objects_is_refused(cases_dir):
    source = make_source("shrink")
    good = import_case(source, cases_dir / "FC-14" / "directory.ldif")
    source.refresh_from_db()
    last_success = source.last_success_at
    first_page = (cases_dir / "FC-14" / "directory.ldif").read_text().split("\n\n")[:2]

    run = ldif_import(
        source=source, path_or_file=io.BytesIO("\n\n".join(first_page).encode())
    )

    assert run.status == SyncRun.Status.FAILED
    assert "1 objects where the last good run left 5" in run.error
    assert (
        DirectoryObject.objects.filter(source=source, deleted_at__isnull=True).count()
        == 5
    )
    assert (
        Membership.objects.filter(group__source=source).count() == good.counts["edges"]
    )
    source.refresh_from_db()
    assert source.last_success_at == last_success
    assert run.log.filter(level="ERROR").exists()


def test_a_loss_below_the_shrink_threshold_is_applied(cases_dir):
    source = make_source("smaller", shrink_threshold_percent=50)
    import_case(source, cases_dir / "FC-14" / "directory.ldif")
    text = (cases_dir / "FC-14" / "directory.ldif").read_text()
    without_one = text.replace(
        "member: CN=WS1403,OU=Workstations,DC=corp,DC=example,DC=test\n", ""
    )
    blocks = [block for block in without_one.split("\n\n") if "CN=WS1403," not in block]

    run = ldif_import(
        source=source, path_or_file=io.BytesIO("\n\n".join(blocks).encode())
    )

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.counts["objects_removed"] == 1
    assert obj(source, "WS1403").deleted_at is not None


# Variants: the kind of fault of a case where its own files do not put it.

LAB = "dc=corp,dc=example,dc=test"


def _lab_host(dn, name, entry_uuid, address):
    return (
        f"dn: {dn}\nobjectClass: device\nobjectClass: ipHost\ncn: {name}\n"
        f"ipHostNumber: {address}\nentryUUID: {entry_uuid}\n"
    )


def _lab_group(members):
    lines = [
        f"dn: cn=fw-bypass-app01,ou=groups,{LAB}",
        "objectClass: groupOfNames",
        "cn: fw-bypass-app01",
        *(f"member: {member}" for member in members),
    ]
    return "\n".join(lines) + "\n"


def test_fc08_openldap_rename_and_move_keep_the_record_by_entry_uuid():
    """FC-08's OpenLDAP form: modrdn with newsuperior keeps entryUUID, and a
    new host takes the old DN with an entryUUID of its own."""
    source = make_source("fc08-lab", kind=DirectorySource.Kind.LDAP, base_dn=LAB)
    old_dn = f"cn=ws0801,ou=floor1,ou=hosts,{LAB}"
    moved_dn = f"cn=ws0801-r,ou=floor2,ou=hosts,{LAB}"
    kept_uuid = "7c2b9f4e-1a3d-4b8e-9f21-0d6c5a8e3b17"
    new_uuid = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70819"
    first = (
        _lab_host(old_dn, "ws0801", kept_uuid, "10.30.8.1")
        + "\n"
        + _lab_group([old_dn])
    )
    second = "\n".join(
        [
            _lab_host(moved_dn, "ws0801-r", kept_uuid, "10.30.8.1"),
            _lab_host(old_dn, "ws0801", new_uuid, "10.30.8.88"),
            _lab_group([moved_dn]),
        ]
    )
    import_case(source, io.BytesIO(first.encode()))
    old = obj(source, "ws0801")

    run = import_case(source, io.BytesIO(second.encode()))

    hosts = DirectoryObject.objects.filter(source=source, kind="computer")
    assert hosts.count() == 2
    renamed = hosts.get(guid=kept_uuid)
    assert (renamed.pk, renamed.name, renamed.dn) == (old.pk, "ws0801-r", moved_dn)
    changes = {c.change for c in renamed.history.filter(run=run)}
    assert {"renamed", "moved"} <= changes
    new = hosts.get(guid=new_uuid)
    assert list(new.history.values_list("change", flat=True)) == ["created"]
    assert not Membership.objects.filter(member=new).exists()
    lab_group = group(source, f"cn=fw-bypass-app01,ou=groups,{LAB}")
    assert direct_members(lab_group) == {"ws0801-r": ("member", "resolved")}


@pytest.mark.parametrize(
    "written",
    [
        "{A1B2C3D4-E5F6-4A1B-8C2D-3E4F5A6B7C8D}",
        "A1B2C3D4-E5F6-4A1B-8C2D-3E4F5A6B7C8D",
        "a1b2c3d4e5f64a1b8c2d3e4f5a6b7c8d",
    ],
)
def test_fc11_an_objectguid_written_as_text_is_stored_in_the_same_form(
    cases_dir, written
):
    """Exports made by scripts (PowerShell, csvde conversions) write objectGUID
    as text, in braces or upper case: the same GUID must give the same id as
    the 16 bytes do, or a later binary sync sees a new object."""
    text = (cases_dir / "FC-11" / "directory.ldif").read_text()
    text = text.replace(
        "objectGUID:: 1MOyofblG0qMLT5PWmt8jQ==", f"objectGUID: {written}"
    )
    source = make_source("fc11-text")

    import_case(source, io.BytesIO(text.encode()))

    assert obj(source, "WS1101").guid == "a1b2c3d4-e5f6-4a1b-8c2d-3e4f5a6b7c8d"


def test_fc11_each_re_read_filter_is_the_one_the_case_names(cases_dir):
    """The case's re_read_by_guid filters, byte for byte, from the stored ids."""
    expected = yaml.safe_load((cases_dir / "FC-11" / "scenario.yaml").read_text())
    stored = expected["expect_sync"]["stored_ids"]

    for name, reread in expected["expect_sync"]["re_read_by_guid"].items():
        assert guid_filter(stored[name]) == reread["filter"], name


def test_fc10_foreign_members_written_in_lower_case_without_their_entries():
    """An export that lists FSP members but not the FSP objects themselves,
    with the DN in lower case: the SID still comes from the DN."""
    sid = "S-1-5-21-1004336348-1177238915-682003330-2201"
    text = (
        f"dn: CN=FW-Bypass-File01,OU=Firewall,OU=Groups,{CORP}\n"
        "objectClass: group\ncn: FW-Bypass-File01\n"
        f"member: cn={sid.lower()},cn=foreignsecurityprincipals,{CORP.lower()}\n"
        f"member: CN=S-1-5-11,CN=ForeignSecurityPrincipals,{CORP}\n"
    )
    source = make_source("fc10-fsp")

    import_case(source, io.BytesIO(text.encode()))

    edges = Membership.objects.filter(group__source=source)
    assert sorted(edges.values_list("state", "member_sid")) == [
        ("foreign", "S-1-5-11"),
        ("foreign", sid),
    ]


@pytest.mark.parametrize(
    "replacement",
    [
        "",
        "version: 1\n# ldapsearch -LLL: no such object\n",
        "partner",
    ],
    ids=["empty file", "comments only", "another domain's export"],
)
def test_fc14_an_export_that_reads_as_an_empty_directory_changes_nothing(
    cases_dir, replacement
):
    """Failure read as data, offline: an empty or wrong file is not "everything
    was deleted"."""
    source = make_source("fc14-file")
    good = import_case(source, cases_dir / "FC-14" / "directory.ldif")
    source.refresh_from_db()
    last_success = source.last_success_at
    if replacement == "partner":
        replacement = (cases_dir / "FC-10" / "partner.ldif").read_text()

    run = ldif_import(source=source, path_or_file=io.BytesIO(replacement.encode()))

    assert run.status == SyncRun.Status.FAILED
    assert (
        DirectoryObject.objects.filter(source=source, deleted_at__isnull=True).count()
        == 5
    )
    assert (
        Membership.objects.filter(group__source=source).count() == good.counts["edges"]
    )
    source.refresh_from_db()
    assert source.last_success_at == last_success


def test_fc13_a_dns_name_in_upper_case_with_a_trailing_dot_is_no_other_host():
    text = (
        f"dn: CN=WS1304,OU=Workstations,{CORP}\n"
        "objectClass: computer\ncn: WS1304\nsAMAccountName: WS1304$\n"
        "userAccountControl: 4096\ndNSHostName: WS1304.CORP.EXAMPLE.TEST.\n"
    )
    source = make_source("fc13-dns")

    run = import_case(source, io.BytesIO(text.encode()))

    ws1304 = obj(source, "WS1304")
    assert ws1304.dns_host_name == "ws1304.corp.example.test"
    assert not any("dNSHostName" in warning for warning in ws1304.warnings)
    assert not any("dNSHostName" in warning for warning in run.warnings)


def test_fc08_a_move_that_changes_the_sid_keeps_the_record_by_guid(cases_dir):
    """objectSid changes when an account moves between domains; objectGUID
    does not. The record (and its history) follows the GUID."""
    source = make_source("fc08-sid")
    import_case(source, cases_dir / "FC-08" / "sync-1.ldif")
    old = obj(source, "WS0801")
    moved = (cases_dir / "FC-08" / "sync-1.ldif").read_text()
    moved = moved.replace(
        "objectSid:: AQUAAAAAAAUVAAAAx/f+13x3VciUWs4BCQcAAA==",
        "objectSid:: AQUAAAAAAAUVAAAAx/f+13x3VciUWs4BEScAAA==",
    )

    run = import_case(source, io.BytesIO(moved.encode()))

    record = DirectoryObject.objects.get(source=source, kind="computer")
    assert record.pk == old.pk
    assert record.sid == "S-1-5-21-3623811015-3361044348-30300820-10001"
    assert run.counts["objects_added"] == 0
    assert Membership.objects.get(member=record).state == "resolved"
