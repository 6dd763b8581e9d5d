"""The embedded default cannot rot: scripts/demo.sh (what `make demo` runs) on
SQLite and kombu's filesystem broker, with its own web server, worker and beat.

Everything runs in subprocesses with the suite's PostgreSQL and Redis settings
removed from their environment, so they see exactly what a fresh `make demo`
sees. The test signs in with the demo login over HTTP, opens every navigation
entry on the demo data, syncs the Samba DC through the demo's worker, stops the
demo as Ctrl-C does, and sees the health check name the missing worker.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from fwconsole.management.commands.load_demo import DEMO_PASSWORD
from tests.services import ROOT

pytestmark = [pytest.mark.worker, pytest.mark.samba]

# What the suite sets and the embedded default must not see.
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "FWCONSOLE_DATABASE_URL",
    "FWCONSOLE_BROKER_URL",
    "CELERY_BROKER_URL",
    "FWCONSOLE_TEST_DATABASE_NAME",
    "FWCONSOLE_TEST_REQUIRE_SERVICES",
)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def embedded_env(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SERVICE_VARIABLES
    }
    env.update(
        FWCONSOLE_DATA_DIR=str(tmp_path / "var"),
        FWCONSOLE_TASK_QUEUE=f"embedded-{uuid.uuid4().hex[:8]}",
        HOST="127.0.0.1",
        PORT=str(free_port()),
    )
    return env


def manage(env, *args, stdin=None, check=True, timeout=300):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


class Demo:
    """scripts/demo.sh in its own process group, as a terminal would run it."""

    def __init__(self, env, log_path):
        self.env = env
        self.url = f"http://{env['HOST']}:{env['PORT']}/"
        self.log_path = log_path
        self.log_dir = os.path.join(env["FWCONSOLE_DATA_DIR"], "log")
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [str(ROOT / "scripts/demo.sh")],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self):
        with open(self.log_path) as log:
            return log.read()

    def logs(self):
        parts = [self.output()]
        for name in ("web", "worker", "beat"):
            path = os.path.join(self.log_dir, f"{name}.log")
            if os.path.exists(path):
                with open(path) as log:
                    parts.append(f"--- {name}.log\n" + log.read()[-3000:])
        return "\n".join(parts)

    def wait_until_running(self, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "fwconsole demo is running" in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(1)
        pytest.fail(f"the demo did not start:\n{self.logs()}")

    def interrupt(self, timeout=90):
        """Send Ctrl-C to the demo's process group and wait for all of it."""
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.5)
        pytest.fail(f"processes of the demo outlived Ctrl-C:\n{self.logs()}")

    def kill(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.process.wait(timeout=30)


@pytest.fixture
def demo(embedded_env, tmp_path):
    running = Demo(embedded_env, tmp_path / "demo.out")
    yield running
    running.kill()


def sign_in(url, username, password):
    """Sign in through the login form; return an opener holding the session."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    form = opener.open(url + "accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password}
    ).encode()
    opener.open(url + "accounts/login/", data=data, timeout=30)
    return opener


def test_demo_runs_on_sqlite_and_the_filesystem_broker_with_a_real_worker(
    demo, embedded_env, samba_env
):
    demo.wait_until_running()

    output = demo.output()
    assert demo.url in output
    assert f"sign in as admin / {DEMO_PASSWORD}" in output

    session = sign_in(demo.url, "admin", DEMO_PASSWORD)
    home = session.open(demo.url, timeout=30)
    page = home.read().decode()
    assert home.url == demo.url
    navigation = dict(re.findall(r'href="([^"]+)" data-nav="(\w+)"', page))
    assert "users" in navigation.values()
    for path, entry in navigation.items():
        # The demo data fills every page: the change log with the import's
        # history, the directory with the LDIF, the policies with the YAML.
        response = session.open(urllib.parse.urljoin(demo.url, path), timeout=60)
        assert response.status == 200, entry

    health = session.open(demo.url + "health/?format=json", timeout=30)
    assert health.status == 200
    assert set(json.load(health).values()) == {"OK"}

    users_base = f"CN=Users,{samba_env['FWCONSOLE_SAMBA_BASE_DN']}"
    manage(
        embedded_env,
        "directory_source",
        "add",
        "samba-users",
        "--kind",
        "ad",
        "--server-url",
        samba_env["FWCONSOLE_SAMBA_URL"],
        "--ca-file",
        samba_env["FWCONSOLE_SAMBA_CA_FILE"],
        "--bind-dn",
        samba_env["FWCONSOLE_SAMBA_ADMIN_DN"],
        "--bind-password-stdin",
        "--base-dn",
        users_base,
        "--sync-interval",
        "0",
        stdin=samba_env["FWCONSOLE_SAMBA_ADMIN_PASSWORD"] + "\n",
    )
    synced = manage(
        embedded_env, "sync_directory", "samba-users", "--wait", "--timeout", "180"
    )
    assert "succeeded" in synced.stdout
    with open(os.path.join(demo.log_dir, "worker.log")) as worker_log:
        assert re.search(
            r"Task directory\.tasks\.\w+\[.*\] succeeded", worker_log.read()
        )

    demo.interrupt()

    after = manage(embedded_env, "health_check", "health", "--no-http", check=False)
    assert after.returncode == 1
    assert re.search(r"Worker\(.*\): Unavailable: Celery workers", after.stdout)
