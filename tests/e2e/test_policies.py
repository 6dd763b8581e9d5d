"""In Debian's Chromium: an editor builds a server's policy by hand in the
browser and reads back what is in force and what changed."""

import re

import pytest
from playwright.sync_api import expect

from directory.models import DirectoryObject
from policies.models import BypassRule, FirewallRule
from tests.policies.factories import PrincipalFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _errors(page):
    """Collect script errors and console errors (a CSP refusal is one)."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else 0,
    )
    return errors


def _create_server(page, base):
    page.goto(base + "/policies/servers/add/")
    page.fill("#id_name", "APP01")
    page.select_option("#id_era", "advanced")
    page.select_option("#id_active_profile", "domain")
    page.fill("#id_addresses", "10.20.1.10/24")
    page.click("button[name=save]")
    expect(page).to_have_url(re.compile(r"/policies/servers/\d+/$"))


def _fill_rule(page, scope):
    page.fill("#id_name", "RDP from admins")
    page.select_option("#id_protocol", "tcp")
    page.fill("#id_ports", "3389")
    page.fill("#id_scope", scope)
    page.click("button[name=save]")


def test_editor_builds_a_server_policy_and_sees_it_in_force_and_in_history(
    editor_page, live_server
):
    PrincipalFactory(name="FW-Bypass-App01", kind=DirectoryObject.Kind.GROUP)
    PrincipalFactory(name="Helpdesk", kind=DirectoryObject.Kind.GROUP)
    page = editor_page
    errors = _errors(page)
    base = live_server.url

    _create_server(page, base)
    server_url = page.url

    page.click("text=Add local rule")
    _fill_rule(page, "10.0.0.1 - 10.0.0.9")
    scope_error = page.locator('[data-field-error="scope"]')
    expect(scope_error).to_be_visible()
    expect(scope_error).to_contain_text("without spaces")
    assert not FirewallRule.objects.exists()

    _fill_rule(page, "10.30.4.1-10.30.4.9,172.16.5.7")
    expect(page).to_have_url(re.compile(r"/policies/firewall-rules/\d+/$"))

    page.goto(server_url)
    page.click("text=Add local bypass rule")
    page.fill("#id_name", "RDP bypass")
    page.select_option("#id_protocol", "tcp")
    page.fill("#id_ports", "3389")
    page.locator('[data-principal-search="computers"]').press_sequentially("bypass-app")
    result = page.locator('[data-principal-add][data-name="FW-Bypass-App01"]')
    expect(result).to_be_visible()
    result.click()
    expect(
        page.locator('[data-principal-list="computers"] [data-principal-row]')
    ).to_have_count(1)
    page.click("button[name=save]")
    expect(page).to_have_url(re.compile(r"/policies/bypass-rules/\d+/$"))
    assert BypassRule.objects.get().entries.get().name == "FW-Bypass-App01"

    page.goto(server_url)
    effective_bypass = page.locator('[data-section="effective-bypass"]')
    expect(effective_bypass).to_contain_text("RDP bypass")
    expect(effective_bypass).to_contain_text("FW-Bypass-App01")
    expect(effective_bypass).to_contain_text("local settings")
    effective_rules = page.locator('[data-section="effective-rules"]')
    expect(effective_rules).to_contain_text("RDP from admins")
    expect(effective_rules).to_contain_text("10.30.4.1-10.30.4.9,172.16.5.7")
    expect(page.locator('[data-export="powershell"]')).to_contain_text(
        "-OverrideBlockRules $true"
    )

    history = page.locator('[data-section="history"]')
    expect(history).to_contain_text("RDP from admins")
    expect(history).to_contain_text("FW-Bypass-App01")
    expect(history).to_contain_text("browser-editor")

    page.goto(base + "/changelog/?q=RDP")
    expect(page.locator("main")).to_contain_text("RDP from admins")
    assert errors == []


def test_viewer_sees_the_server_page_without_edit_controls(viewer_page, live_server):
    from policies import services

    server = services.create_server(name="APP02")
    errors = _errors(viewer_page)

    viewer_page.goto(live_server.url + server.get_absolute_url())

    expect(viewer_page.locator('[data-section="effective"]')).to_be_visible()
    expect(viewer_page.locator("[data-edit-control]")).to_have_count(0)
    assert errors == []


def test_preview_impact_lists_machines_that_would_gain_access(editor_page, live_server):
    from tests.policies.evaluator.world import World

    world = World()
    server = world.server(era="xp")
    gpo = world.policy(server)
    listed, site = world.group("FW-Bypass"), world.group("Site")
    world.add(world.computer("WS1", addresses=["10.30.0.5"]), listed)
    world.add(world.computer("WS3", addresses=["10.20.1.40"]), site)
    rule = world.bypass(gpo, listed)
    world.ipsec(server)
    page = editor_page
    errors = _errors(page)

    page.goto(live_server.url + f"/policies/bypass-rules/{rule.pk}/edit/")
    page.locator('[data-principal-search="computers"]').press_sequentially("Site")
    page.locator('[data-principal-add][data-name="Site"]').click()
    page.click("[data-impact-button]")

    gained = page.locator("[data-impact-gained]")
    expect(gained).to_be_visible()
    expect(gained).to_contain_text("WS3")
    expect(gained).not_to_contain_text("WS1")
    assert list(rule.entries.values_list("name", flat=True)) == ["FW-Bypass"]
    assert errors == []


def test_preview_impact_of_a_new_exception_before_saving(editor_page, live_server):
    from tests.policies.evaluator.world import World

    world = World()
    server = world.server(era="xp")
    gpo = world.policy(server)
    world.computer("WS7", addresses=["10.30.0.7"])
    page = editor_page
    errors = _errors(page)

    page.goto(live_server.url + f"/policies/firewall-rules/add/?policy={gpo.pk}")
    page.fill("#id_name", "SQL")
    page.select_option("#id_protocol", "tcp")
    page.fill("#id_ports", "1433")
    page.click("[data-impact-button]")

    gained = page.locator("[data-impact-gained]")
    expect(gained).to_be_visible()
    expect(gained).to_contain_text("WS7")
    expect(gained).to_contain_text("tcp/1433")
    assert not FirewallRule.objects.exists()
    assert errors == []
