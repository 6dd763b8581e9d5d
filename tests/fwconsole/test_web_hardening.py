"""CSRF on every form and htmx request, security headers and the content
security policy, secure cookies behind TLS, the idle session timeout, and
templates with no inline script or style."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template import engines
from django.test import Client
from django.urls import reverse

from fwconsole.roles import Role
from tests.conftest import PASSWORD
from tests.fwconsole import fuzz
from tests.services import ROOT


@pytest.mark.django_db
def test_every_post_form_carries_a_csrf_token_and_refuses_a_post_without_one(
    admin_client,
    admin_user,
    every_page,
):
    _visited, forms, _errors = fuzz.crawl(admin_client, every_page)
    post_forms = [form for form in forms if form.method == "POST"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)

    missing = [f.label for f in post_forms if "csrfmiddlewaretoken" not in f.data()]
    accepted = []
    for form in {f.action: f for f in post_forms}.values():
        data = {k: v for k, v in form.data().items() if k != "csrfmiddlewaretoken"}
        response = strict.post(form.action.removeprefix("http://testserver"), data)
        if response.status_code != 403:
            accepted.append(f"{form.action}: {response.status_code}")

    assert len(post_forms) >= 5
    assert missing == []
    assert accepted == []


@pytest.mark.django_db
def test_htmx_requests_send_the_token_from_the_page(admin_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    page = strict.get(reverse("accounts:rolemapping_list")).content.decode()
    token = json.loads(re.search(r"hx-headers='([^']+)'", page).group(1))["X-CSRFToken"]

    without = strict.post(
        reverse("accounts:rolemapping_list"),
        {"group_dn": "CN=a,DC=corp", "role": "viewer"},
        HTTP_HX_REQUEST="true",
    )
    with_token = strict.post(
        reverse("accounts:rolemapping_list"),
        {"group_dn": "CN=a,DC=corp", "role": "viewer"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )

    assert without.status_code == 403
    assert with_token.status_code == 302


@pytest.mark.django_db
def test_api_with_a_session_needs_the_csrf_token(admin_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)

    response = strict.post(
        "/api/servers/", data=json.dumps({"name": "x"}), content_type="application/json"
    )

    assert response.status_code == 403


@pytest.mark.django_db
def test_pages_send_security_headers_and_a_strict_content_security_policy(
    viewer_client,
):
    response = viewer_client.get(reverse("dashboard:home"))

    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split("; ") if part
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_behind_tls_cookies_are_secure_and_hsts_is_sent():
    script = (
        "import json, django; django.setup();"
        "from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k) for k in ["
        "'SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS','SESSION_COOKIE_NAME','CSRF_COOKIE_NAME',"
        "'SESSION_COOKIE_HTTPONLY','SESSION_SAVE_EVERY_REQUEST']}))"
    )
    env = {
        **os.environ,
        "FWCONSOLE_SECURE": "1",
        "DJANGO_SETTINGS_MODULE": "fwconsole.settings",
    }

    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout

    values = json.loads(output.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_SAVE_EVERY_REQUEST"]


@pytest.mark.django_db
def test_session_ends_after_the_idle_timeout(make_user, settings):
    settings.SESSION_COOKIE_AGE = 2
    make_user("idle", Role.VIEWER)
    client = Client()
    client.post(reverse("login"), {"username": "idle", "password": PASSWORD})

    time.sleep(1.2)
    active = client.get(reverse("dashboard:home"))
    time.sleep(1.2)
    still_active = client.get(reverse("dashboard:home"))
    time.sleep(2.5)
    idle = client.get(reverse("dashboard:home"))

    assert active.status_code == 200
    assert still_active.status_code == 200
    assert idle.status_code == 302
    assert idle["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------------------
# Templates: the content security policy forbids inline script and style.

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on...= event handler attribute"),
    (re.compile(r"href\s*=\s*[\"']?\s*javascript:", re.I), "javascript: URL"),
]


COMMENTS = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.S)


def without_comments(text):
    # Keep the line numbers: replace each comment by its own newlines.
    return COMMENTS.sub(lambda match: "\n" * match.group(0).count("\n"), text)


def project_templates():
    folders = []
    for engine in engines.all():
        for loader in engine.engine.template_loaders:
            for folder in loader.get_dirs():
                path = Path(folder)
                ours = ROOT in path.parents and ".venv" not in path.parts
                if path.is_dir() and ours:
                    folders.append(path)
    return sorted(
        {template for folder in folders for template in folder.rglob("*.html")}
    )


def test_templates_hold_no_inline_script_or_style():
    problems = []
    for template in project_templates():
        text = without_comments(template.read_text(encoding="utf-8"))
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{template.relative_to(ROOT)}:{line}: {what}")

    assert len(project_templates()) >= 10
    assert problems == []
    assert django_settings.CONTENT_SECURITY_POLICY
