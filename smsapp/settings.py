"""smsapp settings: everything is declared here and chosen by environment variables.

With no environment at all the app runs on its embedded default: the PostgreSQL and Redis that
`make run` starts under var/ (smsapp/embedded.py), the Twilio emulator on 127.0.0.1:8010.
README.md lists every setting.
"""

from __future__ import annotations

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from smsapp import embedded
from smsapp.public_urls import public_settings_problems
from smsapp.secret_key import DEVELOPMENT_KEY, secret_key_problem

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (docker secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)
# With DEBUG off a real key is required: every process refuses to start without one
# (smsapp/secret_key.py says why).
SECRET_KEY = env_secret("SECRET_KEY") or (DEVELOPMENT_KEY if DEBUG else "")
_secret_key_problem = secret_key_problem(SECRET_KEY, debug=DEBUG)
if _secret_key_problem:
    raise ImproperlyConfigured(_secret_key_problem)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The ports `make run` serves the app and the Twilio emulator on (`make run PORT=...`); the
# defaults of the public URLs below follow them.
APP_PORT = env.int("APP_PORT", default=8000)
EMULATOR_PORT = env.int("EMULATOR_PORT", default=8010)
# The public URL Twilio posts to; webhook signatures are computed against it, so it must be the
# URL Twilio sees, not the one a proxy forwards to.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default=f"http://127.0.0.1:{APP_PORT}").rstrip("/")
# The default host short links are served on when a number has no branded link domain.
PUBLIC_LINK_DOMAIN = env.str("PUBLIC_LINK_DOMAIN", default=f"127.0.0.1:{APP_PORT}")
# Short links' scheme: runserver (`make run`) speaks plain HTTP on this machine's own address.
_LOCAL_LINK_HOST = PUBLIC_LINK_DOMAIN.rsplit(":", 1)[0] in ("127.0.0.1", "localhost", "[::1]")
PUBLIC_LINK_SCHEME = env.str(
    "PUBLIC_LINK_SCHEME", default="http" if DEBUG and _LOCAL_LINK_HOST else "https"
)
# Checked here so that every process (web, worker, beat, manage.py) refuses to start on a value
# Twilio or a phone would refuse, instead of failing each send; smsapp/public_urls.py says why.
_public_problems = public_settings_problems(
    base_url=PUBLIC_BASE_URL, link_domain=PUBLIC_LINK_DOMAIN, link_scheme=PUBLIC_LINK_SCHEME
)
if _public_problems:
    raise ImproperlyConfigured("\n".join(_public_problems))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "accounts",
    "contacts",
    "consent",
    "registration",
    "messaging",
    "analytics",
    "workflows",
    "demo",
]

MIDDLEWARE = [
    # First: lets short links (only) through on verified branded link domains, which
    # ALLOWED_HOSTS doesn't list, before anything below asks for the host.
    "messaging.middleware.LinkDomainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: text that can't be stored gets a 400 here.
    "accounts.inputs.InputCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.tenancy.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "smsapp.urls"
WSGI_APPLICATION = "smsapp.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username/IP before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

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
                "accounts.navigation.navigation",
            ],
        },
    },
]

# Unset: the embedded PostgreSQL `make run` keeps under var/postgres (smsapp/embedded.py).
DATABASES = {"default": env.db_url("DATABASE_URL", default=embedded.default_database_url())}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# The short-link redirect runs its one statement as a server-side prepared statement; turn
# off behind a connection pooler in transaction mode that can't keep them (PgBouncer < 1.21).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Celery's broker, the cache and the rate limiter. Unset: the embedded Redis `make run` keeps
# under var/redis.
REDIS_URL = env.str("REDIS_URL", default=embedded.default_redis_url())
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that is unreachable fails a request's cache call quickly instead of hanging
        # it (Twilio's webhooks answer without Redis).
        "OPTIONS": {"socket_connect_timeout": 2},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages are installed with npm (package.json) and served from node_modules, never
# copied into the repository.
# Front-end packages served from node_modules, one static prefix each (not the whole folder,
# which holds thousands of files nobody fetches); `npm run build` bundles the segment
# calculator for the browser into build/static.
VENDOR_PACKAGES = (
    "htmx.org",
    "@picocss/pico",
    "chart.js",
    "sms-segments-calculator",
    "tom-select",
)
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("build", BASE_DIR / "build" / "static"),
    *((f"vendor/{name}", BASE_DIR / "node_modules" / name) for name in VENDOR_PACKAGES),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# In development files come straight from the finders; production serves collectstatic's copy.
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="smsapp <no-reply@localhost>")
# For the SMTP backend (sign-up confirmations must reach people in production).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)

# Security: with DEBUG off these make `manage.py check --deploy` silent.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the header is
# ignored and REMOTE_ADDR is the client (the consent ledger records it, so it must not be forged).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Twilio's webhooks are signed over the URL they are posted to (PUBLIC_BASE_URL), so a redirect
# could only lose them; docker compose's emulator posts to http://web:8000 inside its network.
# Probes and Prometheus reach the app on its private address, not through the HTTPS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$", r"^webhooks/twilio/"]
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy (django-csp): scripts, styles, fonts and fetches from our
# own origin only, no inline script or style, no eval; images may also be data: URLs (Pico
# CSS draws its checkboxes and select arrows with them). Templates keep behaviour in
# static/js and looks in static/css; tests/smsapp/test_browser_csp.py fails on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login attempts: five failures for one username from one address locks it for 15 minutes.
# API tokens stop working this many days after they were made; 0: they never expire.
API_TOKEN_MAX_AGE_DAYS = env.int("API_TOKEN_MAX_AGE_DAYS", default=0)

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# One address trying many emails (accounts/login_throttle.py): this many failures from it, in
# any emails, lock the address out for the same 15 minutes.
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = 0.25
# The handler reads the counts in this order.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accounts.login_throttle.LoginThrottleHandler"
AXES_RESET_ON_SUCCESS = True
# A sign-in tried during a lockout (the right password included) is refused and doesn't start
# the 15 minutes again: otherwise a user who keeps trying is never let back in.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The address as the consent ledger reads it: REMOTE_ADDR, or X-Forwarded-For behind
# TRUSTED_PROXY_COUNT proxies (else every user behind the proxy would share one lockout).
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.request_ip"
# The login form posts the email as "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.rest.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.rest.IsAccountMember"],
    "DEFAULT_PAGINATION_CLASS": "accounts.rest.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "accounts.rest.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "accounts.schema.ApiAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API reads JSON (the CSV import's upload sets its own multipart parser): one body
    # format to document, check and refuse clearly.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "smsapp API",
    "DESCRIPTION": "Contacts, consent, SMS messages and analytics. Authenticate with a personal "
    "API token: `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI is served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "OAS_VERSION": "3.1.0",
    # A PATCH body is its serializer as written: each says which fields it requires (most
    # none), so no "Patched" copy with every field made optional.
    "COMPONENT_SPLIT_PATCH": False,
    # Enums stay where they are (no hook gathers them into components): a oneOf branch may
    # narrow a field to some of its values, which must not be merged back into all of them.
    "POSTPROCESSING_HOOKS": [],
}

CELERY_BROKER_URL = embedded.broker_url(REDIS_URL)
# A worker given several queues (`-Q realtime,dispatch,periodic,bulk`) takes from the first
# non-empty one in that order, not round-robin (kombu's default), so a waiting STOP or status batch
# goes before the next chunk of an import.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "queue_order_strategy": "priority"}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
# Our tasks are idempotent (they claim rows in the database), so a task whose worker died is
# redelivered rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
# Workers log through LOGGING below (LOG_FORMAT, the log context), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Queues by latency class. Each task is named in CELERY_TASK_ROUTES (a test fails on a task that
# isn't), so a million-row import never waits in front of a STOP or a status batch: run a worker
# per queue, or one consuming them all in this order (README, "Workers and queues").
#   realtime  seconds matter to a person or to Twilio: status callback batches, keyword answers
#             and one-to-one replies (STOP itself is applied in the inbound webhook's request)
#   dispatch  per-number sending chains and the sweep that starts them
#   periodic  beat's rollups, sweeps and reconciliation: short, and fine a little late
#   bulk      imports, fan-out, reformats, bulk consent, review counts, workflow enrollment:
#             minutes of work per task
CELERY_QUEUE_NAMES = ("realtime", "dispatch", "periodic", "bulk")
CELERY_TASK_QUEUES = {name: {"routing_key": name} for name in CELERY_QUEUE_NAMES}
# A task missing from the routes would land here (the test on the routes fails first); it is a
# queue every worker of the default command line consumes, never a queue nobody reads.
CELERY_TASK_DEFAULT_QUEUE = "bulk"
CELERY_TASK_DEFAULT_EXCHANGE = "smsapp"
CELERY_TASK_ROUTES = {
    name: {"queue": queue}
    for queue, names in {
        "realtime": (
            "messaging.tasks.status_callbacks_apply_task",
            "messaging.tasks.reply_send_task",
        ),
        "dispatch": (
            "messaging.tasks.sender_dispatch_task",
            # Beat's 5-second sweep that starts idle numbers: behind a rollup it would stall them.
            "messaging.tasks.dispatch_due_task",
        ),
        "periodic": (
            "analytics.tasks.rollups_apply_task",
            "analytics.tasks.rollups_check_task",
            "consent.tasks.consent_jobs_sweep_task",
            "contacts.tasks.contacts_jobs_sweep_task",
            "messaging.tasks.scheduled_fanouts_start_task",
            "messaging.tasks.claimed_reconcile_task",
            "messaging.tasks.statuses_reconcile_task",
            "messaging.tasks.messages_progress_task",
            "registration.tasks.registration_status_poll_task",
            "workflows.tasks.workflow_steps_due_task",
            "messaging.tasks.partitions_ensure_task",
            "messaging.tasks.messages_retention_task",
        ),
        "bulk": (
            "contacts.tasks.contact_import_run_task",
            "contacts.tasks.phone_reformat_run_task",
            "contacts.tasks.phone_reformat_revert_task",
            "consent.tasks.consent_bulk_change_run_task",
            "messaging.tasks.message_fanout_task",
            "messaging.tasks.message_review_task",
            "workflows.tasks.workflow_event_task",
            # A recount of every contact of an account, asked for by the consent report.
            "analytics.tasks.consent_snapshot_task",
        ),
    }.items()
    for name in names
}

# Twilio. With no TWILIO_ACCOUNT_SID the platform talks to the local emulator under these
# development credentials; production sets real ones and leaves TWILIO_API_BASE_URL empty.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN", default="")
if TWILIO_ACCOUNT_SID:
    TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")
else:
    TWILIO_ACCOUNT_SID = "AC" + "0" * 31 + "1"
    TWILIO_AUTH_TOKEN = "emulator-auth-token-0000000000001"  # noqa: S105 - emulator only
    TWILIO_API_BASE_URL = (
        env.str("TWILIO_API_BASE_URL", default="") or f"http://127.0.0.1:{EMULATOR_PORT}"
    )
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)

# Dispatch: a row claimed this long ago with no Message SID is presumed stranded by a dead
# dispatcher and reconciled against Twilio's message list.
# Status callbacks are applied in batches: a run waits this long after the first callback of
# a burst, and each web process asks for a run at most once per this long.
STATUS_CALLBACKS_BATCH_SECONDS = env.float("STATUS_CALLBACKS_BATCH_SECONDS", default=0.5)
DISPATCH_STRANDED_AFTER_SECONDS = env.int("DISPATCH_STRANDED_AFTER_SECONDS", default=300)

CELERY_BEAT_SCHEDULE = {
    # A number whose dispatch run died is started again this soon after its lock lapses.
    "dispatch-due": {"task": "messaging.tasks.dispatch_due_task", "schedule": 2.0},
    # Scheduled sends resolve their audience shortly before they are due.
    "scheduled-fanouts": {
        "task": "messaging.tasks.scheduled_fanouts_start_task",
        "schedule": 30.0,
    },
    # Claims a dead dispatch run stranded are settled within a minute of the crash.
    "reconcile-claimed": {"task": "messaging.tasks.claimed_reconcile_task", "schedule": 10.0},
    "reconcile-statuses": {"task": "messaging.tasks.statuses_reconcile_task", "schedule": 300.0},
    "apply-status-callbacks": {
        "task": "messaging.tasks.status_callbacks_apply_task",
        "schedule": 10.0,
    },
    "messages-progress": {"task": "messaging.tasks.messages_progress_task", "schedule": 15.0},
    "registration-status-poll": {
        "task": "registration.tasks.registration_status_poll_task",
        "schedule": 60.0,
    },
    # Imports, reformats and bulk consent changes whose worker died are picked up again.
    "contacts-jobs-sweep": {"task": "contacts.tasks.contacts_jobs_sweep_task", "schedule": 300.0},
    "consent-jobs-sweep": {"task": "consent.tasks.consent_jobs_sweep_task", "schedule": 300.0},
    # Analytics rollups: statuses, clicks and opt-outs folded in within seconds (well under a
    # minute); a sample recomputed from raw rows every 5 minutes to correct any drift.
    # Texts and clicks are partitioned by month: the next months' partitions are made ahead,
    # and what accounts' retention says is due is dropped or deleted (messaging/partitions.py).
    "messages-partitions": {"task": "messaging.tasks.partitions_ensure_task", "schedule": 3600.0},
    "messages-retention": {"task": "messaging.tasks.messages_retention_task", "schedule": 3600.0},
    "analytics-rollups": {"task": "analytics.tasks.rollups_apply_task", "schedule": 10.0},
    "analytics-drift-check": {"task": "analytics.tasks.rollups_check_task", "schedule": 300.0},
    # Workflow delays that are over, and enrollments a crashed worker left due.
    "workflow-steps-due": {"task": "workflows.tasks.workflow_steps_due_task", "schedule": 10.0},
}

# Browser tests (Chromium) and the segment calculator's differential test (Node.js) fail
# instead of skipping when what they drive is missing (CI sets it).
SMSAPP_REQUIRE_BROWSER = env.bool("SMSAPP_REQUIRE_BROWSER", default=False)

# Prometheus scrapes /metrics with `Authorization: Bearer <METRICS_TOKEN>`; unset, /metrics is 404.
METRICS_TOKEN = env_secret("METRICS_TOKEN", default="")

# `plain` lines for people, `json` (one object per line, with the account, message and task
# ids in their own fields: accounts/logs.py) for a log pipeline.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "accounts.logs.JsonFormatter"},
    },
    "filters": {"context": {"()": "accounts.logs.LogContextFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # The SDK logs every request it makes at INFO, a line per text sent.
    "loggers": {"twilio.http_client": {"level": "WARNING"}},
}
