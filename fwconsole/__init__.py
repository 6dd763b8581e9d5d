"""fwconsole: Windows Firewall authenticated-IPsec-bypass management console."""

from fwconsole.celery import app as celery_app

__all__ = ("celery_app",)
