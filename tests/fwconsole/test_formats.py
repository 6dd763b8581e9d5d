"""Every page spells a moment the same way: details, tables and history."""

from datetime import UTC, datetime

from django.template import Context, Template


def test_dates_and_times_have_one_sortable_spelling():
    moment = datetime(2026, 12, 4, 7, 14, 30, tzinfo=UTC)
    template = Template(
        "{{ moment }}|{{ moment|date }}|{{ moment|date:'SHORT_DATETIME_FORMAT' }}"
        "|{{ moment|date:'SHORT_DATE_FORMAT' }}"
    )

    rendered = template.render(Context({"moment": moment}))

    assert rendered == "2026-12-04 07:14|2026-12-04|2026-12-04 07:14|2026-12-04"
