"""The dashboard on 50,000 machines: how long its page and charts take.

Builds (in a database of its own, dropped afterwards) the generated data set
of tests/policies/dashboard/generate.py at the given size: seven servers of
both eras, nested and primary-group bypass lists, IPsec policies, exceptions
of every scope kind. Then, through Django's test client in this process:

- the cold request: the what-if snapshot loaded and the dashboard built, as
  after a sync run or a policy edit;
- warm requests of the home page and of each chart's JSON, with the 50th and
  95th percentile and the number of queries of each.

Target (reported, not asserted): the home page under 500 ms at the 95th
percentile with a bounded number of queries. Figures go to stdout and
bench/out/dashboard.json.

    python bench/bench_dashboard.py [--machines 50000] [--requests 40]
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fwconsole.settings")
os.environ.setdefault(
    "DATABASE_URL",
    os.environ.get(
        "FWCONSOLE_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fwconsole"
    ),
)
os.environ.setdefault("FWCONSOLE_TEST_DATABASE_NAME", "fwconsole_bench_dashboard")

PAGES = {
    "home": "/",
    "exposure chart": "/dashboard/charts/exposure.json",
    "group chart": "/dashboard/charts/group-sizes.json",
    "findings chart": "/dashboard/charts/findings.json",
    "sync chart": "/dashboard/charts/sync-health.json",
}


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def timed_get(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed * 1000, len(queries)


def signed_in_client():
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user = User.objects.create_user("bench-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client = Client()
    client.force_login(user)
    return client


def run(machines, requests):
    from tests.policies.dashboard.generate import generate

    started = time.perf_counter()
    generate(machines)
    figures = {
        "machines": machines,
        "generate_seconds": round(time.perf_counter() - started, 1),
    }
    client = signed_in_client()

    cold_ms, cold_queries = timed_get(client, PAGES["home"])
    figures["cold_home_ms"] = round(cold_ms)
    figures["cold_home_queries"] = cold_queries
    print(f"cold home page (snapshot + dashboard build): {cold_ms:.0f} ms", flush=True)

    for name, url in PAGES.items():
        times, counts = [], set()
        for _ in range(requests):
            elapsed, queries = timed_get(client, url)
            times.append(elapsed)
            counts.add(queries)
        figures[name] = {
            "p50_ms": round(statistics.median(times)),
            "p95_ms": round(percentile(times, 0.95)),
            "max_ms": round(max(times)),
            "queries": sorted(counts),
        }
        print(
            f"{name:15} p50 {figures[name]['p50_ms']:5d} ms  "
            f"p95 {figures[name]['p95_ms']:5d} ms  queries {sorted(counts)}",
            flush=True,
        )
    home = figures["home"]
    figures["target_met"] = home["p95_ms"] < 500
    verdict = "met" if figures["target_met"] else "missed"
    print(f"target: home page p95 < 500 ms: {verdict}")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=40)
    arguments = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        figures = run(arguments.machines, arguments.requests)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dashboard.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
