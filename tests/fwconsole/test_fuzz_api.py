"""Hypothesis fuzzing of every string field the API accepts.

The operations and their fields come from the OpenAPI schema drf-spectacular
builds from the code, so a new endpoint or field is fuzzed without being
listed here. Each request starts from a real object's own representation,
with one field (or every string field) replaced by a hostile string: no 500,
a refusal changes nothing, answers are JSON.
"""

import json
import re

import pytest
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from hypothesis import strategies as st

from tests.fwconsole import fuzz
from tests.fwconsole.test_fuzz import FUZZ_SETTINGS
from tests.fwconsole.test_role_matrix import model_builders

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch")


def api_operations():
    """(method, path template, request schema) of every write operation."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in WRITE_METHODS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema", {})
            ref = body.get("$ref", "")
            yield method, path, components.get(ref.rsplit("/", 1)[-1], body)


def string_fields(request_schema):
    return sorted(
        name
        for name, spec in request_schema.get("properties", {}).items()
        if spec.get("type") == "string" and not spec.get("readOnly")
    )


def first_item(client, list_path):
    answer = client.get(list_path)
    if answer.status_code != 200:
        return None
    data = answer.json()
    items = data.get("results", data) if isinstance(data, dict) else data
    return items[0] if items else None


def concrete(client, path):
    """Fill {id}-like parts of a path with an existing object's id."""
    match = re.search(r"\{(\w+)\}", path)
    if not match:
        return path, first_item(client, path)
    list_path = path[: match.start()]
    item = first_item(client, list_path)
    if item is None:
        return None, None
    value = item.get("id", item.get("pk"))
    filled = path[: match.start()] + str(value) + path[match.end() :]
    detail = client.get(filled)
    base = detail.json() if detail.status_code == 200 else item
    return filled, base


def send(client, method, path, body):
    return getattr(client, method)(
        path, data=json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def api_objects(db):
    """One object of every model the suite knows how to build."""
    for build in model_builders().values():
        build()


def fuzz_operation(client, method, path, request_schema):
    fields = string_fields(request_schema)
    if not fields:
        return None
    filled, base = concrete(client, path)
    if filled is None:
        return f"{method.upper()} {path}: no object to start from"
    allowed = set(request_schema.get("properties", {}))
    base = {k: v for k, v in (base or {}).items() if k in allowed}

    @FUZZ_SETTINGS
    @given(
        field=st.sampled_from(fields),
        value=fuzz.hostile_text(),
        every_field=st.booleans(),
    )
    def run(field, value, every_field):
        targets = fields if every_field else [field]
        body = {**base, **dict.fromkeys(targets, value)}
        with transaction.atomic():
            before = fuzz.database_writes()
            response = send(client, method, filled, body)
            problems = fuzz.answer_problems(response)
            if response.content and "json" not in response.get("Content-Type", ""):
                problems.append(f"answered {response.get('Content-Type')}, not JSON")
            if fuzz.is_refusal(response) and fuzz.database_writes() != before:
                problems.append("refused yet the database changed")
            transaction.set_rollback(True)
        assert not problems, "; ".join(problems)

    try:
        run()
    except Exception as error:  # noqa: BLE001 - every failure is reported
        notes = "\n".join(getattr(error, "__notes__", []))
        return f"{method.upper()} {filled}:\n  {str(error)[:500]}\n  {notes[:1200]}"
    return None


def test_every_api_string_field_survives_hostile_input(admin_client, api_objects):
    admin_client.raise_request_exception = False
    operations = list(api_operations())

    failures = [fuzz_operation(admin_client, *operation) for operation in operations]

    assert len(operations) >= 5
    failures = [failure for failure in failures if failure]
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
