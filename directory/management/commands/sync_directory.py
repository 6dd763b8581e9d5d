"""Queue a sync of a directory source, and optionally wait for its outcome."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from directory import services
from directory.export import terminal_text
from directory.models import DirectorySource, SyncRun
from directory.tables import summarize_counts

EXIT_FAILED = 1
EXIT_STILL_RUNNING = 2


class Command(BaseCommand):
    help = (
        "Queue a sync of SOURCE on the Celery workers. With --wait, follow the "
        "run and exit non-zero unless it succeeds."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="Directory source name.")
        parser.add_argument(
            "--wait", action="store_true", help="Wait until the run has finished."
        )
        parser.add_argument(
            "--allow-shrink",
            action="store_true",
            help="Apply this run even if it reads far fewer objects than the last "
            "good run.",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=3600,
            metavar="SECONDS",
            help="With --wait: give up waiting after this long (exit code 2; the "
            "run goes on).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="With --wait: how often to look at the run.",
        )

    def handle(self, *args, **options):
        source = DirectorySource.objects.filter(name=options["source"]).first()
        if source is None:
            raise CommandError(f"No directory source named {options['source']!r}.")
        try:
            run = services.sync_request(
                source=source,
                trigger=SyncRun.Trigger.COMMAND,
                allow_shrink=options["allow_shrink"],
            )
        except services.SyncAlreadyRunning as busy:
            raise CommandError(str(busy)) from busy
        self.stdout.write(f"Run #{run.pk} of {source.name} is {run.status}.")
        if not options["wait"]:
            return
        run = self.follow(run, options["timeout"], options["interval"])
        self.report(run)

    def follow(self, run, timeout, interval):
        """Poll the run until it finishes, printing each new phase."""
        deadline = time.monotonic() + timeout
        shown = None
        while True:
            run.refresh_from_db()
            state = (run.status, run.phase, run.progress)
            if state != shown:
                shown = state
                phase = terminal_text(run.phase) or "-"
                self.stdout.write(f"  {run.status:<9} {run.progress:>3} %  {phase}")
            if not run.is_active:
                return run
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"Run #{run.pk} is still {run.status} after {timeout:g} s; "
                    f"follow it on its page or with this command again.",
                    returncode=EXIT_STILL_RUNNING,
                )
            time.sleep(interval)

    def report(self, run):
        for warning in run.warnings:
            self.stdout.write(f"warning: {terminal_text(warning)}")
        if run.status == SyncRun.Status.FAILED:
            reason = terminal_text(run.error) or "no reason given"
            raise CommandError(
                f"Run #{run.pk} failed: {reason}", returncode=EXIT_FAILED
            )
        took = (run.finished_at or timezone.now()) - (run.started_at or run.queued_at)
        counts = summarize_counts(run.counts) or "no counts"
        self.stdout.write(
            f"Run #{run.pk} succeeded in {took.total_seconds():.1f} s: {counts}."
        )
