"""Template helpers of the policy pages: change-log rows, principal lookups."""

from django import template
from django.utils.html import format_html

from policies.tables import rule_summary as summarize_rule

register = template.Library()


@register.filter
def get_item(mapping, key):
    """Look a key up in a dict: {{ principals|get_item:entry.sid }}."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def rule_summary(rule):
    return summarize_rule(rule)


@register.filter
def change_rows(entry):
    """Turn a log entry's changes into rows: field, before, after (or a link note)."""
    rows = []
    for field, change in (entry.changes_dict or {}).items():
        if isinstance(change, dict) and change.get("type") == "m2m":
            verb = "linked" if change.get("operation") == "add" else "unlinked"
            rows.append(
                {
                    "field": field,
                    "note": f"{verb}: {', '.join(change.get('objects', []))}",
                }
            )
            continue
        if not isinstance(change, list | tuple):
            rows.append({"field": field, "note": str(change)})
            continue
        before, after = (list(change) + [None, None])[:2]
        rows.append({"field": field, "before": _shown(before), "after": _shown(after)})
    return rows


def _shown(value):
    if value in (None, "None"):
        return "—"
    if value == "":
        return "(empty)"
    return value


@register.simple_tag
def principal(name, sid, current):
    """One stored principal: the name it had, its SID, what the SID names now.

    A Python tag rather than an include: detail pages list thousands of them.
    """
    stored = format_html(
        '<span class="fw-semibold">{}</span> '
        '<span class="mono small text-body-secondary">{}</span>',
        name or "(no name stored)",
        sid,
    )
    if current is None:
        now = format_html(
            '<span class="badge text-bg-danger" data-unresolved>{}</span>',
            "resolves to nothing in the directory",
        )
    elif current.display_label != name:
        now = format_html(
            '<span class="badge text-bg-info" title="Current directory name">'
            'now: <a class="link-light" href="{}">{}</a></span>',
            current.get_absolute_url(),
            current.display_label,
        )
    else:
        now = format_html(
            '<a class="small" href="{}">{}</a>',
            current.get_absolute_url(),
            current.get_kind_display().lower(),
        )
    if current is not None and not current.enabled:
        now = format_html(
            '{} <span class="badge text-bg-warning">{}</span>', now, "disabled"
        )
    return format_html(
        '<span class="principal" data-sid="{}">{} {}</span>', sid, stored, now
    )
