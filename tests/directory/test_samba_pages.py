"""Source pages and commands against the shared Samba AD DC: the connection test
names the failing step, a sync started from the page runs on a real worker and
its result shows on the pages and in `members`, and the bind password appears
nowhere on the way."""

import io
import logging
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from directory.models import DirectoryObject, SyncRun
from tests.directory import samba

pytestmark = [pytest.mark.samba, pytest.mark.django_db]

HOSTILE_GROUP = 'Ops "<b>bold</b>" & Co'


@pytest.fixture
def small_ou(samba_env, samba_conn, samba_ou):
    """Two computers, a nested group and a group with a hostile name, in an OU."""
    dns_domain = samba_env["FWCONSOLE_SAMBA_REALM"].lower()
    entries = []
    for name in ("UIWS01", "UIWS02"):
        classes, attrs = samba.computer_attrs(name, dns_domain=dns_domain)
        entries.append((f"CN={name},{samba_ou}", classes, attrs))
    for sam, cn in (
        ("ui-top", "UI-Top"),
        ("ui-inner", "UI-Inner"),
        ("ui-ops", HOSTILE_GROUP),
    ):
        classes, attrs = samba.group_attrs(sam)
        entries.append((f"{samba.rdn('CN', cn)},{samba_ou}", classes, attrs))
    samba.add_entries(samba_env, entries, threads=1)
    top = f"CN=UI-Top,{samba_ou}"
    inner = f"CN=UI-Inner,{samba_ou}"
    samba.add_members(samba_conn, top, [inner])
    samba.add_members(samba_conn, inner, [f"CN=UIWS01,{samba_ou}"])
    samba.add_members(
        samba_conn,
        f"{samba.rdn('CN', HOSTILE_GROUP)},{samba_ou}",
        [f"CN=UIWS02,{samba_ou}"],
    )
    return samba_ou


def test_connection_test_passes_every_step_against_the_dc(
    admin_client, samba_source, samba_env
):
    source = samba_source(samba_env["FWCONSOLE_SAMBA_BASE_DN"])

    response = admin_client.post(
        reverse("directory:source_test_connection", args=[source.pk])
    )

    body = response.content.decode()
    assert 'data-connection-test="ok"' in body
    for step in ("DNS", "TCP", "TLS", "bind", "base"):
        assert f'data-step="{step}" data-ok="true"' in body


def test_connection_test_names_bind_for_a_wrong_password(
    admin_client, samba_source, samba_env, caplog
):
    caplog.set_level(logging.DEBUG)
    wrong = "Wrong-Password-For-The-Test-4411"
    source = samba_source(samba_env["FWCONSOLE_SAMBA_BASE_DN"], bind_password=wrong)

    response = admin_client.post(
        reverse("directory:source_test_connection", args=[source.pk])
    )

    body = response.content.decode()
    assert 'data-failed-step="bind"' in body
    assert 'data-step="TLS" data-ok="true"' in body
    assert wrong not in body
    assert wrong not in caplog.text


def test_connection_test_names_base_when_the_base_dn_does_not_exist(
    admin_client, samba_source, samba_env
):
    base = f"OU=no-such-ou,{samba_env['FWCONSOLE_SAMBA_BASE_DN']}"
    source = samba_source(base)

    response = admin_client.post(
        reverse("directory:source_test_connection", args=[source.pk])
    )

    body = response.content.decode()
    assert 'data-failed-step="base"' in body
    assert 'data-step="bind" data-ok="true"' in body


def test_connection_test_names_tls_when_the_certificate_is_not_trusted(
    admin_client, samba_source, samba_env
):
    source = samba_source(samba_env["FWCONSOLE_SAMBA_BASE_DN"], ca_file="")

    response = admin_client.post(
        reverse("directory:source_test_connection", args=[source.pk])
    )

    body = response.content.decode()
    assert 'data-failed-step="TLS"' in body
    assert 'data-step="TCP" data-ok="true"' in body


def test_directory_source_test_command_reports_each_step(samba_source, samba_env):
    good = samba_source(samba_env["FWCONSOLE_SAMBA_BASE_DN"], name="dc-good")
    samba_source(
        samba_env["FWCONSOLE_SAMBA_BASE_DN"], name="dc-bad", bind_password="nope-nope-1"
    )
    out = io.StringIO()

    call_command("directory_source", "test", good.name, stdout=out)
    with pytest.raises(CommandError, match="failed at bind"):
        call_command("directory_source", "test", "dc-bad", stdout=io.StringIO())

    assert "Connection test of dc-good passed." in out.getvalue()
    assert "ok      bind" in out.getvalue()


def wait_for_run(client, run, timeout=120):
    """Poll the run's progress part as htmx does until it answers 286."""
    url = reverse("directory:run_progress", args=[run.pk])
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        response = client.get(url, HTTP_HX_REQUEST="true")
        seen.append(response.status_code)
        if response.status_code == 286:
            return response, seen
        assert response.status_code == 200
        time.sleep(0.5)
    raise AssertionError(f"run {run.pk} did not finish in {timeout} s")


@pytest.mark.worker
def test_sync_from_the_page_runs_on_a_worker_and_fills_the_pages(
    admin_client, celery_worker, samba_source, samba_env, samba_conn, small_ou
):
    source = samba_source(small_ou, name="dc-ui")
    password = samba_env["FWCONSOLE_SAMBA_ADMIN_PASSWORD"]

    response = admin_client.post(reverse("directory:source_sync", args=[source.pk]))
    run = SyncRun.objects.get(source=source)
    assert response["Location"] == run.get_absolute_url()
    final, statuses = wait_for_run(admin_client, run)

    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert 'data-status="succeeded"' in final.content.decode()
    assert 'data-progress="100"' in final.content.decode()

    top = DirectoryObject.objects.get(source=source, name="UI-Top")
    page = admin_client.get(top.get_absolute_url())
    chains = {row.obj.name: row for row in page.context["transitive_page"]}
    assert set(chains) == {"UI-Inner", "UIWS01"}
    assert chains["UIWS01"].depth == 2
    dc_members = {
        dn.casefold() for dn in samba.in_chain_members(samba_conn, small_ou, top.dn)
    }
    assert {row.obj.dn.casefold() for row in chains.values()} == dc_members

    ops = DirectoryObject.objects.get(source=source, name=HOSTILE_GROUP)
    listing = admin_client.get(reverse("directory:group_list"), {"source": source.pk})
    ops_page = admin_client.get(ops.get_absolute_url()).content.decode()
    assert "ui-ops" in listing.content.decode()
    for body in (listing.content.decode(), ops_page):
        assert "<b>bold</b>" not in body
    assert "Ops &quot;&lt;b&gt;bold&lt;/b&gt;&quot; &amp; Co" in ops_page

    out = io.StringIO()
    call_command("members", "ui-top", "--source", "dc-ui", "--transitive", stdout=out)
    assert "UIWS01 -> ui-inner -> ui-top" in out.getvalue()

    pages = [
        admin_client.get(run.get_absolute_url()).content.decode(),
        admin_client.get(source.get_absolute_url()).content.decode(),
        b"".join(
            admin_client.get(
                reverse("directory:run_log", args=[run.pk])
            ).streaming_content
        ).decode(),
    ]
    assert all(password not in body for body in pages)
    assert password not in celery_worker.log_path.read_text()
