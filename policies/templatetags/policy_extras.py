"""Template helpers of the policy pages: change-log rows, principal lookups."""

from django import template

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
        before, after = (list(change) + [None, None])[:2]
        rows.append({"field": field, "before": _shown(before), "after": _shown(after)})
    return rows


def _shown(value):
    if value in (None, "None"):
        return "—"
    if value == "":
        return "(empty)"
    return value
