"""Import an LDIF export (ldifde, ldapsearch -LLL) into a directory source."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory import services
from directory.export import terminal_text
from directory.models import DirectorySource
from directory.tables import summarize_counts


class Command(BaseCommand):
    help = (
        "Import FILE into the directory source NAME the way a sync applies what "
        "it read. A malformed file is refused with its line number and changes "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="LDIF file to import.")
        parser.add_argument("--source", required=True, help="Directory source name.")

    def handle(self, *args, **options):
        source = DirectorySource.objects.filter(name=options["source"]).first()
        if source is None:
            raise CommandError(
                f"No directory source named {options['source']!r}; create it first "
                "with: manage.py directory_source add NAME --kind ldif --base-dn DN"
            )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            run = services.ldif_import(source=source, path_or_file=path)
        except (services.LdifError, services.SyncAlreadyRunning) as error:
            raise CommandError(
                f"{path}: {terminal_text(error)}; nothing was changed."
            ) from error
        for warning in run.warnings:
            self.stdout.write(f"warning: {terminal_text(warning)}")
        counts = summarize_counts(run.counts) or "no counts"
        self.stdout.write(
            f"Imported {path} into {source.name} (run #{run.pk}, {run.status}): "
            f"{counts}."
        )
        if run.status == "failed":
            raise CommandError(f"Run #{run.pk} failed: {terminal_text(run.error)}")
