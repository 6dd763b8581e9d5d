"""In Debian's Chromium: the what-if page runs a query, shows the ladder,
keeps the query in the address, and loads suggestions on a denial."""

import re

import pytest
from playwright.sync_api import expect

from policies.evaluator import forget_snapshot
from policies.models import Era
from tests.policies.evaluator.world import World

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rdp(transactional_db):
    forget_snapshot()
    w = World()
    server = w.server(era=Era.ADVANCED)
    gpo = w.policy(server)
    machines, helpdesk = w.group("FW-Bypass-App01"), w.group("Helpdesk")
    w.port(gpo, "Block RDP", "3389", action="block")
    w.bypass(gpo, machines, users=[helpdesk], protocol="tcp", ports="3389")
    ws = w.computer("WS2101", addresses=["10.30.21.1"])
    w.computer("WS2102", addresses=["10.30.21.2"])
    jroe = w.user("jroe")
    w.add(ws, machines)
    w.add(jroe, helpdesk)
    yield w
    forget_snapshot()


def errors_of(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else 0,
    )
    return errors


def fill_query(page, client):
    page.get_by_label("Client", exact=True).fill(client)
    page.get_by_label("User", exact=True).fill("jroe")
    page.get_by_label("Server", exact=True).fill("APP01")
    page.get_by_label("Service", exact=True).fill("tcp/3389")
    page.locator("summary", has_text="Overrides").click()
    page.get_by_label("IPsec").select_option("yes")
    page.get_by_role("button", name="Evaluate").click()


def test_a_query_shows_the_ladder_and_a_permalink(rdp, viewer_page, live_server):
    errors = errors_of(viewer_page)
    viewer_page.goto(live_server.url + "/what-if/")

    viewer_page.get_by_label("Client", exact=True).press_sequentially("ws21")
    expect(viewer_page.locator("#client-options option")).to_have_count(2)

    fill_query(viewer_page, "WS2101")
    verdict = viewer_page.locator("#verdict")
    expect(verdict).to_have_attribute("data-verdict", "allowed")
    rungs = viewer_page.locator("#ladder [data-rung]")
    expect(rungs).to_have_count(8)
    bypass = viewer_page.locator('#ladder [data-rung="bypass"]')
    expect(bypass).to_have_attribute("data-outcome", "decided")
    expect(bypass.locator("[data-chain]").first).to_contain_text(
        "WS2101 → FW-Bypass-App01"
    )
    expect(viewer_page.locator('#ladder [data-rung="block"]')).to_have_attribute(
        "data-outcome", "skipped"
    )
    expect(viewer_page).to_have_url(re.compile(r"client=WS2101.*service=tcp%2F3389"))

    # A name search after the query fills the suggestions and leaves the
    # address (the permalink) alone.
    viewer_page.get_by_label("Server", exact=True).fill("APP")
    expect(viewer_page.locator("#server-options option")).to_have_count(1)
    expect(viewer_page).to_have_url(re.compile(r"client=WS2101.*service=tcp%2F3389"))
    viewer_page.get_by_label("Server", exact=True).fill("APP01")

    viewer_page.reload()
    expect(viewer_page.locator("#verdict")).to_have_attribute("data-verdict", "allowed")
    assert errors == []


def test_a_denial_loads_the_smallest_changes(rdp, viewer_page, live_server):
    errors = errors_of(viewer_page)
    viewer_page.goto(live_server.url + "/what-if/")
    fill_query(viewer_page, "WS2102")
    expect(viewer_page.locator("#verdict")).to_have_attribute("data-verdict", "denied")
    expect(viewer_page.locator('#ladder [data-rung="block"]')).to_have_attribute(
        "data-outcome", "decided"
    )
    suggestions = viewer_page.locator("[data-suggestion]")
    expect(suggestions.first).to_contain_text("Add WS2102 to group FW-Bypass-App01")
    assert errors == []


def test_an_unknown_machine_is_an_error_on_its_field(rdp, viewer_page, live_server):
    viewer_page.goto(live_server.url + "/what-if/")
    fill_query(viewer_page, "WS21*")
    expect(viewer_page.locator('[data-query-error-for="client"]')).to_contain_text(
        "Unknown machine 'WS21*'."
    )
    expect(viewer_page.locator("#verdict")).to_have_count(0)
