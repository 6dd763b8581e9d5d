"""Django settings: database, apps, middleware, templates, security."""

from fwconsole.settings.env import DATA_DIR, env, env_first

DEBUG = env.bool("FWCONSOLE_DEBUG", default=False)

# The demo and the tests run without a configured key; production must set one
# (manage.py check --deploy refuses the placeholder).
SECRET_KEY = env.str(
    "FWCONSOLE_SECRET_KEY", default="insecure-development-key-change-me-" + "x" * 20
)
SECRET_KEY_FALLBACKS = env.list("FWCONSOLE_SECRET_KEY_FALLBACKS", default=[])

# Salt for the key that encrypts directory bind passwords at rest
# (django-fernet-encrypted-fields derives it from SECRET_KEY and this salt).
SALT_KEY = env.list("FWCONSOLE_ENCRYPTION_SALT", default=["fwconsole-bind-passwords"])

ALLOWED_HOSTS = env.list("FWCONSOLE_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("FWCONSOLE_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "auditlog",
    "axes",
    "csp",
    "health_check",
    "fwconsole",
    "directory",
    "policies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "fwconsole.roles.RoleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fwconsole.pagination.PageSizeMiddleware",
    # django-auditlog's middleware with the client address axes also uses.
    "fwconsole.auth.middleware.AuditMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fwconsole.urls"
WSGI_APPLICATION = "fwconsole.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "fwconsole.roles.role_context",
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Database: SQLite in the data folder unless DATABASE_URL names another one.

DATABASES = {
    "default": env.db_url_config(
        env_first(
            "FWCONSOLE_DATABASE_URL",
            "DATABASE_URL",
            default=f"sqlite:///{DATA_DIR / 'fwconsole.sqlite3'}",
        )
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at the same time: WAL lets readers go
    # on during a sync, and IMMEDIATE transactions wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Several test runs may share one PostgreSQL server (CI and a developer's shell).
_test_database_name = env.str("FWCONSOLE_TEST_DATABASE_NAME", default="")
if _test_database_name:
    DATABASES["default"]["TEST"] = {"NAME": _test_database_name}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------
# Sign-in: sessions, roles, throttling.

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

AXES_FAILURE_LIMIT = env.int("FWCONSOLE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("FWCONSOLE_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# "Admin " and "admin" count as one account; the address is the one the
# console's own reverse proxy saw (never a client-written header).
AXES_USERNAME_CALLABLE = "fwconsole.auth.throttle.lockout_username"
AXES_CLIENT_IP_CALLABLE = "fwconsole.auth.throttle.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Every further attempt while locked out restarts the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True

# Idle timeout: every request renews the session, so it ends after this
# many seconds without one (FWCONSOLE_SESSION_SECONDS is the older name).
# Known limitation: a page left open that polls with htmx (a running sync's
# progress) counts as activity and keeps its session alive.
SESSION_COOKIE_AGE = env.int(
    "FWCONSOLE_SESSION_IDLE_SECONDS",
    default=env.int("FWCONSOLE_SESSION_SECONDS", default=30 * 60),
)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Behind TLS in production (FWCONSOLE_SECURE=1): secure cookies, HSTS, redirect.
_secure = env.bool("FWCONSOLE_SECURE", default=False)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = _secure
SECURE_HSTS_SECONDS = 31536000 if _secure else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = _secure
if _secure:
    # __Host- cookies are only accepted over HTTPS, for this host, on "/".
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
FWCONSOLE_BEHIND_PROXY = env.bool("FWCONSOLE_BEHIND_PROXY", default=False)
if FWCONSOLE_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script anywhere: every script is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# ---------------------------------------------------------------------------
# Internationalisation, static files.

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["fwconsole.formats"]
TIME_ZONE = env.str("FWCONSOLE_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "FWCONSOLE_STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# ---------------------------------------------------------------------------
# Pages, tables and the API.

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
DJANGO_TABLES2_PAGE_RANGE = 8

REST_FRAMEWORK = {
    # JSON only: DRF's browsable HTML pages need inline script and style,
    # which the content security policy refuses; /api/docs/ documents the API.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "fwconsole.parsers.ConsoleJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["fwconsole.roles.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "fwconsole.pagination.ConsoleLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fwconsole API",
    "DESCRIPTION": "Servers, firewall policies, bypass lists, directory and what-if.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # drf-spectacular's views default to AllowAny; the schema and its viewers
    # need the viewer role like the rest of the API.
    "SERVE_PERMISSIONS": ["fwconsole.roles.RolePermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" field with different choices; name each enum.
    "ENUM_NAME_OVERRIDES": {
        "DirectorySourceKindEnum": "directory.models.DirectorySource.Kind",
        "DirectoryObjectKindEnum": "directory.models.DirectoryObject.Kind",
    },
}

AUDITLOG_INCLUDE_ALL_MODELS = False

# Directory sync: how many objects a run may lose against the last good run
# before it is refused as suspicious (per source, overridable per run).
FWCONSOLE_DEFAULT_SHRINK_THRESHOLD_PERCENT = 50
