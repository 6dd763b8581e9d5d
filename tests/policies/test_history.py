import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from policies import services
from policies.ascode import export_text
from policies.models import BypassRule, Era, FirewallRule, Policy, Server
from tests.policies.factories import DOMAIN_SID, PolicyFactory

pytestmark = pytest.mark.django_db


def history_ids(response):
    return [entry.pk for entry in response.context["history"]]


def test_form_edit_records_who_and_before_and_after(editor_client, editor):
    server = services.create_server(name="APP01", era=Era.ADVANCED)
    rule = services.save_object(
        obj=FirewallRule(
            policy=server.local_policy, name="Web", protocol="tcp", ports="80"
        )
    )

    editor_client.post(
        reverse("policies:firewallrule_update", args=[rule.pk]),
        {
            "policy": server.local_policy.pk,
            "name": "Web",
            "kind": "port",
            "action": "allow",
            "protocol": "tcp",
            "ports": "443",
            "scope": "LocalSubnet",
            "enabled": "on",
        },
    )

    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(FirewallRule),
        object_pk=str(rule.pk),
        action=LogEntry.Action.UPDATE,
    ).get()
    assert entry.actor == editor
    assert entry.changes_dict["ports"] == ["80", "443"]
    assert entry.changes_dict["scope"] == ["*", "LocalSubnet"]


def test_a_new_object_records_its_own_fields_not_its_reverse_relations():
    # A reverse relation (a policy's rules, a server's addresses) has no value
    # of its own; recorded, it showed as "policies.FirewallRule.None".
    services.create_server(name="APP01", era=Era.ADVANCED)

    created = LogEntry.objects.filter(action=LogEntry.Action.CREATE)

    recorded = {field for entry in created for field in entry.changes_dict}
    assert {"name", "era", "local_server"} <= recorded
    assert not recorded & {"rules", "bypass_rules", "addresses", "access_requirements"}
    assert not [entry for entry in created if ".None" in str(entry.changes)]


def test_server_page_lists_changes_of_its_parts_even_deleted_ones(editor_client):
    editor_client.post(
        reverse("policies:server_create"),
        {
            "name": "APP01",
            "era": "advanced",
            "active_profile": "domain",
            "addresses": "10.20.1.10/24",
        },
    )
    server = Server.objects.get()
    rule = services.save_object(
        obj=FirewallRule(
            policy=server.local_policy, name="Gone", protocol="tcp", ports="1"
        )
    )
    services.delete_object(obj=rule)
    services.save_bypass_rule(
        rule=BypassRule(policy=server.local_policy, name="B"),
        entries=[{"sid": f"{DOMAIN_SID}-1100", "name": "FW-Bypass"}],
    )
    shared = PolicyFactory(era=Era.ADVANCED, name="Shared")
    services.link_servers(policy=shared, servers=[server])
    other = services.create_server(name="OTHER", era=Era.ADVANCED)
    services.save_object(
        obj=FirewallRule(
            policy=other.local_policy, name="Elsewhere", protocol="tcp", ports="2"
        )
    )

    response = editor_client.get(server.get_absolute_url())

    described = {
        (entry.content_type.model, entry.object_repr, entry.action)
        for entry in response.context["history"]
    }
    assert ("server", "APP01", LogEntry.Action.CREATE) in described
    assert ("serveraddress", "10.20.1.10/24", LogEntry.Action.CREATE) in described
    assert ("firewallrule", "Gone", LogEntry.Action.DELETE) in described
    assert ("bypassentry", "FW-Bypass", LogEntry.Action.CREATE) in described
    assert ("policy", "Shared", LogEntry.Action.UPDATE) in described
    assert not any(repr_ == "Elsewhere" for _model, repr_, _action in described)
    assert "linked: APP01" in response.content.decode()


def test_policy_page_lists_its_rules_changes(viewer_client):
    policy = PolicyFactory(era=Era.XP)
    services.save_bypass_rule(
        rule=BypassRule(policy=policy, name="Bypass"),
        entries=[{"sid": f"{DOMAIN_SID}-1100", "name": "FW"}],
    )

    response = viewer_client.get(policy.get_absolute_url())

    models = {entry.content_type.model for entry in response.context["history"]}
    assert {"bypassrule", "bypassentry"} <= models


def test_ui_import_records_the_editor_and_preview_records_nothing(
    editor_client, editor
):
    server = services.create_server(name="APP01", era=Era.XP)
    text = export_text().replace(
        "era: xp\n    active_profile", "era: xp\n    owner: Ops\n    active_profile"
    )
    before = LogEntry.objects.count()
    upload = SimpleUploadedFile("policy.yaml", text.encode())

    preview = editor_client.post(reverse("policies:policy_import"), {"file": upload})

    assert LogEntry.objects.count() == before
    assert preview.context["report"].changes
    applied = editor_client.post(
        reverse("policies:policy_import"),
        {"apply": "1", "digest": preview.context["digest"]},
    )
    assert applied.status_code == 302
    server.refresh_from_db()
    assert server.owner == "Ops"
    entry = LogEntry.objects.filter(object_pk=str(server.pk)).latest("timestamp")
    assert entry.actor == editor


def test_ui_import_shows_every_problem_with_its_line(editor_client):
    text = "format: fwconsole-policy/1\nservers:\n  - name: A B\n    era: future\n"
    upload = SimpleUploadedFile("policy.yaml", text.encode())

    response = editor_client.post(reverse("policies:policy_import"), {"file": upload})

    page = response.content.decode()
    assert 'data-line="3"' in page
    assert 'data-line="4"' in page
    assert not Server.objects.exists()


def test_change_log_filters_by_kind_who_and_name(viewer_client, editor):
    editor_client = Client()
    editor_client.force_login(editor)
    editor_client.post(
        reverse("policies:server_create"),
        {"name": "APP01", "era": "xp", "active_profile": "domain"},
    )
    services.create_server(name="APP02")
    server_type = ContentType.objects.get_for_model(Server)

    by_kind = viewer_client.get(reverse("changelog"), {"content_type": server_type.pk})
    by_actor = viewer_client.get(reverse("changelog"), {"actor": editor.username})
    by_name = viewer_client.get(reverse("changelog"), {"q": "APP02"})

    assert {e.content_type_id for e in by_kind.context["page"]} == {server_type.pk}
    assert {e.actor_id for e in by_actor.context["page"]} == {editor.pk}
    assert {e.object_repr for e in by_name.context["page"]} <= {"APP02", "local:APP02"}
    assert len(by_name.context["page"]) >= 1


def test_deleting_a_shared_policy_is_in_the_history_with_its_last_values(editor_client):
    policy = PolicyFactory(name="Old GPO", precedence=4)

    editor_client.post(reverse("policies:policy_delete", args=[policy.pk]))

    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Policy),
        action=LogEntry.Action.DELETE,
    )
    assert entry.object_repr == "Old GPO"
    assert entry.changes_dict["precedence"][0] == "4"


def test_change_log_shows_link_changes_between_policies_and_servers(viewer_client):
    server = services.create_server(name="APP01")
    policy = PolicyFactory(era=Era.XP, name="Baseline")
    services.link_servers(policy=policy, servers=[server])

    response = viewer_client.get(reverse("changelog"))

    assert response.status_code == 200
    assert "linked: APP01" in response.content.decode()
