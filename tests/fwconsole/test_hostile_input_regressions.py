"""Answers to hostile input that the fuzz tests once found wrong, kept as
plain tests so that each stays fixed."""

import pytest
from django.urls import reverse

from policies.selectors import resolve_principals, search_principals
from tests.policies import factories as policy_factories

pytestmark = pytest.mark.django_db


def test_principal_sid_with_a_nul_is_refused_not_a_server_error(admin_client):
    server = policy_factories.ServerFactory()

    response = admin_client.post(
        reverse("policies:accessrequirement_create"),
        {
            "server": server.pk,
            "name": "files",
            "protocol": "tcp",
            "ports": "445",
            "groups-sid": "S-1-5-21-1-2-3-1105\x00",
            "groups-name": "<script>fz()</script>",
        },
    )

    assert response.status_code in (200, 400)
    assert "<script>fz()</script>" not in response.content.decode()


def test_principal_lookups_ignore_text_with_a_nul():
    assert resolve_principals(["S-1-5-21-1-2-3-1105\x00"]) == {}
    assert search_principals("ws\x00", ["computer"]) == []


@pytest.mark.parametrize("kind", ["computer", "user", "group", "server"])
def test_type_ahead_with_a_nul_answers_no_options(viewer_client, kind):
    response = viewer_client.get(
        reverse("whatif:search"), {"kind": kind, "q": "ws\x00<script>fz()</script>"}
    )

    assert response.status_code == 200
    assert "<script>fz()</script>" not in response.content.decode()
