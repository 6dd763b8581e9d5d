"""docker-compose.yml, the Dockerfile and the README agree with the code.

No Docker engine runs here, so the stack itself is not started: these tests
read the files and check every name in them against the project.
"""

import importlib
import re
import shlex
import socket

import pytest
import yaml

from fwconsole import probe
from tests.services import ROOT

SERVICES = {"web", "worker", "beat", "postgres", "redis", "samba"}
CONSOLE_SERVICES = ("web", "worker", "beat")


def settings_variables():
    """Every FWCONSOLE_* variable the settings read."""
    sources = (ROOT / "fwconsole/settings").glob("*.py")
    return {
        name
        for source in sources
        for name in re.findall(r"\"(FWCONSOLE_[A-Z0-9_]+)\"", source.read_text())
    }


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_words(service):
    command = service["command"]
    if command[:2] == ["sh", "-c"]:
        return shlex.split(command[2])
    return command


def import_object(dotted):
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def test_compose_names_every_service_with_a_health_check(compose):
    services = compose["services"]

    assert set(services) >= SERVICES
    for name in SERVICES:
        check = services[name].get("healthcheck", {})
        assert check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), f"{name} disables its health check"


def test_web_runs_migrations_then_gunicorn_on_the_wsgi_application(compose):
    words = command_words(compose["services"]["web"])

    assert words[:4] == ["python", "manage.py", "migrate", "--noinput"]
    application = words[words.index("gunicorn") + 1]
    assert import_object(application) is import_object("fwconsole.wsgi:application")


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_worker_and_beat_run_the_console_celery_app(compose, name):
    words = command_words(compose["services"][name])

    assert words[:4] == ["celery", "-A", "fwconsole", name]
    app = importlib.import_module(words[2]).celery_app
    assert app.main == "fwconsole"
    if "--scheduler" in words:
        scheduler = words[words.index("--scheduler") + 1]
        assert import_object(scheduler).__name__ == "DatabaseScheduler"


def test_console_services_wait_for_healthy_database_and_broker(compose):
    web = compose["services"]["web"]["depends_on"]

    assert web["postgres"]["condition"] == "service_healthy"
    assert web["redis"]["condition"] == "service_healthy"
    for name in ("worker", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["web"]["condition"] == "service_healthy"


def test_console_environment_uses_only_variables_the_settings_read(compose):
    known = settings_variables()

    for name in CONSOLE_SERVICES:
        environment = compose["services"][name]["environment"]
        unknown = {key for key in environment if key.startswith("FWCONSOLE_")} - known
        assert unknown == set(), f"{name}: settings never read {sorted(unknown)}"
        assert environment["FWCONSOLE_DATABASE_URL"].startswith("postgres://")
        assert environment["FWCONSOLE_BROKER_URL"].startswith("redis://")


def test_dockerfile_builds_the_targets_compose_asks_for_from_files_that_exist(
    compose,
):
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, re.MULTILINE))
    targets = {
        service["build"]["target"]
        for service in compose["services"].values()
        if "build" in service
    }
    copied = re.findall(r"^COPY (?!--from)(\S+) ", dockerfile, re.MULTILINE)

    assert targets <= stages
    assert copied
    for source in copied:
        assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()

    missing = sorted(name for name in settings_variables() if name not in readme)

    assert missing == [], "add these variables to README.md, Configuration"


@pytest.mark.django_db
def test_web_probe_passes_on_a_serving_console(live_server):
    port = live_server.url.rsplit(":", 1)[1]

    assert probe.main(["probe", port]) == 0


def test_web_probe_fails_when_nothing_listens():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    assert probe.main(["probe", str(port)]) == 1


def test_readme_commands_exist_in_the_makefile():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))

    mentioned = set(re.findall(r"`make ([a-z-]+)", readme))

    assert {"demo", "test"} <= mentioned
    assert mentioned <= targets, sorted(mentioned - targets)
