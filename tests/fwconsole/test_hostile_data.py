"""Names, descriptions and DNs from the directory (an LDIF file through the
real import) and from policies are data, never markup: every page, JSON
answer, CSV and native export shows them as text, and a script export
refuses a value it cannot quote."""

import csv
import io

import pytest
from django.urls import reverse

from directory.models import DirectoryObject, DirectorySource, SyncRun
from directory.services import ldif_import
from policies.models import Era, FirewallRule
from tests.fwconsole import fuzz
from tests.policies import factories as policy_factories

pytestmark = pytest.mark.django_db

HOSTILE = [
    *fuzz.ATOMS,
    "quote ' and \" and `backtick`",
    "line one\r\nline two\x1b[31m\x07",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "%PATH% & del *.* & ",
    "x'; Remove-Item C:\\ -Recurse #",
    "\u202ereversed\u2028separator",
]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile_directory(db):
    source = DirectorySource.objects.create(
        name="hostile-ldif",
        kind=DirectorySource.Kind.LDIF,
        base_dn="DC=corp,DC=example,DC=test",
    )
    data = b"\n".join(fuzz.hostile_ldif(value) for value in HOSTILE)
    run = ldif_import(source=source, path_or_file=io.BytesIO(data))
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return source


@pytest.fixture
def hostile_policies(hostile_directory):
    servers = []
    for index, value in enumerate(HOSTILE):
        server = policy_factories.ServerFactory(
            name=f"srv{index} {value}"[:200], era=Era.ADVANCED, notes=value
        )
        policy = policy_factories.PolicyFactory(
            name=f"pol{index} {value}"[:200], description=value, era=Era.ADVANCED
        )
        policy.servers.add(server)
        policy_factories.RuleFactory(
            policy=policy, name=f"rule{index} {value}"[:200], description=value
        )
        group = DirectoryObject.objects.filter(
            kind=DirectoryObject.Kind.GROUP, description=value.replace("\x00", "")
        ).first()
        bypass = policy_factories.BypassRuleFactory(
            policy=policy, name=f"bypass{index} {value}"[:200]
        )
        policy_factories.BypassEntryFactory(
            rule=bypass,
            sid=group.sid
            if group and group.sid
            else policy_factories.DOMAIN_SID + "-7000",
            name=value,
        )
        servers.append(server)
    return servers


def csv_formula_cells(body):
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    return [
        cell
        for cell in cells
        if cell.startswith(FORMULA_START) and any(c.isalpha() for c in cell)
    ]


def test_hostile_names_show_as_text_on_every_page_and_answer(
    admin_client,
    hostile_policies,
    every_page,
):
    admin_client.raise_request_exception = False
    start = list(every_page)
    start += [obj.get_absolute_url() for obj in DirectoryObject.objects.all()[:12]]
    start += [server.get_absolute_url() for server in hostile_policies]

    visited, _forms, errors = fuzz.crawl(admin_client, start, per_route=4, limit=600)

    problems = list(errors)
    csv_answers = 0
    for path, response in visited.items():
        if fuzz.route_of(path) in fuzz.EXPECTED_ERRORS:
            continue
        problems += [f"{path}: {problem}" for problem in fuzz.answer_problems(response)]
        if "csv" in response.get("Content-Type", ""):
            csv_answers += 1
            formulas = csv_formula_cells(fuzz.body_of(response))
            if formulas:
                problems.append(f"{path}: CSV cells a spreadsheet runs: {formulas[:3]}")
    assert len(visited) >= 30
    assert problems == [], "\n".join(problems)
    assert csv_answers >= 1


@pytest.mark.parametrize(
    ("export_format", "value"),
    [
        ("powershell", "x'; Remove-Item C:\\ -Recurse #"),
        ("powershell", "line one\nline two"),
        ("netsh", '" & netsh advfirewall reset & "'),
        ("netsh", "%PATH% & del *.*"),
    ],
)
def test_script_export_refuses_a_name_it_cannot_quote(
    admin_client, export_format, value
):
    server = policy_factories.ServerFactory(name="APP01", era=Era.ADVANCED)
    policy = policy_factories.PolicyFactory(name="Shared", era=Era.ADVANCED)
    policy.servers.add(server)
    policy_factories.RuleFactory(
        policy=policy, name=value, kind=FirewallRule.Kind.PORT, ports="445"
    )

    response = admin_client.get(
        reverse("policies:server_export", args=[server.pk, export_format])
    )

    body = fuzz.body_of(response)
    assert response.status_code == 409
    assert "This export was refused" in body
    assert "cannot be quoted safely" in body


def test_export_of_a_server_with_a_hostile_name_never_breaks_the_download(
    admin_client,
):
    server = policy_factories.ServerFactory(
        name='APP "quoted"\r\nX-Injected: 1', era=Era.ADVANCED
    )

    for export_format in ("powershell", "netsh", "xp-bypass"):
        response = admin_client.get(
            reverse("policies:server_export", args=[server.pk, export_format])
        )
        assert response.status_code < 500
        assert "X-Injected" not in response
        disposition = response.get("Content-Disposition", "")
        assert "\n" not in disposition and "\r" not in disposition
