"""`manage.py load_demo` leaves a dashboard a newcomer can read."""

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_demo_groups_have_a_size_history_for_their_sparklines(viewer_client):
    # The directory is imported before the policies name any group, so the
    # import run alone samples nothing: each sparkline would be a single dot.
    call_command("load_demo", password="demo-password-for-tests")

    groups = viewer_client.get(reverse("dashboard:chart_group_sizes")).json()["groups"]

    assert groups
    for group in groups:
        assert len(group["samples"]) == 1, group["name"]
        assert group["samples"][0]["accounts"] == group["accounts"], group["name"]


def test_loading_the_demo_twice_samples_each_run_once(viewer_client):
    call_command("load_demo", password="demo-password-for-tests")
    call_command("load_demo", password="demo-password-for-tests")

    groups = viewer_client.get(reverse("dashboard:chart_group_sizes")).json()["groups"]

    runs = {sample["run"] for group in groups for sample in group["samples"]}
    assert len(runs) == 2
    for group in groups:
        assert len(group["samples"]) == 2, group["name"]
