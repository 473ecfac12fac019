"""Django settings, all from environment variables; embedded defaults need no services."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from designer.config import (
    database_from_url,
    disk_size,
    env_bool,
    env_int,
    env_list,
    proxy_ssl_header,
    read_secret,
    redis_channel_layer,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DESIGNER_DATA_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG")
# No secret in the repository: SECRET_KEY, else the per-install file `make run` creates.
SECRET_KEY = os.environ.get("SECRET_KEY") or read_secret(DATA_DIR / "secret_key")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        f"SECRET_KEY must be set, or {DATA_DIR / 'secret_key'} hold one (make run creates it)."
    )
# Loopback names by default, so `make run` works with DEBUG off; list your host names otherwise.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "designer.workspaces",
    "designer.graphs",
    "designer.runs",
    "designer.endpoints",
    "designer.activity",
    "designer.notifications",
    "designer.accounts",
    "designer.realtime",
    "designer.pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "designer.urls"
ASGI_APPLICATION = "designer.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": database_from_url(DATABASE_URL)
    if DATABASE_URL
    else sqlite_database(DATA_DIR / "db.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The Celery path's hot statements (runs.bound_sql) are prepared on the server after this many
# executions on a connection; DESIGNER_DB_PREPARE=0 behind a pooler that cannot keep prepared
# statements (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
DESIGNER_DB_PREPARE = os.environ.get("DESIGNER_DB_PREPARE", "1") != "0"
if DESIGNER_DB_PREPARE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5

REDIS_URL = os.environ.get("REDIS_URL", "")
CHANNEL_LAYERS = {
    "default": redis_channel_layer(REDIS_URL)
    if REDIS_URL
    else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}
# Django's cache (the reset mails' throttle, decision 0080; API write rates, 0089): Redis,
# shared by every process and host, with REDIS_URL; else this one server process's memory
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # a Redis that does not answer fails a cache look in a second, not a TCP timeout
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Execution: "local" (warm worker processes beside the server) or "celery" (workers on Redis).
DESIGNER_RUNNER = os.environ.get("DESIGNER_RUNNER", "celery" if REDIS_URL else "local")
DESIGNER_ARTIFACT_ROOT = Path(os.environ.get("DESIGNER_ARTIFACT_ROOT", DATA_DIR / "artifacts"))
# an s3://bucket/prefix URL puts artifacts in an object store (credentials and endpoint: the
# AWS_* variables; each host caches under DESIGNER_STORE_CACHE), instead of the folder above
DESIGNER_ARTIFACT_STORE = os.environ.get("DESIGNER_ARTIFACT_STORE", "")
DESIGNER_MODULE_PATHS = env_list("DESIGNER_MODULE_PATHS")
DESIGNER_WORKERS = int(os.environ.get("DESIGNER_WORKERS", "2"))
# the memory (resident, MB) one local worker process may hold: past it the worker is stopped and
# its step fails as out of memory (decision 0074); by default half the host's memory, as the
# sandbox's ceiling DESIGNER_SANDBOX_MAX_MEMORY_MB, never below 2,048 MB; 0: no limit
DESIGNER_WORKER_MAX_MEMORY_MB = int(
    os.environ.get("DESIGNER_WORKER_MAX_MEMORY_MB")
    or max(2048, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**21)
)
# steps whose module names an image run on the Docker engine DOCKER_HOST names, with this limit
DESIGNER_CONTAINER_MEMORY = os.environ.get("DESIGNER_CONTAINER_MEMORY") or None
# WebSockets one user (an endpoint key; signed out: an address) may hold open on one server
# process at once; past it a socket is refused with close code 4429 (decision 0074); 0: no cap
# writes (POST, PUT, PATCH, DELETE) one signed-in user may send to the API: "N/s", "N/min",
# "N/hour" or "N/day"; past it 429 `throttled` with Retry-After (decision 0089). Empty: no limit
DESIGNER_API_WRITE_RATE = os.environ.get("DESIGNER_API_WRITE_RATE", "300/min") or None
DESIGNER_MAX_OPEN_SOCKETS = int(os.environ.get("DESIGNER_MAX_OPEN_SOCKETS", "100"))
DESIGNER_MAX_UPLOAD_BYTES = int(os.environ.get("DESIGNER_MAX_UPLOAD_BYTES", str(200 * 1024 * 1024)))
# what an uploaded table may decode to (a Parquet file's size says little about its table's)
DESIGNER_MAX_UPLOAD_TABLE_BYTES = int(
    os.environ.get("DESIGNER_MAX_UPLOAD_TABLE_BYTES", str(10 * DESIGNER_MAX_UPLOAD_BYTES))
)

# Real-time endpoints: the deployment folder the scoring processes serve (bundles, the routing
# table, their stats), and where callers reach them: DESIGNER_SCORING_URL (e.g. behind a proxy
# that sends /score/ to the scoring process), else this server's host on DESIGNER_SCORING_PORT
DESIGNER_SCORING_BUNDLES = Path(os.environ.get("DESIGNER_SCORING_BUNDLES", DATA_DIR / "scoring"))
DESIGNER_SCORING_PORT = int(os.environ.get("DESIGNER_SCORING_PORT", "8100"))
DESIGNER_SCORING_URL = os.environ.get("DESIGNER_SCORING_URL", "").rstrip("/")
# "embedded": the server starts the scoring process on DESIGNER_SCORING_HOST:PORT and restarts
# it when it exits; "external": run `python -m designer.serving serve` yourself (distributed)
DESIGNER_SCORING_PROCESS = os.environ.get("DESIGNER_SCORING_PROCESS", "embedded")
DESIGNER_SCORING_HOST = os.environ.get("DESIGNER_SCORING_HOST", "127.0.0.1")
DESIGNER_SCORING_WORKERS = int(os.environ.get("DESIGNER_SCORING_WORKERS", str(os.cpu_count() or 1)))

# "embedded": the server process fires endpoint schedules and collects the scoring processes'
# figures on threads; "external": it does not (run `manage.py run_scheduler` instead; any number
# of schedulers fire each time once)
DESIGNER_SCHEDULER = os.environ.get("DESIGNER_SCHEDULER", "embedded")
# a Celery step renews a heartbeat this often; one silent for 3 intervals has lost its worker
DESIGNER_HEARTBEAT_SECONDS = float(os.environ.get("DESIGNER_HEARTBEAT_SECONDS", "10"))
# a queued Celery step attempt not taken this long after its task was sent is sent again (its
# message may have been lost with the broker's data; a duplicate is dropped by its claim)
DESIGNER_RESEND_SECONDS = float(os.environ.get("DESIGNER_RESEND_SECONDS", "300"))
# every run's step policy (saved with each run): a step's node or module may set its own
DESIGNER_STEP_TIMEOUT = float(os.environ.get("DESIGNER_STEP_TIMEOUT", "3600")) or None
DESIGNER_STEP_RETRIES = int(os.environ.get("DESIGNER_STEP_RETRIES", "1"))
DESIGNER_RETRY_BACKOFF = float(os.environ.get("DESIGNER_RETRY_BACKOFF", "1"))
# manage.py gc_artifacts keeps this many runs per graph (plus pinned and unfinished ones)
DESIGNER_KEEP_RUNS = int(os.environ.get("DESIGNER_KEEP_RUNS", "50"))
# the free space (MB) the data disk (DESIGNER_ARTIFACT_ROOT's) keeps: below it uploads and run
# starts are refused (507) and a step whose outputs would go below it fails (decision 0078); by
# default 2,048 MB, or 5% of that disk when less; 0: no floor
DESIGNER_MIN_FREE_DISK_MB = env_int(
    "DESIGNER_MIN_FREE_DISK_MB", min(2048, disk_size(DESIGNER_ARTIFACT_ROOT) // 20 // 2**20)
)
# the storage (MB) one workspace's runs and datasets may take (each artifact counted once, as
# the workspace page shows it): at or over it, its uploads and run starts are refused (409);
# 0: no quota
DESIGNER_WORKSPACE_STORAGE_MB = env_int("DESIGNER_WORKSPACE_STORAGE_MB", 0)

# Mail to watchers of a pipeline whose run failed or recovered (designer/notifications, decision
# 0076): Django's SMTP backend when EMAIL_HOST is set; without it no mail is sent (the dummy
# backend: watches are kept, the toggle says the server sends no mail). EMAIL_BACKEND may name
# another of Django's backends (e.g. the console's, to read the mails in development).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "designer@localhost")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.dummy.EmailBackend"
)
# the server's public base URL (e.g. https://designer.example.com): the mails' links to run pages
DESIGNER_PUBLIC_URL = os.environ.get("DESIGNER_PUBLIC_URL", "").rstrip("/")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# at least once: a task is acknowledged when it ended, and one whose worker process died goes
# back to the queue (claims and reports are idempotent: runs/distributed.py)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# a worker keeps reconnecting to a broker that went away, for as long as it takes; a step in
# flight runs on and reports once the broker is back (decision 0022)
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# a network partition leaves connections open that nothing answers on (no FIN, no RST): without
# a socket timeout a worker's ack or publish waits on one forever and its event loop with it,
# so it never takes work again; kombu also drops a BRPOP whose reply is overdue by the health
# check interval (decision 0028, the partition fault)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
    "health_check_interval": 10,
    # ten priorities, 0 taken first: a run's tasks wait behind those of workspaces running fewer
    # runs (Run.priority, decision 0082)
    "priority_steps": list(range(10)),
}
# sending a task waits out a broker restart (~35 s) instead of failing after ~1 s; the API
# refuses new runs while the broker is down (503), so only a worker finishing a step waits
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 20,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 2,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# a worker takes a task from Redis only when a pool process is free to run it: one reserved
# ahead would skip the priorities (decisions 0082, 0088) of tasks sent after it
CELERY_WORKER_DISABLE_PREFETCH = True
# a worker process keeps its database connection from task to task (Celery's Django fixup
# closes it after every task unless this is set: a new connection cost ~25 ms a step); a broken
# or old one is dropped before the next task (runs.tasks.reuse_connection)
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# "direct": stored events' frames are written straight to Daphne's sockets, after a start-up
# self-check of the Autobahn/Twisted internals that reads (falls back on its own); "standard"
DESIGNER_FRAME_WRITER = os.environ.get("DESIGNER_FRAME_WRITER", "direct")

DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# files Django's storages write (collected static files) are owner-only too
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "designer.workspaces.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "designer.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "designer.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["designer.workspaces.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "designer.api_json.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "designer.workspaces.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["designer.workspaces.throttles.WriteRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pipeline designer API",
    "DESCRIPTION": "Workspaces, graphs, versions, runs, artifacts and datasets.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads Swagger UI from the server's static files: no CDN, nothing fetched
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # choice sets sharing a field name: "kind" (endpoint, caller), "action" (plan step, activity)
    "ENUM_NAME_OVERRIDES": {
        "EndpointKindEnum": "designer.endpoints.models.EndpointKind",
        "CallerKindEnum": ["key", "user", "schedule"],
        "ActionEnum": ["reuse", "run", "after"],  # a plan step's (named before the log's)
        "ActivityActionEnum": "designer.activity.models.Action",
        "ActivityTargetKindEnum": "designer.activity.models.TargetKind",
        "WatchScopeEnum": "designer.notifications.models.WatchScope",
    },
    # answers and request bodies apart: a field the server always writes is required in answers
    "COMPONENT_SPLIT_REQUEST": True,
    # <id:...> path segments (designer/workspaces/converters.py): digits; longer than 18 → 404
    "PATH_CONVERTER_OVERRIDES": {"id": int},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "designer.api_schema.postprocess",
    ],
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out sign-ins before any password check
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins (login page, admin, API tokens, endpoint keys) lock out a username (for tokens
# and keys: one pseudo-username) from an address.
AXES_FAILURE_LIMIT = env_int("DESIGNER_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DESIGNER_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "designer.workspaces.lockout.lockout_response"
AXES_VERBOSE = False

# Django's standard four: a new password (a change, a reset, createsuperuser) must pass them
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
PASSWORD_RESET_TIMEOUT = 24 * 3600  # a reset link works once, for a day
# two-factor sign-in (django-otp, decision 0084): the name authenticator apps show
OTP_TOTP_ISSUER = "Pipeline designer"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "collected-static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
VITE_MANIFEST = BASE_DIR / "static" / "dist" / ".vite" / "manifest.json"

# Django's database sessions; ending one closes the sockets it signed in (decision 0038).
SESSION_ENGINE = "designer.workspaces.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind TLS: HSTS, redirect to https, and the proxy header that says a request came over https.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(os.environ.get("SECURE_PROXY_SSL_HEADER", ""))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
