import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_sign_in(client):
    response = client.get(reverse("dashboard:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_viewer_sees_the_dashboard_with_navigation(viewer_client):
    response = viewer_client.get(reverse("dashboard:home"))

    assert response.status_code == 200
    for entry in ("dashboard", "directory", "policies", "whatif"):
        assert f'data-nav="{entry}"' in response.content.decode()


def test_every_page_links_to_the_api_documentation(viewer_client):
    # The README names /api/docs/; a reader of the console finds it by clicking.
    response = viewer_client.get(reverse("policies:index"))

    assert f'href="{reverse("api_docs")}" data-link="api-docs"' in (
        response.content.decode()
    )


def test_user_without_a_role_is_refused(client, make_user):
    client.force_login(make_user("nobody"))

    response = client.get(reverse("dashboard:home"))

    assert response.status_code == 403


def test_favicon_ico_leads_to_the_console_icon_for_everyone(client):
    # Pages without an icon link (a run's plain-text log) make browsers ask
    # for /favicon.ico; a 404 there is an error in every browser console.
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == static("fwconsole/favicon.svg")
    assert finders.find("fwconsole/favicon.svg")
