"""In Debian's Chromium: sign in through the form, then open every navigation
entry the role shows, with no script or content-security-policy error."""

import re

import pytest
from playwright.sync_api import expect

from fwconsole.roles import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EVERY_ROLE = ["dashboard", "directory", "policies", "whatif", "changelog"]


def sign_in_through_the_form(page, live_server, username):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def collect_errors(page):
    """Return a list that fills with script errors, CSP refusals and failed loads."""
    errors = []

    def on_console(message):
        if message.type == "error":
            errors.append(message.text)

    def on_response(response):
        if response.status >= 400:
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.mark.parametrize(
    ("role", "entries"),
    [
        (Role.VIEWER, EVERY_ROLE),
        (Role.EDITOR, EVERY_ROLE),
        (Role.ADMIN, [*EVERY_ROLE, "users"]),
    ],
    ids=["viewer", "editor", "admin"],
)
def test_signed_in_user_opens_every_navigation_entry(
    page, live_server, make_user, role, entries
):
    make_user("pat", role)
    errors = collect_errors(page)

    sign_in_through_the_form(page, live_server, "pat")

    navigation = page.locator("#main-nav [data-nav]")
    expect(navigation.first).to_be_visible()
    assert [link.get_attribute("data-nav") for link in navigation.all()] == entries
    for entry in entries:
        with page.expect_navigation() as navigated:
            page.locator(f'#main-nav [data-nav="{entry}"]').click()
        assert navigated.value.status == 200, f"{entry}: {navigated.value.url}"
        expect(page.locator(f'#main-nav [data-nav="{entry}"]')).to_have_class(
            re.compile(r"\bactive\b")
        )
    assert errors == []


def test_user_without_a_role_sees_a_clear_refusal(page, live_server, make_user):
    make_user("nobody")

    sign_in_through_the_form(page, live_server, "nobody")

    expect(page.get_by_role("heading", name="No access")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("role")


def test_wrong_password_keeps_the_visitor_on_the_sign_in_form(
    page, live_server, make_user
):
    make_user("pat", Role.VIEWER)
    page.goto(live_server.url + "/accounts/login/")

    page.get_by_label("User name").fill("pat")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
