"""The real services the suite runs on: checks that name the command to start a
missing one, and a Celery worker in its own process.

A missing service fails the run; nothing here skips.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("FWCONSOLE_CHROMIUM", "/usr/bin/chromium")

START_POSTGRESQL = (
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)
START_SAMBA = "scripts/samba-dc.sh start"
INSTALL_CHROMIUM = (
    "scripts/ensure-system-packages.sh (as root), or: sudo apt-get install -y chromium"
)


def services_required():
    """Whether this run must use PostgreSQL and Redis (`make test` sets it)."""
    return os.environ.get("FWCONSOLE_TEST_REQUIRE_SERVICES") == "1"


def database_problem(require):
    """Return why the configured database cannot serve the suite, or None."""
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        if require:
            return (
                f"the suite must run on PostgreSQL, but the database is "
                f"{database['ENGINE']}: set DATABASE_URL=postgres://..."
            )
        return None
    host = database.get("HOST") or "localhost"
    port = database.get("PORT") or 5432
    try:
        # The test database does not exist yet; the server's own one does.
        psycopg.connect(
            host=host,
            port=port,
            user=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0]
        return (
            f"PostgreSQL at {host}:{port} does not answer ({first_line}).\n"
            f"  Start it with: {START_POSTGRESQL}"
        )
    return None


def broker_problem(require):
    """Return why the configured broker cannot serve the suite, or None."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        if require:
            return (
                f"the suite must run on Redis, but the broker is {url.split(':')[0]}: "
                f"set FWCONSOLE_BROKER_URL=redis://..."
            )
        return None
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        return (
            f"Redis at {urllib.parse.urlsplit(url).netloc} does not answer "
            f"({type(error).__name__}: {error}).\n  Start it with: {START_REDIS}"
        )
    return None


def samba_problem():
    """Return why the shared Samba DC cannot serve the suite, or None."""
    script = ROOT / "scripts/samba-dc.sh"
    if not script.exists():
        return f"{script} is missing; the Samba tests cannot start a DC"
    result = subprocess.run(
        [str(script), "status"], capture_output=True, text=True, timeout=30
    )
    if result.returncode != 0:
        return (
            f"the Samba AD DC is not serving ({result.stdout.strip()}).\n"
            f"  Start it with: {START_SAMBA}"
        )
    return None


def chromium_problem():
    """Return why the browser tests cannot start Chromium, or None."""
    if shutil.which(CHROMIUM) is None:
        return (
            f"Chromium is not installed at {CHROMIUM}.\n"
            f"  Install it with: {INSTALL_CHROMIUM}"
        )
    return None


def database_url_for_subprocess():
    """Return a URL naming the database this process uses (the test database).

    A process started by a test must see the rows the test committed, so it
    is given the test database, not the one the environment names.
    """
    database = settings.DATABASES["default"]
    engine = database["ENGINE"]
    name = str(database["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or name.startswith("file:memorydb"):
            raise RuntimeError(
                "a worker process cannot share an in-memory SQLite test database; "
                "set FWCONSOLE_TEST_DATABASE_NAME to a file path or use PostgreSQL"
            )
        return f"sqlite:///{name}"
    user = urllib.parse.quote(database.get("USER") or "", safe="")
    password = urllib.parse.quote(database.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database.get("HOST") or "localhost"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{urllib.parse.quote(name)}"


class WorkerProcess:
    """A real `celery worker` process on the test broker, queue and database.

    It runs the tasks as production does: messages serialized to JSON through
    the broker, its own database connection, time limits in a prefork child.
    Tests that use it must commit their rows (django_db(transaction=True)).
    """

    def __init__(self, app, extra_env=None):
        self.app = app
        self.hostname = f"pytest-{os.getpid()}@{os.uname().nodename}"
        self.extra_env = extra_env or {}
        self.process = None
        self.log_path = ROOT / "var" / f"test-worker-{os.getpid()}.log"

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def start(self, timeout=60):
        """Start the worker and wait until it answers a ping."""
        if self.running:
            return
        # Messages left by earlier tests would run against rows that no
        # longer exist.
        self.app.control.purge()
        env = {
            **os.environ,
            "FWCONSOLE_DATABASE_URL": database_url_for_subprocess(),
            **self.extra_env,
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "fwconsole",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--hostname",
                self.hostname,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(
                    f"the Celery worker exited at start:\n{self.log_tail()}"
                )
            if self.app.control.ping(destination=[self.hostname], timeout=0.5):
                return
        self.stop()
        raise RuntimeError(
            f"the Celery worker did not answer a ping within {timeout} s:\n"
            f"{self.log_tail()}"
        )

    def stop(self, timeout=20):
        """Stop the worker (warm shutdown, then kill) and wait for it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines=40):
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])
