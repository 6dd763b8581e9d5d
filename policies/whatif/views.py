"""The what-if pages: one query, suggestions, reverse queries, impact of an edit.

Queries are GET requests, so the URL of an answer is its permalink. htmx
requests get the partial that changed; everything else gets the page.
"""

import csv
import logging
from collections import Counter
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.views import View

from directory.models import DirectoryObject
from fwconsole.numbers import ascii_number
from fwconsole.roles import Role, RoleRequiredMixin
from policies.evaluator import QueryError
from policies.evaluator.lookup import NotFound, find_group, find_machine, find_user
from policies.evaluator.verdict import Verdict
from policies.models import BypassEntry, BypassRule, FirewallRule, Policy
from policies.whatif import selectors
from policies.whatif.forms import (
    ImpactForm,
    WhatCanReachForm,
    WhatIfForm,
    WhoCanReachForm,
)

logger = logging.getLogger(__name__)

SEARCH_KINDS = {
    "machine": DirectoryObject.Kind.COMPUTER,
    "user": DirectoryObject.Kind.USER,
    "group": DirectoryObject.Kind.GROUP,
}


def _attach_error(form, error):
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class WhatIfView(RoleRequiredMixin, View):
    """The what-if page: the form, and the verdict with its ladder."""

    required_role = Role.VIEWER

    def get(self, request):
        submitted = "server" in request.GET or "service" in request.GET
        form = WhatIfForm(request.GET if submitted else None)
        context = {"form": form, "evaluation": None}
        if submitted and form.is_valid():
            try:
                evaluation, query = selectors.run_query(**form.query_inputs())
            except QueryError as error:
                _attach_error(form, error)
            else:
                context.update(
                    evaluation=evaluation,
                    permalink=request.get_full_path(),
                    query_string=request.GET.urlencode(),
                )
        template = "whatif/query.html"
        if request.htmx and not request.htmx.boosted:
            template = "whatif/_result.html"
        return render(request, template, context)


class SuggestionsView(RoleRequiredMixin, View):
    """The smallest changes that would allow a denied query (an htmx partial)."""

    required_role = Role.VIEWER

    def get(self, request):
        form = WhatIfForm(request.GET)
        context = {"suggestions": [], "error": ""}
        if form.is_valid():
            try:
                context["suggestions"] = selectors.suggestions_for(
                    **form.query_inputs()
                )
            except QueryError as error:
                context["error"] = error.message
        else:
            context["error"] = "The query is incomplete."
        return render(request, "whatif/_suggestions.html", context)


class SearchView(RoleRequiredMixin, View):
    """Type-ahead options for machines, users, groups and servers (a partial)."""

    required_role = Role.VIEWER

    def get(self, request):
        kind = request.GET.get("kind", "")
        # The type-ahead input sends its own value under its field name.
        text = request.GET.get("q") or next(
            (value for key, value in request.GET.items() if key != "kind"), ""
        )
        if kind == "server":
            options = [
                (server.name, server.get_era_display())
                for server in selectors.search_servers(text)
            ]
        elif kind in SEARCH_KINDS:
            options = [
                (self._value(account, kind), account.source.name)
                for account in selectors.search_accounts(SEARCH_KINDS[kind], text)
            ]
        else:
            options = []
        return render(request, "whatif/_options.html", {"options": options})

    @staticmethod
    def _value(account, kind):
        if kind == "machine":
            return account.sam_account_name.removesuffix("$") or account.name
        return account.sam_account_name or account.name


INDETERMINATE_REASONS_SHOWN = 5


def _reasons_of(rows, limit):
    """The commonest reasons of the indeterminate rows, with how many each."""
    reasons = Counter(
        reason
        for row in rows
        if row.verdict == Verdict.INDETERMINATE
        for reason in row.reasons
    )
    return reasons.most_common(limit)


class WhoCanReachView(RoleRequiredMixin, View):
    """Every machine that can reach a server on a service, grouped by path."""

    required_role = Role.VIEWER

    def get(self, request):
        submitted = "server" in request.GET
        form = WhoCanReachForm(request.GET if submitted else None)
        context = {"form": form, "report": None}
        if submitted and form.is_valid():
            try:
                report = selectors.who_can_reach_server(**form.cleaned_data)
            except QueryError as error:
                _attach_error(form, error)
            else:
                if request.GET.get("format") == "csv":
                    return _who_csv(report)
                # Each machine links to the single query with the same inputs.
                drill = {k: v for k, v in form.cleaned_data.items() if v}
                context.update(
                    report=report,
                    query_string=request.GET.urlencode(),
                    drill_query=urlencode(drill),
                    indeterminate_reasons=_reasons_of(
                        report.rows, INDETERMINATE_REASONS_SHOWN
                    ),
                )
        return render(request, "whatif/who_can_reach.html", context)


class WhatCanReachView(RoleRequiredMixin, View):
    """Every server and port range a machine can (or may) reach."""

    required_role = Role.VIEWER

    def get(self, request):
        submitted = "client" in request.GET or "ip" in request.GET
        form = WhatCanReachForm(request.GET if submitted else None)
        context = {"form": form, "reachable": None}
        if submitted and form.is_valid():
            try:
                reachable = selectors.what_machine_can_reach(**form.cleaned_data)
            except QueryError as error:
                _attach_error(form, error)
            else:
                if request.GET.get("format") == "csv":
                    return _what_csv(form.cleaned_data, reachable)
                # Each row links to the single query with the same inputs.
                drill = {k: v for k, v in form.cleaned_data.items() if v}
                context.update(
                    reachable=reachable,
                    query_string=request.GET.urlencode(),
                    drill_query=urlencode(drill),
                )
        return render(request, "whatif/what_can_reach.html", context)


def _csv_response(filename):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe_cell(value):
    """Keep a spreadsheet from reading a cell as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _who_csv(report):
    response = _csv_response(
        f"who-can-reach-{report.server.name}-{report.service}.csv".replace("/", "-")
    )
    writer = csv.writer(response)
    writer.writerow(["machine", "verdict", "path", "reasons"])
    for row in report.rows:
        writer.writerow(
            [
                _safe_cell(row.account.label),
                row.verdict,
                _safe_cell(row.path),
                _safe_cell("; ".join(row.reasons)),
            ]
        )
    return response


def _what_csv(inputs, reachable):
    name = inputs.get("client") or inputs.get("ip") or "client"
    response = _csv_response(f"what-can-reach-{name}.csv".replace("\\", "-"))
    writer = csv.writer(response)
    writer.writerow(["server", "service", "verdict", "path", "reasons"])
    for item in reachable:
        writer.writerow(
            [
                _safe_cell(item.server.name),
                item.label,
                item.verdict,
                _safe_cell(item.path),
                _safe_cell("; ".join(item.reasons)),
            ]
        )
    return response


class ImpactView(RoleRequiredMixin, View):
    """Preview the impact of an edit that a policy form is about to save.

    A policy form can post itself here (``hx-post`` with ``hx-include`` of the
    form and ``hx-vals`` naming the object): ``object`` = ``firewall_rule``
    with the FirewallRule form's fields (``policy``, ``name``, ``kind``,
    ``action``, ``protocol``, ``ports``, ``program_path``, ``icmp_type``,
    ``predefined_group``, ``scope``, ``profiles``, ``enabled``) and ``rule``
    for an existing rule; or ``bypass_rule`` with the BypassRule form's fields
    and its principal lists (``computers-sid`` / ``computers-access``,
    ``users-sid`` / ``users-access``; or ``machine_sid``, ``user_sid``,
    ``deny_machine_sid``, ``deny_user_sid``); or ``membership`` with
    ``member`` and ``group`` names and ``add``. ``delete`` previews a
    deletion. Answers the partial whatif/_impact.html.
    """

    required_role = Role.VIEWER

    def post(self, request):
        form = ImpactForm(request.POST)
        context = {"impact": None, "error": ""}
        if not form.is_valid():
            context["error"] = "Say which object the edit changes."
            return render(request, "whatif/_impact.html", context, status=400)
        try:
            context["impact"] = self._impact(form.cleaned_data, request.POST)
        except (ValueError, LookupError) as error:
            context["error"] = str(error)
            return render(request, "whatif/_impact.html", context, status=400)
        return render(request, "whatif/_impact.html", context)

    def _impact(self, cleaned, data):
        delete = cleaned["delete"]
        if cleaned["object"] == "firewall_rule":
            return selectors.impact_of_firewall_rule(
                _firewall_rule(data), delete=delete
            )
        if cleaned["object"] == "bypass_rule":
            rule, entries = _bypass_rule(data)
            return selectors.impact_of_bypass_rule(rule, entries, delete=delete)
        snapshot = selectors.current_snapshot()
        try:
            found = find_machine(snapshot, data.get("member", ""))
            member = getattr(found, "account", None)
        except NotFound:
            member = None
        if member is None:
            try:
                member = find_user(snapshot, data.get("member", "")).account
            except NotFound:
                raise LookupError(
                    f"Unknown machine or user '{data.get('member', '')}'."
                ) from None
        group = find_group(snapshot, data.get("group", "")).account
        add = data.get("add", "yes").lower() not in ("no", "false", "0", "remove")
        return selectors.impact_of_membership(member, group, add=add, snapshot=snapshot)


def _policy(data):
    try:
        return Policy.objects.get(pk=int(data.get("policy", "")))
    except (ValueError, Policy.DoesNotExist):
        raise LookupError("Unknown policy.") from None


def _existing(model, data):
    text = data.get("rule", "")
    if not text:
        return None
    try:
        return model.objects.get(pk=int(text))
    except (ValueError, model.DoesNotExist):
        raise LookupError("Unknown rule.") from None


def _is_form(data):
    """A whole submitted form: an unticked checkbox is then simply absent."""
    return "name" in data


def _checked(data, name, default=True):
    if name not in data:
        return False if _is_form(data) else default
    return data.get(name, "").lower() in ("on", "true", "1", "yes")


def _firewall_rule(data):
    rule = _existing(FirewallRule, data) or FirewallRule(policy=_policy(data))
    if "policy" in data and rule.pk is not None:
        rule.policy = _policy(data)
    for field in (
        "name",
        "kind",
        "action",
        "protocol",
        "ports",
        "program_path",
        "predefined_group",
        "scope",
    ):
        if field in data:
            setattr(rule, field, data.get(field, "").strip())
    if "profiles" in data or _is_form(data):
        rule.profiles = ",".join(
            p.strip() for p in data.getlist("profiles") if p.strip()
        )
    if "icmp_type" in data:
        text = data.get("icmp_type", "").strip()
        icmp_type = ascii_number(text, 3)
        if text and icmp_type is None:
            raise ValueError(f"{text[:20]!r} is not an ICMP type (0-255).")
        rule.icmp_type = icmp_type
    rule.enabled = _checked(data, "enabled", rule.enabled)
    return rule


def _bypass_rule(data):
    rule = _existing(BypassRule, data) or BypassRule(policy=_policy(data))
    if "policy" in data and rule.pk is not None:
        rule.policy = _policy(data)
    for field in ("name", "protocol", "ports"):
        if field in data:
            setattr(rule, field, data.get(field, "").strip())
    rule.enabled = _checked(data, "enabled", rule.enabled)
    entries = []
    for field, role, deny in (
        ("machine_sid", BypassEntry.Role.MACHINE, False),
        ("user_sid", BypassEntry.Role.USER, False),
        ("deny_machine_sid", BypassEntry.Role.MACHINE, True),
        ("deny_user_sid", BypassEntry.Role.USER, True),
    ):
        entries += [_entry(rule, sid, role, deny) for sid in data.getlist(field)]
    # The bypass rule form's principal lists: parallel -sid and -access values.
    for prefix, role in (
        ("computers", BypassEntry.Role.MACHINE),
        ("users", BypassEntry.Role.USER),
    ):
        access = data.getlist(f"{prefix}-access")
        for index, sid in enumerate(data.getlist(f"{prefix}-sid")):
            deny = index < len(access) and access[index] == "deny"
            entries.append(_entry(rule, sid, role, deny))
    entries = [entry for entry in entries if entry.sid]
    listed = any(
        field in data
        for field in ("machine_sid", "user_sid", "computers-sid", "users-sid")
    )
    if not listed and not _is_form(data) and rule.pk is not None:
        entries = list(rule.entries.all())
    return rule, entries


def _entry(rule, sid, role, deny):
    return BypassEntry(rule=rule, sid=sid.strip(), role=role, deny=deny)
