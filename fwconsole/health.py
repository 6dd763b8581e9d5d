"""Health checks for the broker and the worker, whatever the transport.

django-health-check's Redis check only covers Redis, and the demo runs on
kombu's filesystem transport; opening a broker connection works for both.
"""

import dataclasses
import datetime

from celery.app import app_or_default
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
        default=datetime.timedelta(seconds=3), repr=False
    )
    limit: int | None = dataclasses.field(default=1, repr=False)
