"""Hypothesis fuzzing of every form, search box, query parameter and API field
of the console, and of the LDIF importer.

For each random hostile string (markup, quotes, NUL and control characters,
filter and format tricks, very long values): no answer is a 500, an answer
that refuses the input leaves the database as it was, the input never comes
back as markup, and no redirect leaves the console. Forms and pages are found
by crawling from every URL pattern (tests.fwconsole.fuzz), so new ones are
fuzzed without being listed here.
"""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fwconsole import fuzz

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FWCONSOLE_FUZZ_EXAMPLES", "10"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Query parameters every list page may be given by hand.
COMMON_PARAMETERS = ("page", "sort", "q", "per_page", "format")


def ldif_file(value, name="hostile.ldif"):
    return SimpleUploadedFile(name, fuzz.hostile_ldif(value), "text/plain")


def submit(client, form, overrides):
    data = form.data(overrides)
    if form.method == "GET":
        # The form's own fields carry the action's query parameters.
        path = form.action.removeprefix("http://testserver").split("?")[0]
        return client.get(path, data)
    files = {
        field.name: ldif_file(next(iter(overrides.values())))
        for field in form.file_fields()
    }
    return client.post(form.action.removeprefix("http://testserver"), {**data, **files})


def check_submission(client, form, overrides):
    """Submit once inside a rolled-back transaction; return the problems."""
    with transaction.atomic():
        before = fuzz.database_writes()
        response = submit(client, form, overrides)
        problems = fuzz.answer_problems(response)
        if fuzz.is_refusal(response) and fuzz.database_writes() != before:
            problems.append(
                f"refused ({response.status_code}) yet the database changed"
            )
        location = response.get("Location", "")
        if (
            not problems
            and 300 <= response.status_code < 400
            and location.startswith("/")
        ):
            # The page a success leads to shows the new value: as text.
            problems.extend(
                f"after redirect: {p}"
                for p in fuzz.answer_problems(client.get(location))
            )
        transaction.set_rollback(True)
    return problems


def fuzz_form(client, form):
    """Run hypothesis on one form; return a failure description or None."""
    fields = form.fuzzable() or form.file_fields()
    if not fields:
        return None

    @FUZZ_SETTINGS
    @given(
        field=st.sampled_from(fields),
        value=fuzz.hostile_text(),
        every_field=st.booleans(),
    )
    def run(field, value, every_field):
        targets = fields if every_field else [field]
        overrides = {f.name: value for f in targets}
        problems = check_submission(client, form, overrides)
        assert not problems, "; ".join(problems)

    try:
        run()
    except Exception as error:  # noqa: BLE001 - every failure is reported
        notes = "\n".join(getattr(error, "__notes__", []))
        message = f"{type(error).__name__}: {str(error)[:500]}"
        return f"{form.label}:\n  {message}\n  {notes[:1500]}"
    return None


def unique_forms(forms):
    seen = set()
    for form in forms:
        key = (
            fuzz.route_of(form.action.removeprefix("http://testserver")),
            form.method,
            tuple(sorted(f.name for f in form.fields)),
        )
        if key[0] is None or key in seen:
            continue
        seen.add(key)
        yield form


def query_forms(visited):
    """A GET "form" per page, of its query parameters and the common ones."""
    seen = set()
    for path, response in visited.items():
        route = fuzz.route_of(path)
        if route in seen or response.status_code != 200:
            continue
        # Lists read query parameters; a detail page only those it links to.
        if resolve(path.split("?")[0]).kwargs and "?" not in path:
            continue
        seen.add(route)
        parameters = {**dict.fromkeys(COMMON_PARAMETERS, ""), **fuzz.query_of(path)}
        fields = [fuzz.Field(name, "text", value) for name, value in parameters.items()]
        yield fuzz.Form(
            page=path, action=path.split("?")[0], method="GET", fields=fields
        )


def test_every_form_and_search_box_survives_hostile_input(admin_client, every_page):
    admin_client.raise_request_exception = False
    visited, forms, errors = fuzz.crawl(admin_client, every_page)
    failures = [fuzz_form(admin_client, form) for form in unique_forms(forms)]
    failures += [fuzz_form(admin_client, form) for form in query_forms(visited)]

    failures = errors + [failure for failure in failures if failure]
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
    assert len(list(unique_forms(forms))) >= 5


def test_sign_in_form_survives_hostile_input(client, settings):
    settings.AXES_FAILURE_LIMIT = 100_000
    client.raise_request_exception = False
    _visited, forms, errors = fuzz.crawl(client, [reverse("login")])

    failures = [fuzz_form(client, form) for form in unique_forms(forms)]

    assert [form.action for form in forms]
    assert not errors + [failure for failure in failures if failure]


def test_the_write_check_sees_a_write_even_when_rolled_back(db):
    from fwconsole.models import RoleMapping

    before = fuzz.database_writes()
    with transaction.atomic():
        RoleMapping.objects.create(group_dn="CN=x,DC=corp", role="viewer")
        transaction.set_rollback(True)

    assert fuzz.database_writes() != before


def test_the_answer_check_finds_unescaped_markup():
    from django.http import HttpResponse

    for atom in fuzz.ATOMS:
        assert fuzz.answer_problems(HttpResponse(f"<p>{atom}</p>"))
    assert not fuzz.answer_problems(HttpResponse("<p>&lt;script&gt;fz()</p>"))
