"""The what-if evaluator on 50,000 computers and 5,000 groups nested 8 deep.

Builds (in a database of its own, dropped afterwards) the data set of
bench/whatif_data.py, then reports in one run:

- loading the snapshot (after a sync run or a policy edit);
- one evaluation (a resolved query against the loaded snapshot), and the same
  with the typed names resolved first: median and 95th percentile;
- the what-if page through Django's test client with a warm snapshot: median
  and 95th percentile, and its number of queries;
- "who can reach S" over every machine, for each server;
- the impact preview of one exception edit.

Targets (reported, not asserted): evaluation under 5 ms at the median, the
page under 100 ms at the 95th percentile, who-can-reach under 2 s. Wall times
are reported with the process's CPU time and the load average, since a
shared machine stretches wall times. Figures go to stdout and
bench/out/whatif.json.

    python bench/bench_whatif.py [--computers 50000] [--groups 5000] [--queries 500]
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

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
os.environ.setdefault("FWCONSOLE_TEST_DATABASE_NAME", "fwconsole_bench_whatif")

SERVICES = ["tcp/445", "tcp/3389", "tcp/1433", "udp/137", "icmp/8", "tcp/8080"]


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def summary(times_ms):
    return {
        "p50_ms": round(statistics.median(times_ms), 3),
        "p95_ms": round(percentile(times_ms, 0.95), 3),
        "max_ms": round(max(times_ms), 3),
        "n": len(times_ms),
    }


def random_queries(rng, machines, servers, users, count):
    queries = []
    for _ in range(count):
        queries.append(
            {
                "client": rng.choice(machines).name,
                "user": rng.choice(users).name if rng.random() < 0.5 else "",
                "server": rng.choice(servers).name,
                "service": rng.choice(SERVICES),
                "assume_ipsec": rng.choice(["", "yes"]),
            }
        )
    return queries


def bench_evaluation(snapshot, inputs):
    from policies.evaluator import build_query, evaluate

    resolved = [build_query(snapshot, **item) for item in inputs]
    for query in resolved[:20]:
        evaluate(snapshot, query)
    pure, verdicts = [], {}
    for query in resolved:
        started = time.perf_counter()
        evaluation = evaluate(snapshot, query)
        pure.append((time.perf_counter() - started) * 1000)
        verdicts[str(evaluation.verdict)] = verdicts.get(str(evaluation.verdict), 0) + 1
    with_lookup = []
    for item in inputs:
        started = time.perf_counter()
        evaluate(snapshot, build_query(snapshot, **item))
        with_lookup.append((time.perf_counter() - started) * 1000)
    return summary(pure), summary(with_lookup), verdicts


def bench_page(inputs, requests):
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = User.objects.create_user("bench-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client = Client()
    client.force_login(user)
    urls = ["/what-if/?" + urlencode(item) for item in inputs[:requests]]
    client.get(urls[0])
    times, cpu, counts = [], [], set()
    for url in urls:
        started, started_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        counts.add(len(queries))
        if response.status_code != 200 or b"data-verdict" not in response.content:
            raise SystemExit(f"{url} gave no verdict ({response.status_code})")
    cpu_summary = summary(cpu)
    return summary(times) | {
        "queries": sorted(counts),
        "cpu_p50_ms": cpu_summary["p50_ms"],
        "cpu_p95_ms": cpu_summary["p95_ms"],
    }


def bench_who_can_reach(snapshot, servers):
    from policies.evaluator.reverse import who_can_reach
    from policies.ports import parse_service

    found = {}
    for server in servers:
        service = parse_service("tcp/3389" if server.era == "advanced" else "tcp/445")
        started_cpu = time.process_time()
        report = who_can_reach(snapshot, server.pk, service, assume_ipsec=True)
        cpu_seconds = time.process_time() - started_cpu
        found[f"{server.name} {service}"] = {
            "seconds": round(report.seconds, 3),
            "cpu_seconds": round(cpu_seconds, 3),
            "machines": len(report.rows),
            "classes": report.classes,
            "counts": report.counts(),
        }
        print(
            f"who can reach {server.name} {service}: {report.seconds:.2f} s "
            f"(cpu {cpu_seconds:.2f} s) "
            f"({len(report.rows)} machines, {report.classes} classes, "
            f"{report.counts()})",
            flush=True,
        )
    return found


def bench_impact(snapshot, server):
    from policies.evaluator.impact import firewall_rule_impact
    from policies.models import FirewallRule

    rule = FirewallRule.objects.filter(policy__servers=server, name="Port 2").first()
    rule.scope = "10.30.0.0/16"
    started = time.perf_counter()
    impact = firewall_rule_impact(snapshot, rule)
    seconds = time.perf_counter() - started
    print(
        f"impact of a scope edit on {server.name}: {seconds:.2f} s "
        f"(+{len(impact.gained)} -{len(impact.lost)} ?{len(impact.uncertain)})",
        flush=True,
    )
    return {
        "seconds": round(seconds, 3),
        "gained": len(impact.gained),
        "lost": len(impact.lost),
    }


def run(arguments):
    from bench.whatif_data import generate
    from policies.evaluator import current_snapshot, forget_snapshot

    rng = random.Random(11)
    started = time.perf_counter()
    machines, users, servers = generate(arguments.computers, arguments.groups)
    figures = {
        "computers": arguments.computers,
        "groups": arguments.groups,
        "generate_seconds": round(time.perf_counter() - started, 1),
    }
    print(f"generated in {figures['generate_seconds']} s", flush=True)

    forget_snapshot()
    started = time.perf_counter()
    snapshot = current_snapshot()
    figures["snapshot_load_seconds"] = round(time.perf_counter() - started, 2)
    print(f"snapshot loaded in {figures['snapshot_load_seconds']} s", flush=True)

    inputs = random_queries(rng, machines, servers, users, arguments.queries)
    pure, with_lookup, verdicts = bench_evaluation(snapshot, inputs)
    figures["evaluation"] = pure
    figures["evaluation_with_lookup"] = with_lookup
    figures["verdicts"] = verdicts
    print(f"one evaluation: {pure}", flush=True)
    print(f"with name lookup: {with_lookup}  verdicts {verdicts}", flush=True)

    figures["page"] = bench_page(inputs, arguments.requests)
    print(f"what-if page: {figures['page']}", flush=True)

    reach = bench_who_can_reach(snapshot, servers)
    figures["who_can_reach"] = reach
    figures["who_can_reach_max_seconds"] = max(
        item["seconds"] for item in reach.values()
    )
    figures["who_can_reach_median_seconds"] = round(
        statistics.median(item["seconds"] for item in reach.values()), 3
    )
    figures["who_can_reach_max_cpu_seconds"] = max(
        item["cpu_seconds"] for item in reach.values()
    )
    figures["load_average"] = [round(value, 2) for value in os.getloadavg()]
    print(f"load average {figures['load_average']}", flush=True)
    figures["impact"] = bench_impact(snapshot, servers[1])

    figures["targets"] = {
        "evaluation p50 < 5 ms": pure["p50_ms"] < 5,
        "page p95 < 100 ms": figures["page"]["p95_ms"] < 100,
        "who can reach < 2 s": figures["who_can_reach_max_seconds"] < 2,
    }
    for name, met in figures["targets"].items():
        print(f"target {name}: {'met' if met else 'missed'}")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--computers", type=int, default=50_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--requests", type=int, default=100)
    arguments = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        figures = run(arguments)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "whatif.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
