"""Settings for fwconsole, read from the environment (variables prefixed FWCONSOLE_).

Split by concern: base (Django itself), celery, ldap (sign-in with domain accounts)
and logging. Every value has a working embedded default: SQLite, a broker that
needs no daemon, and no directory sign-in.
"""

from fwconsole.settings.base import *  # noqa: F403
from fwconsole.settings.celery import *  # noqa: F403
from fwconsole.settings.ldap import *  # noqa: F403
from fwconsole.settings.logging import *  # noqa: F403
