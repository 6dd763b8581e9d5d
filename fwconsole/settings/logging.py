"""Logging: named loggers under the app packages, %-style messages, no secrets."""

from fwconsole.settings.env import env

LOG_LEVEL = env.str("FWCONSOLE_LOG_LEVEL", default="INFO")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "fwconsole": {"level": LOG_LEVEL},
        "directory": {"level": LOG_LEVEL},
        "policies": {"level": LOG_LEVEL},
        "django.security": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
