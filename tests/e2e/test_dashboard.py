"""In Debian's Chromium, on the demo data: every dashboard chart is drawn from
its JSON endpoint, and every finding count links to its list; a running sync's
progress updates live until the run ends."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from directory.models import SyncRun
from tests.directory.factories import DirectorySourceFactory, SyncRunFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHARTS = ("findings", "sync-health", "exposure")


@pytest.fixture
def demo(db):
    call_command("load_demo", password="demo-password-for-tests")


def _errors(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else 0,
    )
    return errors


def _points(page, selector):
    """Data points the Chart.js chart on the canvas holds (0 if none)."""
    return page.eval_on_selector(
        selector,
        """canvas => {
            const chart = window.Chart.getChart(canvas);
            if (!chart) { return 0; }
            return chart.data.datasets.reduce(
                (sum, dataset) => sum + dataset.data.filter(v => v !== null).length, 0);
        }""",
    )


def test_every_chart_is_drawn_with_data(demo, viewer_page, live_server):
    errors = _errors(viewer_page)
    viewer_page.goto(live_server.url + "/")

    for name in CHARTS:
        canvas = viewer_page.locator(f'canvas[data-chart="{name}"]')
        expect(canvas).to_have_attribute("data-chart-drawn", "true")
        assert _points(viewer_page, f'canvas[data-chart="{name}"]') > 0, name

    sparklines = viewer_page.locator("canvas[data-group-chart]")
    assert sparklines.count() > 0
    for index in range(sparklines.count()):
        expect(sparklines.nth(index)).to_have_attribute("data-chart-drawn", "true")
    first = viewer_page.locator("canvas[data-group-chart]").first
    group = first.get_attribute("data-group-chart")
    # A line from the demo's run to now, not a lone dot.
    assert _points(viewer_page, f'canvas[data-group-chart="{group}"]') >= 2
    assert errors == []


def test_each_finding_count_links_to_its_list(demo, viewer_page, live_server):
    viewer_page.goto(live_server.url + "/")
    counts = viewer_page.locator("[data-finding-count]")
    assert counts.count() == 6

    for index in range(counts.count()):
        viewer_page.goto(live_server.url + "/")
        figure = viewer_page.locator("[data-finding-count]").nth(index)
        slug = figure.get_attribute("data-finding-count")
        count = int(figure.inner_text().replace(",", ""))
        link = viewer_page.locator(f'a[data-finding="{slug}"]')
        expect(link).to_have_attribute("href", f"/dashboard/findings/{slug}/")

        link.click()

        expect(viewer_page).to_have_url(re.compile(f"/dashboard/findings/{slug}/$"))
        listed = viewer_page.locator("[data-listing-count]").inner_text()
        assert int(listed.replace(",", "")) == count, slug
        expect(viewer_page.locator('a[data-export="csv"]')).to_be_visible()


def test_clicking_a_bar_opens_the_list_behind_it(demo, viewer_page, live_server):
    viewer_page.goto(live_server.url + "/")
    canvas = viewer_page.locator('canvas[data-chart="findings"]')
    expect(canvas).to_have_attribute("data-chart-drawn", "true")

    target = viewer_page.eval_on_selector(
        'canvas[data-chart="findings"]',
        """canvas => {
            const chart = window.Chart.getChart(canvas);
            const data = chart.data.datasets[0].data;
            const index = data.findIndex(value => value > 0);
            const bar = chart.getDatasetMeta(0).data[index];
            const box = canvas.getBoundingClientRect();
            return {index: index, x: bar.x, y: bar.y};
        }""",
    )
    assert target["index"] >= 0
    canvas.click(position={"x": target["x"] - 2, "y": target["y"]})

    expect(viewer_page).to_have_url(re.compile(r"/dashboard/findings/[a-z-]+/$"))


def test_a_running_sync_shows_its_progress_live_until_it_ends(viewer_page, live_server):
    source = DirectorySourceFactory(name="live-corp")
    run = SyncRunFactory(
        source=source, status=SyncRun.Status.RUNNING, progress=10, phase="reading"
    )
    viewer_page.goto(live_server.url + "/")
    bar = viewer_page.locator(f'[data-run-progress="{run.pk}"]')
    expect(bar).to_have_text("10 %")
    expect(viewer_page.locator("#sync-health")).to_have_attribute(
        "data-polling", "true"
    )

    SyncRun.objects.filter(pk=run.pk).update(progress=70, phase="applying")
    expect(bar).to_have_text("70 %", timeout=10_000)

    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.SUCCEEDED, progress=100
    )
    health = viewer_page.locator("#sync-health")
    expect(health.locator('[data-status="succeeded"]')).to_be_visible(timeout=10_000)
    assert health.get_attribute("hx-trigger") is None
    assert health.get_attribute("data-polling") is None
