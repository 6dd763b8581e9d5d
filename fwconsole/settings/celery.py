"""Celery settings (CELERY_ namespace); every value says why it is set."""

from fwconsole.settings.env import DATA_DIR, env, env_first

_broker_dir = DATA_DIR / "broker"

# Embedded default: kombu's filesystem transport needs no daemon. Setting
# FWCONSOLE_BROKER_URL (or CELERY_BROKER_URL) to redis://… switches to Redis.
# The filesystem transport ignores the host; naming one keeps kombu from
# warning about its absence on every connection.
CELERY_BROKER_URL = env_first(
    "FWCONSOLE_BROKER_URL", "CELERY_BROKER_URL", default="filesystem://localhost/"
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("out", "processed", "control"):
        (_broker_dir / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A sync must never outlive the visibility timeout, or Redis hands it to a
    # second worker while the first still runs (Celery's Redis caveats).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}

# Outcomes users see live in SyncRun rows; Celery results are not needed.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None

CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"

# One long sync must not hold prefetched short tasks hostage.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A sync that crashes its worker is redelivered; the sync is idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# The largest directories take minutes; a hung LDAP server must not hold a
# worker forever. The soft limit lets the run record why it stopped.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("FWCONSOLE_TASK_SOFT_TIME_LIMIT", default=3000)
CELERY_TASK_TIME_LIMIT = env.int("FWCONSOLE_TASK_TIME_LIMIT", default=3600)

# Schedules per directory source are rows that the source form keeps up to date.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# How long the health endpoint waits for a worker to answer its ping.
FWCONSOLE_HEALTH_PING_SECONDS = env.float("FWCONSOLE_HEALTH_PING_SECONDS", default=3.0)

# Tests and the demo can force the queue name so that parallel runs on one
# broker do not pick up each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("FWCONSOLE_TASK_QUEUE", default="fwconsole")
