"""Frontline settings: one file, read from the environment (12-factor).

Production is the default. With nothing but ``SECRET_KEY`` and ``ALLOWED_HOSTS`` set,
``manage.py check --deploy`` passes. Without ``DATABASE_URL``, ``REDIS_URL`` or
``EMAIL_URL`` the app falls back to parts that need no server, all kept under the
git-ignored ``var/`` folder: a SQLite file, Celery's filesystem transport and one
``.eml`` file per outgoing message.
"""

from __future__ import annotations

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is convenient for development; real deployments use the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """A yes/no setting; anything else stops the app rather than being read as "no"."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value (use true or false)")


VAR_DIR = Path(env.str("FRONTLINE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-frontline-development-only-key")
else:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (it is off unless DEBUG=true)."
        ) from exc

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The address people use to reach the app; used in emails and calendar invites.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
# The name emails greet and sign with ("Hello from Frontline!").
SITE_NAME = env.str("SITE_NAME", default="Frontline")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Each person's sessions, listed on /accounts/sessions/ and ended when 2FA is turned on.
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "rotations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "rotations.common.middleware.MethodNotAllowedPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rotations.common.middleware.NoStoreWhenSignedInMiddleware",
    # Every page needs a signed-in person unless its view says otherwise.
    "rotations.common.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rotations.common.middleware.PersonTimezoneMiddleware",
]

ROOT_URLCONF = "frontline.urls"
CSRF_FAILURE_VIEW = "rotations.common.views.csrf_failure"
WSGI_APPLICATION = "frontline.wsgi.application"

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
                "rotations.common.context_processors.navigation",
            ],
        },
    },
    {
        # Email subjects and plain-text bodies (rotations.common.emails): the same
        # templates, not escaped for HTML. Listed second, so pages never use it.
        "NAME": "plain_text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'frontline.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL and IMMEDIATE transactions keep them from
    # failing with "database is locked" under ordinary concurrency.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory, so that a real Celery worker in the tests sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A kept connection the database has dropped (a restart, a failover) is found out
    # before a request uses it, and replaced, so it costs no request an error.
    DATABASES["default"].setdefault(
        "CONN_HEALTH_CHECKS", env_bool("CONN_HEALTH_CHECKS", default=True)
    )
    # Parameters bound by the server, and a statement a connection has run five times
    # prepared there from its next run: PostgreSQL then plans it once, not on every run. Planning was most
    # of its work per booking (0.07-0.37 ms a statement; execution 0.05-0.09 ms). Turn it
    # off behind a transaction-pooling PgBouncer without max_prepared_statements.
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    ):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "rotations.Person"

# --- Redis: broker and cache ----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "frontline.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="frontline"),
            # A Redis that hangs costs a request at most this, then the cache carries on
            # without it (frontline/cache.py).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    # Shared by every process on the machine, so login rate limits hold across workers.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Sessions are read on every request: from the cache, written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery ---------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, reusing its client (frontline/broker.py says why).
    CELERY_BROKER_TRANSPORT = "frontline.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    _celery_queue = VAR_DIR / "celery" / "queue"
    _celery_queue.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # kombu's, writing each message whole before a worker can see it (frontline/broker.py).
    CELERY_BROKER_TRANSPORT = "frontline.broker:FilesystemTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_queue),
        "data_folder_out": str(_celery_queue),
        # Broadcast (worker control) messages; kombu's default is ./control in the cwd.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        # kombu's default looks for a message once a second when it finds none, so a
        # worker took one task a second while beat sent more than that (its sweeps each
        # second in the tests): a tenth of a second keeps up, for a directory listing.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task is acknowledged only once it has run, and handed back if its worker dies, so a
# killed worker never loses work; tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
SWEEP_SECONDS = env.float("FRONTLINE_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "rotations.tasks.clear_expired_sessions",
        "schedule": 60 * 60 * 6,
    },
    # Beat and a worker, seen alive together (/readyz).
    "heartbeat": {"task": "rotations.tasks.heartbeat", "schedule": 60},
    # One sweep a minute finds what is due (reminders, prompts, stuck mail), instead of
    # tasks parked for days in the broker, which a restart or a purge would lose.
    "sweep-outbox": {"task": "rotations.tasks.sweep_outbox", "schedule": SWEEP_SECONDS},
    "queue-due-emails": {"task": "rotations.tasks.queue_due_emails", "schedule": SWEEP_SECONDS},
    "flush-insight-notices": {
        "task": "rotations.tasks.flush_insight_notices",
        "schedule": SWEEP_SECONDS,
    },
    "send-program-nudges": {
        "task": "rotations.tasks.send_program_nudges",
        "schedule": SWEEP_SECONDS,
    },
    "plan-due-programs": {"task": "rotations.tasks.plan_due_programs", "schedule": 60 * 15},
    # Directory imports whose task was lost (a broker down, a worker gone) are asked again
    # (a job counts as lost after minutes, so once a minute is soon enough).
    "requeue-directory-imports": {
        "task": "rotations.tasks.requeue_directory_imports",
        "schedule": 60,
    },
    # Patterns reach a year (open-ended) or two ahead of today, so today moving moves them.
    "extend-pattern-schedules": {
        "task": "rotations.tasks.extend_pattern_schedules",
        "schedule": 60 * 60 * 6,
    },
}

# The outbox: how often a message is tried before it is shown as failed, the first pause
# between tries (doubling each time, up to an hour), and how long a message may sit
# unsent past its time before the sweep hands it to a worker again.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_STUCK_AFTER_SECONDS = env.float("OUTBOX_STUCK_AFTER_SECONDS", default=300)
# New messages wait up to twice this for a task that sends everything due at once, rather
# than a task each (rotations/services/outbox.py says why); 0: a task for every change.
OUTBOX_BATCH_SECONDS = env.int("OUTBOX_BATCH_SECONDS", default=1)
REMINDER_HOURS_BEFORE = env.int("REMINDER_HOURS_BEFORE", default=24)
# Followers get an email per insight status change up to this many a day (their own
# day); the rest wait for one digest the next day.
INSIGHT_EMAILS_PER_DAY = env.int("INSIGHT_EMAILS_PER_DAY", default=3)
# How long the impact dashboard's numbers are reused before they are counted again.
IMPACT_CACHE_SECONDS = env.int("IMPACT_CACHE_SECONDS", default=300)

# --- Email ----------------------------------------------------------------------------
# EMAIL_URL takes django-environ's forms: smtp://user:pass@host:25, smtp+tls://...:587,
# smtp+ssl://...:465, consolemail://. Without it every message is one .eml file under
# var/mail that any mail client opens.
_email_url = env.str("EMAIL_URL", default="")
if _email_url:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "frontline.mail.EmlFileBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Frontline <frontline@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Accounts: django-allauth ---------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "rotations.common.auth.CachedPermissionsBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# Only addresses in these domains may sign themselves up; nobody may when it is empty.
FRONTLINE_COMPANY_DOMAINS = [
    d.lower().lstrip("@") for d in env.list("FRONTLINE_COMPANY_DOMAINS", default=[])
]

ACCOUNT_ADAPTER = "rotations.common.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "rotations.common.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_FORMS = {"signup": "rotations.directory.forms.CompanySignupForm"}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Sign-in tries: at most 10 a minute from one client address, and 5 per 5 minutes for one
# email address — counted apart on each browser that address has signed in on, so failing
# as someone elsewhere cannot lock them out of their own (rotations/common/adapters.py) —
# and 5 two-factor codes per person. The counters live in the cache above, shared by
# every web process.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,5/300s/key"),
}
# Behind a proxy, the client's address is what our proxies say it is: either the number of
# proxies of ours in front (each appends to X-Forwarded-For; the one that many from the
# end is the client's), or the header one of them sets (e.g. X-Real-IP). Neither by
# default: the connection's own address, so a forged X-Forwarded-For counts for nothing.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Frontline"

SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
# The identity provider's word that an address is its user's is the only verification a
# single sign-on gets (no confirmation email): an address it does not mark verified
# (email_verified) signs nobody in and joins nobody (rotations/common/adapters.py).
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
# For a provider that sends no email_verified claim but only issues company addresses it
# has checked itself: take every address it sends as verified. Off unless set.
OIDC_TRUST_EMAILS = env_bool("OIDC_TRUST_EMAILS", default=False)
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False

# Company single sign-on through one OpenID Connect identity provider, configured by
# environment only (no database rows to click together).
OIDC_SERVER_URL = env.str("OIDC_SERVER_URL", default="")
SOCIALACCOUNT_PROVIDERS: dict = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": []}}
if OIDC_SERVER_URL:
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": env.str("OIDC_PROVIDER_ID", default="company"),
            "name": env.str("OIDC_NAME", default="Company single sign-on"),
            "client_id": env.str("OIDC_CLIENT_ID"),
            "secret": env.str("OIDC_CLIENT_SECRET"),
            "settings": {
                "server_url": OIDC_SERVER_URL,
                "token_auth_method": env.str(
                    "OIDC_TOKEN_AUTH_METHOD", default="client_secret_basic"
                ),
                "scope": ["openid", "profile", "email"],
            },
        }
    )

# --- Passwords ------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: a new password, however set, revokes the person's API tokens.
    {"NAME": "rotations.directory.account_security.NewPasswordRevokesApiTokens"},
]

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call is answered 401 with WWW-Authenticate.
        "rotations.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "rotations.api.schema.AutoSchema",
    # DRF's own parsers, the JSON one refusing a body nested too deep with a 400.
    "DEFAULT_PARSER_CLASSES": [
        "rotations.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # A service's refusal is a 409 (a rule) or a 400 (the input), the same on every path.
    "EXCEPTION_HANDLER": "rotations.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Frontline API",
    "DESCRIPTION": "Executive customer-immersion programs: shifts, bookings, mentoring, insights.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Time and language ----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "frontline.storage.StaticStorage"},
}

# --- Security: on by default, relaxed only for a local DEBUG run over plain HTTP --------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Scripts, styles, fonts and frames only from this site's own files: no inline script or
# style (a style attribute included), no eval, no plugins, no <base>, never framed. The
# TOTP set-up page's QR code is a data: image. form-action is left open on purpose: a
# single sign-on button posts here and is redirected on to the identity provider, and
# browsers hold form-action to that redirect too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No calendar feed's secret in any log line, tracebacks included (frontline/logs.py).
    "formatters": {
        "plain": {
            "()": "frontline.logs.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own loggers through this handler only (Django's default handlers for
        # them would print the same lines unredacted).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
