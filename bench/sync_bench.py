"""`make bench-sync`: a full and an unchanged sync of a large directory, timed.

Loads (once, then reuses) 20,000 computers, 10,000 users and 2,000 groups
nested six deep into the Samba DC, then reports in one run:

- the floor: ``ldapsearch`` reading the same entries and attributes;
- a full sync into an empty PostgreSQL database, and its ratio to the floor;
- a second sync with nothing changed, and its ratio to the floor;
- the peak memory (RSS) of the process that ran the syncs.

Targets (reported, not asserted): full <= 3x floor, unchanged <= 1.5x floor,
peak < 500 MB. Figures go to stdout and bench/out/sync.json.
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "samba-dc.sh"
OUT = ROOT / "bench" / "out"
BENCH_DATABASE = os.environ.get("FWCONSOLE_BENCH_DATABASE", "fwconsole_bench")
DATABASE_URL = os.environ.get(
    "FWCONSOLE_BENCH_DATABASE_URL",
    f"postgres://postgres@127.0.0.1:5432/{BENCH_DATABASE}",
)
SNAPSHOT = "bench-v1"


def samba_env():
    subprocess.run([str(SCRIPT), "start"], check=True)
    printed = subprocess.run(
        [str(SCRIPT), "env"], check=True, capture_output=True, text=True
    )
    return dict(line.split("=", 1) for line in printed.stdout.splitlines())


def ensure_directory(env):
    """Load the benchmark directory, from the kept copy of the DC if there is one."""
    dc = Path(env["FWCONSOLE_SAMBA_DIR"]) / "dc"
    cache = Path(f"{env['FWCONSOLE_SAMBA_DIR']}-cache") / f"{SNAPSHOT}.tar"
    load = [
        "/usr/bin/python3",
        str(ROOT / "bench" / "samba_load.py"),
        str(dc / "etc" / "smb.conf"),
        str(dc / "private" / "sam.ldb"),
    ]
    if not _loaded(env) and cache.exists():
        print(f"restoring the loaded DC from {cache}", flush=True)
        subprocess.run([str(SCRIPT), "restore", SNAPSHOT], check=True)
        subprocess.run([str(SCRIPT), "start"], check=True)
    if not _loaded(env):
        subprocess.run(load, check=True)
    if not cache.exists():
        # Loading took many minutes: keep the DC folder so a new DC starts
        # from it (this stops the shared DC for a few seconds, once).
        subprocess.run([str(SCRIPT), "snapshot", SNAPSHOT], check=True)


def _loaded(env):
    found = _ldapsearch(
        env,
        f"OU=fwbench-v1,{env['FWCONSOLE_SAMBA_BASE_DN']}",
        "base",
        "(objectClass=*)",
        ["description"],
        check=False,
    )
    return "fwconsole bench directory v1 complete" in found.stdout


def _ldapsearch(
    env, base, scope, search_filter, attributes, *, check=True, output=None
):
    command = [
        "ldapsearch",
        "-LLL",
        "-x",
        "-H",
        env["FWCONSOLE_SAMBA_URL"],
        "-D",
        env["FWCONSOLE_SAMBA_ADMIN_DN"],
        "-w",
        env["FWCONSOLE_SAMBA_ADMIN_PASSWORD"],
        "-b",
        base,
        "-s",
        scope,
        "-E",
        "pr=1000/noprompt",
        search_filter,
        *attributes,
    ]
    environment = {**os.environ, "LDAPTLS_CACERT": env["FWCONSOLE_SAMBA_CA_FILE"]}
    return subprocess.run(
        command,
        env=environment,
        check=check,
        text=output is None,
        stdout=output or subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def floor_seconds(env, base):
    """Time ldapsearch reading what the sync reads (best of three)."""
    sys.path.insert(0, str(ROOT))
    from directory.ldap.schema import AD_ATTRIBUTES, COMPUTER, GROUP, USER

    filters = {
        COMPUTER: "(objectClass=computer)",
        USER: "(&(objectClass=user)(!(objectClass=computer)))",
        GROUP: "(objectClass=group)",
    }
    best = None
    with open(os.devnull, "wb") as sink:
        for _ in range(3):
            started = time.monotonic()
            for search_filter in filters.values():
                _ldapsearch(env, base, "sub", search_filter, AD_ATTRIBUTES, output=sink)
            elapsed = time.monotonic() - started
            best = elapsed if best is None else min(best, elapsed)
    return best


def django_env():
    return {
        **os.environ,
        "FWCONSOLE_DATABASE_URL": DATABASE_URL,
        "DATABASE_URL": DATABASE_URL,
        "FWCONSOLE_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "fwconsole.settings",
    }


def fresh_database():
    name = BENCH_DATABASE
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True
        )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=django_env(),
        check=True,
    )


def run_syncs(env, base):
    """Run the two syncs in a child process; return its figures and peak RSS."""
    child = subprocess.run(
        [sys.executable, str(Path(__file__)), "--syncs", base, json.dumps(env)],
        cwd=ROOT,
        env=django_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    # Peak resident memory of the finished child, in MB (Linux reports KiB).
    figures["peak_rss_mb"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    return figures


def syncs_in_this_process(base, env):
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from directory.models import DirectorySource, SyncRun
    from directory.services import sync_run_execute

    source = DirectorySource.objects.create(
        name="bench",
        server_urls=env["FWCONSOLE_SAMBA_URL"],
        ca_file=env["FWCONSOLE_SAMBA_CA_FILE"],
        bind_dn=env["FWCONSOLE_SAMBA_ADMIN_DN"],
        bind_password=env["FWCONSOLE_SAMBA_ADMIN_PASSWORD"],
        base_dn=base,
        page_size=1000,
        timeout_seconds=120,
    )
    figures = {}
    for label in ("full", "unchanged"):
        run = SyncRun.objects.create(source=source, trigger=SyncRun.Trigger.COMMAND)
        started = time.monotonic()
        run = sync_run_execute(run_id=run.pk)
        figures[f"{label}_seconds"] = time.monotonic() - started
        if run.status != SyncRun.Status.SUCCEEDED:
            raise SystemExit(f"{label} sync failed: {run.error}")
        figures[f"{label}_counts"] = run.counts
    print(json.dumps(figures))


def main():
    env = samba_env()
    base = f"OU=fwbench-v1,{env['FWCONSOLE_SAMBA_BASE_DN']}"
    ensure_directory(env)
    floor = floor_seconds(env, base)
    fresh_database()
    figures = run_syncs(env, base)
    counts = figures["full_counts"]
    report = {
        "computers": counts["computers"],
        "users": counts["users"],
        "groups": counts["groups"],
        "edges": counts["edges"],
        "floor_ldapsearch_seconds": round(floor, 2),
        "full_sync_seconds": round(figures["full_seconds"], 2),
        "full_ratio": round(figures["full_seconds"] / floor, 2),
        "unchanged_sync_seconds": round(figures["unchanged_seconds"], 2),
        "unchanged_ratio": round(figures["unchanged_seconds"] / floor, 2),
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "targets": {"full_ratio": 3.0, "unchanged_ratio": 1.5, "peak_rss_mb": 500},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sync.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    for key, target in report["targets"].items():
        verdict = "within" if report[key] <= target else "OVER"
        print(f"{key}: {report[key]} ({verdict} target {target})")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--syncs":
        syncs_in_this_process(sys.argv[2], json.loads(sys.argv[3]))
    else:
        main()
