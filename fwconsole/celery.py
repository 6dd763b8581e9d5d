"""The Celery application; its settings live in fwconsole.settings.celery."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fwconsole.settings")

app = Celery("fwconsole")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
