"""scripts/demo.sh on a PostgreSQL server that lacks the named database."""

import os
import socket
import subprocess
import uuid
from urllib.parse import urlsplit

from tests.services import ROOT


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_missing_postgresql_database_is_named_with_the_command_that_makes_it(
    tmp_path,
):
    # The README's PostgreSQL line is what a newcomer types first; on a fresh
    # server the database is not there yet, and a traceback does not say why.
    server = urlsplit(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
    )
    name = f"fwconsole_absent_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": server._replace(path=f"/{name}").geturl(),
        "FWCONSOLE_DATA_DIR": str(tmp_path / "var"),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
    }

    result = subprocess.run(
        [str(ROOT / "scripts/demo.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert f'database "{name}" does not exist' in result.stderr
    command = f"createdb -h {server.hostname} -p {server.port or 5432}"
    assert f"{command} -U {server.username} {name}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
