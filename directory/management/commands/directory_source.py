"""Add, list, test and remove directory sources from the command line.

``add`` runs the same validation as the source form. The bind password comes
from an environment variable named at sync time (--bind-password-env), from
standard input (--bind-password-stdin) or from a prompt that does not echo; it
is never printed.
"""

import getpass
import json
import logging
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from directory import selectors, services
from directory.export import terminal_text
from directory.forms import DirectorySourceForm
from directory.models import DirectorySource

logger = logging.getLogger(__name__)

# Form field -> the option that sets it, to name the option in errors.
OPTION_OF_FIELD = {
    "name": "NAME",
    "kind": "--kind",
    "enabled": "--disabled",
    "server_urls": "--server-url",
    "start_tls": "--start-tls",
    "verify_certificate": "--no-verify-certificate",
    "ca_file": "--ca-file",
    "bind_dn": "--bind-dn",
    "bind_password": "--bind-password-stdin",
    "bind_password_env": "--bind-password-env",
    "base_dn": "--base-dn",
    "computer_base": "--computer-base",
    "computer_filter": "--computer-filter",
    "user_base": "--user-base",
    "user_filter": "--user-filter",
    "group_base": "--group-base",
    "group_filter": "--group-filter",
    "sync_interval_minutes": "--sync-interval",
    "staleness_limit_hours": "--staleness-limit",
    "resolve_addresses": "--resolve-addresses",
    "shrink_threshold_percent": "--shrink-threshold",
    "timeout_seconds": "--timeout",
    "page_size": "--page-size",
    "follow_referrals": "--follow-referrals",
}

TEXT_OPTIONS = (
    "ca_file",
    "bind_dn",
    "bind_password_env",
    "base_dn",
    "computer_base",
    "computer_filter",
    "user_base",
    "user_filter",
    "group_base",
    "group_filter",
)
NUMBER_OPTIONS = (
    "sync_interval_minutes",
    "staleness_limit_hours",
    "shrink_threshold_percent",
    "timeout_seconds",
    "page_size",
)


def model_default(field_name):
    return DirectorySource._meta.get_field(field_name).default


class Command(BaseCommand):
    help = "Add, list, test or remove directory sources."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)

        add = actions.add_parser("add", help="Create a directory source.")
        add.add_argument("name", help="Short name of the source (letters, digits, -).")
        add.add_argument(
            "--kind",
            choices=DirectorySource.Kind.values,
            default=DirectorySource.Kind.ACTIVE_DIRECTORY,
            help="ad (Active Directory), ldap (generic LDAP) or ldif (snapshot).",
        )
        add.add_argument(
            "--server-url",
            dest="server_urls",
            action="append",
            default=[],
            help="ldaps://host[:port] or ldap://host[:port] (with --start-tls); "
            "repeat for fallbacks.",
        )
        add.add_argument("--start-tls", action="store_true")
        add.add_argument(
            "--no-verify-certificate",
            dest="verify_certificate",
            action="store_false",
            help="Do not check the server certificate (not recommended).",
        )
        add.add_argument("--ca-file", default="", help="PEM file of the CA to trust.")
        add.add_argument("--bind-dn", default="")
        password = add.add_mutually_exclusive_group()
        password.add_argument(
            "--bind-password-env",
            default="",
            metavar="VARIABLE",
            help="Read the bind password from this environment variable at sync "
            "time; nothing is stored.",
        )
        password.add_argument(
            "--bind-password-stdin",
            action="store_true",
            help="Read the bind password from the first line of standard input.",
        )
        password.add_argument(
            "--no-bind-password",
            action="store_true",
            help="Bind anonymously (no bind DN, no password).",
        )
        add.add_argument("--base-dn", default="")
        for kind in ("computer", "user", "group"):
            add.add_argument(
                f"--{kind}-base", default="", help=f"Search base of {kind}s."
            )
            add.add_argument(
                f"--{kind}-filter", default="", help=f"Extra LDAP filter for {kind}s."
            )
        add.add_argument(
            "--sync-interval",
            dest="sync_interval_minutes",
            type=int,
            default=model_default("sync_interval_minutes"),
            metavar="MINUTES",
            help="0 syncs only on demand.",
        )
        add.add_argument(
            "--staleness-limit",
            dest="staleness_limit_hours",
            type=int,
            default=model_default("staleness_limit_hours"),
            metavar="HOURS",
        )
        add.add_argument(
            "--shrink-threshold",
            dest="shrink_threshold_percent",
            type=int,
            default=model_default("shrink_threshold_percent"),
            metavar="PERCENT",
        )
        add.add_argument(
            "--timeout",
            dest="timeout_seconds",
            type=int,
            default=model_default("timeout_seconds"),
            metavar="SECONDS",
        )
        add.add_argument(
            "--page-size", type=int, default=model_default("page_size"), metavar="N"
        )
        add.add_argument("--resolve-addresses", action="store_true")
        add.add_argument("--follow-referrals", action="store_true")
        add.add_argument("--disabled", action="store_true", help="Create it disabled.")

        listing = actions.add_parser("list", help="List directory sources.")
        listing.add_argument("--json", action="store_true")

        remove = actions.add_parser(
            "remove", help="Delete a source and everything read from it."
        )
        remove.add_argument("name")
        remove.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation."
        )

        test = actions.add_parser(
            "test", help="Test the connection step by step (DNS, TCP, TLS, bind, base)."
        )
        test.add_argument("name")

    def handle(self, *args, **options):
        self.stdin = options.get("stdin") or sys.stdin
        handler = getattr(self, f"handle_{options['action']}")
        return handler(options)

    def get_source(self, name):
        try:
            return DirectorySource.objects.get(name=name)
        except DirectorySource.DoesNotExist:
            raise CommandError(f"No directory source named {name!r}.") from None

    def handle_add(self, options):
        data = {
            "name": options["name"],
            "kind": options["kind"],
            "enabled": not options["disabled"],
            "server_urls": "\n".join(options["server_urls"]),
            "start_tls": options["start_tls"],
            "verify_certificate": options["verify_certificate"],
            "resolve_addresses": options["resolve_addresses"],
            "follow_referrals": options["follow_referrals"],
            "bind_password": self.read_password(options),
        }
        data.update({name: options[name] for name in TEXT_OPTIONS})
        data.update({name: options[name] for name in NUMBER_OPTIONS})

        form = DirectorySourceForm(data=data)
        if not form.is_valid():
            raise CommandError(self.describe_errors(form))
        for warning in form.warnings:
            self.stderr.write(f"warning: {warning}")
        with transaction.atomic():
            source = form.save()
            services.source_schedule_update(source)
        logger.info("Directory source %s created from the command line", source)
        self.stdout.write(f"Created directory source {source.name} (id {source.pk}).")

    def read_password(self, options):
        if options["kind"] == DirectorySource.Kind.LDIF or options["no_bind_password"]:
            return ""
        if options["bind_password_env"] or not options["bind_dn"]:
            return ""
        if options["bind_password_stdin"]:
            return self.stdin.readline().rstrip("\r\n")
        if not self.stdin.isatty():
            raise CommandError(
                "--bind-dn needs a password: give --bind-password-env VARIABLE or "
                "--bind-password-stdin (there is no terminal to prompt on)."
            )
        return getpass.getpass(f"Bind password for {options['bind_dn']}: ")

    def describe_errors(self, form):
        lines = ["Nothing was saved:"]
        for field, errors in form.errors.items():
            option = OPTION_OF_FIELD.get(field, field)
            for error in errors:
                lines.append(f"  {option}: {error}")
        return "\n".join(lines)

    def handle_list(self, options):
        sources = list(selectors.sources_with_status())
        rows = [self.describe_source(source) for source in sources]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        if not rows:
            self.stdout.write("No directory sources.")
            return
        header = ("NAME", "KIND", "ENABLED", "SERVERS", "BASE DN", "PASSWORD", "DATA")
        table = [header] + [
            (
                row["name"],
                row["kind"],
                "yes" if row["enabled"] else "no",
                " ".join(row["server_urls"]) or "-",
                row["base_dn"],
                row["password"],
                row["freshness"],
            )
            for row in rows
        ]
        widths = [max(len(terminal_text(line[i])) for line in table) for i in range(7)]
        for line in table:
            cells = [
                terminal_text(cell).ljust(width)
                for cell, width in zip(line, widths, strict=True)
            ]
            self.stdout.write("  ".join(cells).rstrip())

    def describe_source(self, source):
        if source.bind_password_env:
            credential = f"env:{source.bind_password_env}"
        elif source.bind_password:
            credential = "stored"
        else:
            credential = "none"
        if source.last_success_at is None:
            freshness = "never synced"
        elif source.is_stale():
            freshness = f"stale since {source.last_success_at:%Y-%m-%d %H:%M}"
        else:
            freshness = f"fresh ({source.last_success_at:%Y-%m-%d %H:%M})"
        return {
            "name": source.name,
            "kind": source.kind,
            "enabled": source.enabled,
            "server_urls": source.server_urls.split(),
            "base_dn": source.base_dn,
            "bind_dn": source.bind_dn,
            "password": credential,
            "last_success_at": source.last_success_at,
            "freshness": freshness,
            "computers": source.computer_count,
            "users": source.user_count,
            "groups": source.group_count,
        }

    def handle_remove(self, options):
        source = self.get_source(options["name"])
        if not options["yes"]:
            if not self.stdin.isatty():
                raise CommandError(
                    "Refusing to delete without confirmation: add --yes."
                )
            self.stdout.write(
                f"Delete {source.name} and every object, membership and run read "
                "from it? Type its name to confirm: ",
                ending="",
            )
            if self.stdin.readline().strip() != source.name:
                raise CommandError("Not confirmed; nothing deleted.")
        name = source.name
        services.source_delete(source=source)
        logger.info("Directory source %s removed from the command line", name)
        self.stdout.write(f"Deleted directory source {name}.")

    def handle_test(self, options):
        source = self.get_source(options["name"])
        report = services.connection_test(source)
        if report.url:
            self.stdout.write(f"Server {report.url}")
        marks = {True: "ok     ", False: "FAILED ", None: "skipped"}
        for step in report.steps:
            detail = terminal_text(step.detail)
            self.stdout.write(f"  {marks[step.ok]} {step.name}: {detail}")
        if not report.ok:
            failed = next((step for step in report.steps if step.ok is False), None)
            where = f" at {failed.name}" if failed else ""
            raise CommandError(f"Connection test of {source.name} failed{where}.")
        self.stdout.write(f"Connection test of {source.name} passed.")
