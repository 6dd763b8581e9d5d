"""Health checks for the broker and the worker, whatever the transport.

django-health-check's Redis check only covers Redis, and the demo runs on
kombu's filesystem transport; opening a broker connection works for both.

The worker check is a real remote-control ping on both transports: kombu's
filesystem transport implements the fanout exchange that Celery broadcasts
control commands on (it keeps the bindings in its control folder), and the
worker's reply comes back through an ordinary queue, so no result backend is
needed. It then asks the answering worker which queues it consumes, so a
worker that does not serve the console's queue counts as missing.
"""

import dataclasses
import datetime

from celery.app import app_or_default
from django.conf import settings
from health_check.base import HealthCheck
from health_check.contrib.celery import Ping
from health_check.exceptions import ServiceUnavailable


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection."""

    def run(self):
        app = app_or_default()
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=3)
        except Exception as error:  # kombu raises transport-specific errors
            raise ServiceUnavailable(
                f"broker unreachable: {type(error).__name__}"
            ) from error


@dataclasses.dataclass
class Worker(Ping):
    """At least one Celery worker answers a ping on the console's queue."""

    timeout: datetime.timedelta = dataclasses.field(
        default_factory=lambda: datetime.timedelta(
            seconds=settings.FWCONSOLE_HEALTH_PING_SECONDS
        ),
        repr=False,
    )
    limit: int | None = dataclasses.field(default=1, repr=False)
