"""Every field case that carries queries gets its expected verdicts."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from directory.models import DirectoryObject, DirectorySource, SyncRun
from directory.services import ldif_import
from policies.evaluator import build_query, evaluate, load_snapshot
from policies.models import BypassEntry, BypassRule, Era, FirewallRule, Policy
from policies.scopes import scopes_equivalent
from policies.selectors import search_principals
from tests.policies.cases.runner import (
    CASES_DIR,
    build_policy,
    case_queries,
    check_queries,
    import_directory,
    read_scenario,
)

pytestmark = pytest.mark.django_db


def build_case(case, *, skip_directories=()):
    scenario = read_scenario(case)
    for directory in scenario.get("directories", []):
        if directory["name"] in skip_directories:
            continue
        for entries in directory.get("entries_by_run") or [directory["entries"]]:
            import_directory(case, directory, entries)
    build_policy(case, scenario)
    return scenario


def test_the_field_cases_are_where_the_runner_looks():
    assert (CASES_DIR / "FC-21" / "scenario.yaml").is_file(), CASES_DIR


@pytest.mark.parametrize(
    "case",
    [
        "FC-01",
        "FC-03",
        "FC-04",
        "FC-06",
        "FC-11",
        "FC-13",
        "FC-16",
        "FC-19",
        "FC-21",
    ],
)
def test_field_case_queries_get_the_expected_verdicts(case):
    scenario = build_case(case)
    check_queries(case_queries(case, scenario))


def test_fc01_offline_ranged_export_is_indeterminate_not_denied():
    scenario = read_scenario("FC-01")
    directory = scenario["directories"][0]
    import_directory("FC-01", directory, scenario["offline_import"]["file"])
    build_policy("FC-01", scenario)
    queries = [
        {
            **item,
            "client": {
                "machine": item["machine"],
                "ip": "10.30.1.99",
                "ipsec_authenticated": True,
            },
        }
        for item in scenario["offline_import"]["expect"]["queries"]
    ]
    check_queries(case_queries("FC-01", scenario, queries))


def test_fc04_explains_the_three_level_chain():
    scenario = build_case("FC-04")
    snapshot = load_snapshot()
    query = case_queries("FC-04", scenario)[1]
    evaluation = evaluate(snapshot, build_query(snapshot, **query.inputs))
    chains = [chain.text for chain in evaluation.rung("bypass").chains]
    assert chains == [
        "KIOSK-0407 → Oslo-Kiosks → Site-Oslo-Workstations → FW-Bypass-App01"
    ]


def test_fc04_the_policy_editor_offers_only_groups_inside_the_group_base():
    """The group base limits which groups are offered, not which count."""
    build_case("FC-04")
    for number, obj in enumerate(DirectoryObject.objects.filter(sid="")):
        obj.sid = f"S-1-5-21-3623811015-3361044348-30300820-{95000 + number}"
        obj.save(update_fields=["sid"])

    def offered(text, kind):
        return [match.name for match in search_principals(text, [kind])]

    assert offered("Oslo", "group") == []
    assert offered("FW-Bypass", "group") == ["FW-Bypass-App01"]
    assert offered("KIOSK", "computer") == ["KIOSK-0407"]


def test_fc03_marks_the_primary_group_link():
    scenario = build_case("FC-03")
    snapshot = load_snapshot()
    query = case_queries("FC-03", scenario)[0]
    evaluation = evaluate(snapshot, build_query(snapshot, **query.inputs))
    (chain,) = evaluation.rung("bypass").chains
    assert chain.steps[0].is_primary
    assert "primary group" in chain.text


def test_fc08_after_two_runs_the_renamed_machine_keeps_access_the_new_one_not():
    scenario = build_case("FC-08")
    check_queries(case_queries("FC-08", scenario))


def fc09_state_before(path):
    """Write the earlier state FC-09 describes: WS0905 live and in the group."""
    text = (CASES_DIR / "FC-09" / "directory.ldif").read_text(encoding="utf-8")
    entries = text.split("\n\n")
    live = []
    for entry in entries:
        if "isDeleted: TRUE" in entry:
            kept = [
                line
                for line in entry.splitlines()
                if not line.startswith(
                    ("dn:", "cn::", "name::", "isDeleted:", "lastKnownParent:")
                )
            ]
            entry = "\n".join(
                [
                    "dn: CN=WS0905,OU=Workstations,DC=corp,DC=example,DC=test",
                    "cn: WS0905",
                ]
                + kept
            )
        if entry.startswith("dn: CN=FW-Bypass-App01"):
            entry = (
                entry.rstrip("\n")
                + "\nmember: CN=WS0905,OU=Workstations,DC=corp,DC=example,DC=test"
            )
        live.append(entry)
    path.write_text("\n\n".join(live) + "\n", encoding="utf-8")
    return path


def test_fc09_disabled_and_deleted_machines_are_denied(tmp_path):
    scenario = read_scenario("FC-09")
    directory = scenario["directories"][0]
    import_directory("FC-09", directory, fc09_state_before(tmp_path / "before.ldif"))
    import_directory("FC-09", directory)
    build_policy("FC-09", scenario)
    snapshot = check_queries(case_queries("FC-09", scenario))
    deleted = [a for a in snapshot.accounts.values() if a.deleted]
    assert [a.label for a in deleted] == ["WS0905"]


def test_fc10_with_the_partner_source_the_foreign_member_resolves():
    scenario = build_case("FC-10")
    snapshot = check_queries(case_queries("FC-10", scenario))
    query = case_queries("FC-10", scenario)[2]
    evaluation = evaluate(snapshot, build_query(snapshot, **query.inputs))
    assert any("outside the source's sync scope" in w for w in evaluation.warnings)


def test_fc10_without_the_partner_source_the_foreign_member_is_indeterminate():
    scenario = build_case("FC-10", skip_directories=("partner",))
    queries = case_queries("FC-10", scenario)
    expected = scenario["variant_without_partner_connection"]["expect"]["q2"]
    for query in queries:
        if query.id == "q2":
            query.expect = expected
    snapshot = check_queries(queries)
    q2 = next(query for query in queries if query.id == "q2")
    evaluation = evaluate(snapshot, build_query(snapshot, **q2.inputs))
    assert any(
        "S-1-5-21-1004336348-1177238915-682003330-2201" in r for r in evaluation.reasons
    )


def test_fc14_after_failing_runs_the_verdict_comes_from_the_last_good_data(tmp_path):
    scenario = build_case("FC-14")
    source = DirectorySource.objects.get(name="corp")
    good_at = source.last_success_at

    # A run that answers with suspiciously little (the first page only) is
    # refused by the sync engine and must leave the last good state alone.
    first_page = (CASES_DIR / "FC-14" / "directory.ldif").read_text().split("\n\n")
    truncated = tmp_path / "first-page.ldif"
    truncated.write_text("\n\n".join(first_page[:2]) + "\n")
    refused = ldif_import(source=source, path_or_file=truncated)
    assert refused.status == SyncRun.Status.FAILED

    # The LDAP faults of the other runs (reset, timeout, bad credentials, busy,
    # base gone) end as failed runs the same way; their mechanics are the sync
    # engine's tests. Here only their record matters.
    for run in scenario["failing_runs"]:
        SyncRun.objects.create(
            source=source,
            trigger=SyncRun.Trigger.SCHEDULE,
            status=SyncRun.Status.FAILED,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            error=run["server_behaviour"],
        )
    snapshot = check_queries(case_queries("FC-14", scenario))
    query = case_queries("FC-14", scenario)[0]
    evaluation = evaluate(snapshot, build_query(snapshot, **query.inputs))
    assert evaluation.facts.membership_synced_at["corp"] == good_at.isoformat()
    assert evaluation.facts.data_age_hours["corp"] is not None


def test_fc14_the_dashboard_shows_the_failed_run_beside_the_last_good_data(
    tmp_path, client, viewer
):
    """The alert: the failed run is what the sync-health panel shows first,
    while the data age still counts from the last good sync."""
    build_case("FC-14")
    source = DirectorySource.objects.get(name="corp")
    first_page = (CASES_DIR / "FC-14" / "directory.ldif").read_text().split("\n\n")
    truncated = tmp_path / "first-page.ldif"
    truncated.write_text("\n\n".join(first_page[:2]) + "\n")
    refused = ldif_import(source=source, path_or_file=truncated)
    client.force_login(viewer)

    body = client.get(reverse("dashboard:sync_health")).content.decode()

    row = body[body.index('data-source="corp"') :]
    row = row[: row.index("</tr>")]
    assert f'data-run="{refused.pk}"' in row
    assert 'data-status="failed"' in row
    assert 'data-freshness="fresh"' in row


@pytest.mark.parametrize("text", read_scenario("FC-19")["must_reject_on_save"])
def test_fc19_scope_strings_are_refused_on_save(text):
    policy = Policy.objects.create(name="FC-19 save", era=Era.ADVANCED)
    rule = FirewallRule(
        policy=policy, name="E", kind="port", protocol="tcp", ports="1", scope=text
    )
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert "scope" in raised.value.message_dict


@pytest.mark.parametrize("pair", read_scenario("FC-19")["drift_check"])
def test_fc19_drift_pairs_are_in_sync(pair):
    assert scopes_equivalent(pair["console"], pair["windows"], Era.ADVANCED)


def test_fc21_bypass_naming_users_but_no_computers_is_refused():
    scenario = build_case("FC-21")
    spec = scenario["must_reject_on_save"][0]
    policy = Policy.objects.get(name="FC-21 APP01")
    rule = BypassRule(policy=policy, name="Users only", protocol="tcp", ports="3389")
    entries = [
        BypassEntry(
            sid=BypassEntry.objects.filter(role="user").first().sid, role="user"
        )
        for _ in spec["entry"]["user_groups"]
    ]
    rule.pending_entries = entries
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert spec["message_contains"] in " ".join(raised.value.messages)
