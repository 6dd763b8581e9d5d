"""`manage.py policy export FILE` and `manage.py policy import FILE`."""

import sys
from pathlib import Path

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from policies.ascode import export_text, import_text, yamlio


class Command(BaseCommand):
    help = "Write or read the whole policy set as YAML (policy as code)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="Write the policy set to FILE.")
        export.add_argument("file", help="Where to write; - for standard output.")
        load = actions.add_parser(
            "import",
            help="Make the database hold exactly the policy set in FILE.",
        )
        load.add_argument("file", help="The YAML file; - for standard input.")
        load.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and list the changes without applying them.",
        )
        load.add_argument(
            "--user",
            help="Console user recorded in the change history as the author.",
        )

    def handle(self, *args, **options):
        if options["action"] == "export":
            return self.export(options["file"])
        return self.load(options["file"], options["dry_run"], options["user"])

    def export(self, target):
        text = export_text()
        if target == "-":
            self.stdout.write(text, ending="")
            return
        Path(target).write_text(text, encoding="utf-8")
        self.stderr.write(f"Wrote the policy set to {target}.")

    def load(self, source, dry_run, username):
        try:
            size = 0 if source == "-" else Path(source).stat().st_size
            if size > yamlio.MAX_FILE_BYTES:
                message = yamlio.too_large_message(size, "bytes")
                raise CommandError(f"{source}:1: {message}")
            text = (
                self.stdin_text() if source == "-" else Path(source).read_text("utf-8")
            )
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {source}: {error}") from None
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No console user named {username}.")

        with set_actor(actor):
            report = import_text(text, apply=not dry_run)

        if not report.ok:
            for problem in report.problems:
                self.stderr.write(f"{source}:{problem.line}: {problem.message}")
            raise CommandError(
                f"{len(report.problems)} problem(s) in {source}; nothing was changed."
            )
        for change in report.changes:
            self.stdout.write(str(change))
        verb = "would change" if dry_run else "changed"
        self.stderr.write(f"{len(report.changes)} object(s) {verb}.")

    def stdin_text(self):
        # One character more than a policy file may hold: enough to refuse it.
        return sys.stdin.read(yamlio.MAX_FILE_CHARS + 1)
