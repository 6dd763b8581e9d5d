"""A sync run's own log: the run's log lines kept as SyncLogEntry rows.

The handler is attached to the ``directory`` logger for the duration of one
run and takes only records from the thread running it. Lines logged inside
the run's apply transaction wait in memory and are written after it ends, so
a run that rolls back still keeps the log that explains why.
"""

import logging
import threading
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone

from directory.models import SyncLogEntry

_MAX_MESSAGE = 4000


class RunLogHandler(logging.Handler):
    """Writes the ``directory`` log records of one thread to one run's log."""

    def __init__(self, run_id):
        super().__init__(level=logging.INFO)
        self.run_id = run_id
        self.thread_id = threading.get_ident()
        # Transactions the caller already had open when the run started.
        self.base_depth = len(connection.atomic_blocks)
        self.pending = []
        self.writing = False

    def emit(self, record):
        if record.thread != self.thread_id or self.writing:
            return
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad log call must not stop a sync
            message = str(record.msg)
        self.pending.append(
            SyncLogEntry(
                run_id=self.run_id,
                at=timezone.now(),
                level=record.levelname,
                message=message[:_MAX_MESSAGE],
            )
        )
        if len(connection.atomic_blocks) <= self.base_depth:
            self.write_pending()

    def write_pending(self):
        if not self.pending:
            return
        entries, self.pending = self.pending, []
        self.writing = True
        try:
            SyncLogEntry.objects.bulk_create(entries)
        finally:
            self.writing = False


@contextmanager
def run_log(run_id):
    """Keep the ``directory`` log lines of this thread in the run's log."""
    handler = RunLogHandler(run_id)
    logger = logging.getLogger("directory")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        handler.write_pending()
