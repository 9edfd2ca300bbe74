"""Zhaoxi settings: one module, every value read from the environment.

Defaults are for development on a laptop (SQLite, a filesystem Celery broker, no Redis). Production is
what you get when ``DJANGO_DEBUG`` is not set: secrets must then come from the environment, and the
process refuses to start without them.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ZHAOXI_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()

# pytest (>= 8.2) sets PYTEST_VERSION for the whole run.
TESTING = "PYTEST_VERSION" in os.environ

# A development checkout keeps its choices in a git-ignored .env (`make run` writes DJANGO_DEBUG=true
# there), so that plain `manage.py ...` works in it. Variables set in the environment win; tests and
# production never read it (production images ship no .env; DJANGO_READ_DOT_ENV_FILE=false turns it off).
if not TESTING and env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
DEBUG = env.bool("DJANGO_DEBUG", default=False)

_DEV_SECRET = "django-insecure-zhaoxi-development-key-do-not-use-in-production"  # noqa: S105 - development and tests only
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = _DEV_SECRET
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. In production (DJANGO_DEBUG off) the secret key must come from "
            "the environment; for development run with DJANGO_DEBUG=true (make run does this)."
        )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if (DEBUG or TESTING) else []
)
if not ALLOWED_HOSTS and not (DEBUG or TESTING):
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the host names this portal is served under.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"  # the portal's own translated page, not Django's

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "phonenumber_field",
    "django_filters",
    "import_export",
    "auditlog",
    "django_celery_beat",
    "csp",
    # the platform
    "portal",
    "portal.accounts",
    "portal.community",
    "portal.volunteers",
    "portal.notify",
    "portal.reports",
    "portal.holidays",
    # the registration engine and the service areas
    "events",
    "elders",
    "youth",
    "deliberation",
    "employment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # two-factor for the sensitive areas, MFA pages for staff only, RateLimited as a "please wait" page
    "portal.accounts.middleware.SignInSecurityMiddleware",
    "portal.middleware.AuditlogMiddleware",  # auditlog's, with the trusted client address
    "portal.middleware.ElderModeMiddleware",
    # axes last, as its documentation asks
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "portal.notify.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# Default: SQLite in immediate transaction mode, so concurrent writers wait instead of failing. That default
# is for development and tests: production names its database (no silent SQLite file in a container).
if not (DEBUG or TESTING) and not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. In production (DJANGO_DEBUG off) the portal needs its database named, e.g. "
        "DATABASE_URL=postgres://zhaoxi:PASSWORD@db.example.cn:5432/zhaoxi; the SQLite default is for "
        "development only (DJANGO_DEBUG=true)."
    )
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'zhaoxi.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: the portal's queries are short, and a large cost estimate (a count over every
    # resident) made PostgreSQL spend 0.4 s compiling a query that runs in 20 ms (issue 13). A
    # DATABASE_URL with its own ?options= keeps them.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Parameters bound by the server, and a statement run five times on a connection prepared there: the
    # portal's hot statements (the session, the user, a booking's few rows) are then neither quoted in
    # Python nor parsed and planned again by PostgreSQL. In the booking burst this took a booking from
    # 12.6 to 10.1 ms of CPU (server and database, issue 13). Behind a pooler in transaction mode
    # (PgBouncer before 1.21) prepared statements do not survive: DJANGO_DB_PREPARE_THRESHOLD=off.
    _prepare = env.str("DJANGO_DB_PREPARE_THRESHOLD", default="5").strip().lower()
    DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
    if _prepare not in ("off", "none", "") and not _prepare.isdigit():
        raise ImproperlyConfigured("DJANGO_DB_PREPARE_THRESHOLD must be a whole number or 'off'.")
    DATABASES["default"]["OPTIONS"].setdefault(
        "prepare_threshold", int(_prepare) if _prepare.isdigit() else None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL and not (DEBUG or TESTING):
    raise ImproperlyConfigured(
        "REDIS_URL is not set. In production (DJANGO_DEBUG off) the cache and the Celery broker must be shared "
        "by every process: rate limits and lockouts counted in each process's own memory are no limits, and "
        "a filesystem broker reaches no other machine. Set REDIS_URL=redis://HOST:6379/0 (the cache uses the "
        "next database number, or REDIS_CACHE_URL); the in-process cache is for development only "
        "(DJANGO_DEBUG=true)."
    )


def _next_redis_db(url: str, step: int = 1) -> str:
    """The same Redis server, a later database number: the cache must never share the broker's database
    (clearing the cache would flush queued tasks)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{db + step}"))


# Tests run in parallel pytest-xdist workers ("gw0", "gw1", ...); each gets its own cache database so that
# one worker clearing its cache between tests cannot wipe another's rate-limit counters.
_TEST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) if TESTING else 0

if REDIS_URL:
    REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default=_next_redis_db(REDIS_URL, 1 + _TEST_WORKER))
    if REDIS_CACHE_URL.rstrip("/") == REDIS_URL.rstrip("/"):
        raise ImproperlyConfigured(
            "REDIS_CACHE_URL must name another Redis database than REDIS_URL (the broker)."
        )
    # Redis first; while Redis is unreachable the database table portal_cache_fallback answers (created by
    # migrate), so sign-in and its rate limits keep working and keep counting (portal.cache).
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.FailoverCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "zhaoxi",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": 5},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, with a channel that reports a closed connection as a connection error: the
    # worker reconnects after a broker outage instead of stopping on an AttributeError (portal/celery.py).
    CELERY_BROKER_TRANSPORT = "portal.celery:RedisTransport"
    # A request that queues a task while Redis is away waits a moment, not the default seconds: one
    # quick retry, then portal.tasks.publish gives up and the outbox scan sends the row later.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 1}
    CELERY_BROKER_CONNECTION_TIMEOUT = 1
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "zhaoxi"}}
    # kombu's filesystem transport: a broker that needs no server, shared by web, worker and beat.
    # Every folder it writes lives under VAR_DIR, the control folder too (kombu's default is ./control,
    # which put the exchange tables into the checkout).
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task still running when the broker connection is lost runs to its end (a send with the provider is not
# cut off halfway); its acknowledgement is lost with the connection and the message comes back after the
# visibility timeout, which the outbox's claims make harmless. Said here, Celery's default for now.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The outbox (portal.notify.services): how it rides out a dead worker, a slow provider and a lost task.
# The scan runs every NOTIFY_SCAN_SECONDS; a row "sending" for NOTIFY_STUCK_SECONDS was left by a dead
# worker (a send task is killed after NOTIFY_SEND_TIME_LIMIT, well before); an unknown outcome is asked
# about NOTIFY_SETTLE_SECONDS after the hand-over; a due row queued NOTIFY_REQUEUE_SECONDS ago and still
# pending lost its task and is queued again. Codes go to the NOTIFY_URGENT_QUEUE, which every worker
# consumes (``-Q urgent,celery``) and production gives a worker of its own.
NOTIFY_SCAN_SECONDS = env.int("ZHAOXI_NOTIFY_SCAN_SECONDS", default=30)
NOTIFY_SEND_TIME_LIMIT = env.int("ZHAOXI_NOTIFY_SEND_TIME_LIMIT", default=60)
NOTIFY_STUCK_SECONDS = env.int("ZHAOXI_NOTIFY_STUCK_SECONDS", default=120)
NOTIFY_SETTLE_SECONDS = env.int("ZHAOXI_NOTIFY_SETTLE_SECONDS", default=30)
NOTIFY_REQUEUE_SECONDS = env.int("ZHAOXI_NOTIFY_REQUEUE_SECONDS", default=60)
NOTIFY_URGENT_QUEUE = "urgent"
if min(NOTIFY_SCAN_SECONDS, NOTIFY_SEND_TIME_LIMIT, NOTIFY_SETTLE_SECONDS, NOTIFY_REQUEUE_SECONDS) < 1:
    raise ImproperlyConfigured("The ZHAOXI_NOTIFY_* intervals must be at least one second.")
if NOTIFY_STUCK_SECONDS <= NOTIFY_SEND_TIME_LIMIT:
    raise ImproperlyConfigured(
        "ZHAOXI_NOTIFY_STUCK_SECONDS must be longer than ZHAOXI_NOTIFY_SEND_TIME_LIMIT: a live send would "
        "be taken for a dead one."
    )
CELERY_BEAT_SCHEDULE = {
    # The outbox scan: recovers rows a dead worker left "sending", settles unknown outcomes, queues due
    # and lost sends. A scan nobody picked up in time is dropped (the next one does the same work).
    "notify-send-due": {
        "task": "portal.notify.tasks.send_due_messages",
        "schedule": float(NOTIFY_SCAN_SECONDS),
        "options": {"expires": max(1, NOTIFY_SCAN_SECONDS - 5)},
    },
    # Waitlist offers whose hold time has passed: expire them and offer the seat to the next person.
    "events-expire-offers": {
        "task": "events.tasks.expire_offers",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Session reminders: rows with due times in the database, claimed and sent exactly once.
    "events-send-reminders": {
        "task": "events.tasks.send_due_reminders",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Volunteer check-ins nobody checked out: closed two hours after the shift, hours flagged for review.
    "events-autoclose-shifts": {
        "task": "events.tasks.autoclose_shifts",
        "schedule": 15 * 60.0,
        "options": {"expires": 14 * 60},
    },
    # Elders (issue 11): risk levels and contact plans, the visit-and-call scan (due / overdue / not
    # reached), missed deliveries, birthday greetings. Daily at 07:30 Asia/Shanghai; safe to run twice.
    "elders-daily-outreach": {
        "task": "elders.tasks.daily_outreach",
        "schedule": __import__("celery.schedules", fromlist=["crontab"]).crontab(hour=7, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # Youth (issue 12): day-care children signed in and not signed out after the day's end; guardians
    # (safety message) and the organiser told once. Safe to run twice.
    "youth-pickup-overdue": {
        "task": "youth.tasks.pickup_overdue_scan",
        "schedule": 10 * 60.0,
        "options": {"expires": 9 * 60},
    },
}
# Days a visit or call may be late before the grid leader is told (elders.services.outreach).
ELDERS_CONTACT_GRACE_DAYS = env.int("ZHAOXI_ELDERS_CONTACT_GRACE_DAYS", default=3)
if ELDERS_CONTACT_GRACE_DAYS < 0:
    raise ImproperlyConfigured("ZHAOXI_ELDERS_CONTACT_GRACE_DAYS cannot be negative.")

# --- Authentication -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing cost is not what the tests measure.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-allauth: phone first, e-mail optional.
ACCOUNT_ADAPTER = "portal.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "signup": "portal.accounts.forms.SignupForm",
    "login": "portal.accounts.forms.LoginForm",
    "reset_password": "portal.accounts.forms.ResetPasswordForm",
    "verify_phone": "portal.accounts.forms.VerifyPhoneForm",
    "confirm_login_code": "portal.accounts.forms.ConfirmLoginCodeForm",
    "confirm_password_reset_code": "portal.accounts.forms.ConfirmPasswordResetCodeForm",
    "request_login_code": "portal.accounts.forms.RequestLoginCodeForm",
}
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email", "password1*", "password2*"]
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = True
# A code is valid for ACCOUNT_CODE_VALIDITY; allauth keeps its verification process alive a while longer
# so that a late code is answered "expired" at the field (portal.accounts.codes), not silently dropped.
ACCOUNT_CODE_VALIDITY = 10 * 60
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 60 * 60
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 60 * 60
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = 5
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT = 60 * 60
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
# Codes people type from a text message: six digits (elderly residents included).
_SMS_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = _SMS_CODE_FORMAT
ACCOUNT_LOGIN_BY_CODE_FORMAT = _SMS_CODE_FORMAT
ACCOUNT_PASSWORD_RESET_BY_CODE_CODE_FORMAT = _SMS_CODE_FORMAT
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, tightened for SMS which costs money per message. "key" is the phone number
    # or e-mail address the code goes to. Every sign-up sends a code, so "signup" never lets more through
    # from one address than "verify_phone" does (the check accounts.E001 fails otherwise), and a sign-up
    # whose code would be refused is refused before the account is saved (portal.accounts.forms).
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "5/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,1/m/key,10/d/key",
    "request_login_code": "20/m/ip,1/m/key,10/d/key",
    "verify_phone": "1/m/key,10/d/key,5/m/ip",
    "change_phone": "1/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Zhaoxi"
MFA_ADAPTER = "portal.accounts.adapter.MFAAdapter"  # staff keep their TOTP (portal.accounts.middleware)

# The client address that rate limits and lockouts count (portal.accounts.ratelimits.client_ip): behind
# N reverse proxies of our own, the address the nearest untrusted hop put into X-Forwarded-For; with 0
# the header is ignored (anyone can write it) and REMOTE_ADDR counts. Feeds allauth and axes alike.
TRUSTED_PROXY_COUNT = env.int("ZHAOXI_TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("ZHAOXI_TRUSTED_PROXY_COUNT must be 0 or more.")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# The SMS backend (portal.accounts.sms): "console" in development, "aliyun" in production.
SMS_BACKEND = env.str("SMS_BACKEND", default="portal.accounts.sms.ConsoleSMSBackend")
ALIYUN_SMS = {
    "ENDPOINT": env.str("ALIYUN_SMS_ENDPOINT", default="https://dysmsapi.aliyuncs.com/"),
    "ACCESS_KEY_ID": env.str("ALIYUN_SMS_ACCESS_KEY_ID", default=""),
    "ACCESS_KEY_SECRET": env.str("ALIYUN_SMS_ACCESS_KEY_SECRET", default=""),
    "SIGN_NAME": env.str("ALIYUN_SMS_SIGN_NAME", default=""),
    "TEMPLATE_CODE": env.str("ALIYUN_SMS_TEMPLATE_CODE", default=""),
    "REGION_ID": env.str("ALIYUN_SMS_REGION_ID", default="cn-hangzhou"),
    "TIMEOUT": env.float("ALIYUN_SMS_TIMEOUT", default=10.0),
}
# Approved SMS templates (模板): the verification code one takes the parameter {"code": ...}.
SMS_VERIFICATION_TEMPLATE_CODE = ALIYUN_SMS["TEMPLATE_CODE"]
SMS_PASSWORD_RESET_TEMPLATE_CODE = env.str("ALIYUN_SMS_RESET_TEMPLATE_CODE", default="")
# "Someone tried to sign up with your number" (no parameters), sent instead of a code to an existing account.
SMS_ACCOUNT_EXISTS_TEMPLATE_CODE = env.str("ALIYUN_SMS_ACCOUNT_EXISTS_TEMPLATE_CODE", default="")
if SMS_BACKEND.endswith("AliyunSMSBackend") and not TESTING:
    _missing = [
        k for k in ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SIGN_NAME", "TEMPLATE_CODE") if not ALIYUN_SMS[k]
    ]
    if _missing:
        raise ImproperlyConfigured(
            "SMS_BACKEND is Aliyun but these are not set: " + ", ".join(f"ALIYUN_SMS_{k}" for k in _missing)
        )

# django-axes: lock an account, and a client address, after repeated failed sign-ins (every sign-in is
# allauth's, the admin's included), until the cool-off has passed. The account is the phone in E.164 or
# the lower-cased e-mail, whichever form sent it; an attempt naming none counts for its address only.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=60.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = "portal.accounts.ratelimits.axes_lockout_parameters"
AXES_USERNAME_CALLABLE = "portal.accounts.ratelimits.axes_username"
AXES_CLIENT_IP_CALLABLE = "portal.accounts.ratelimits.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "portal.accounts.ratelimits.axes_lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

PHONENUMBER_DEFAULT_REGION = "CN"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A mail server that stops answering must not hold a send past the task's time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="永兴社区 <noreply@zhaoxi.local>")

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# ZHAOXI_EXTRA_LOCALE: a catalogue directory searched before the portal's own (translators try their work there).
LOCALE_PATHS = [
    *([Path(p)] if (p := env.str("ZHAOXI_EXTRA_LOCALE", default="")) else []),
    BASE_DIR / "locale",
]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_SIZE = 5 * 1024 * 1024  # any single uploaded file (portal.uploads.validate_upload_size)
# Roster imports in the admin (django-import-export): preview first, then all rows or none.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Exports: CSV, Excel and TSV only, through portal.exports (every cell starting with = + - @ tab CR LF is
# neutralised; the library's own ESCAPE_FORMULAE setting only drops one "=" and stays off).
from portal.exports import FORMATS as _EXPORT_FORMATS  # noqa: E402 (the setting holds classes)

IMPORT_EXPORT_FORMATS = list(_EXPORT_FORMATS)
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SILENCED_SYSTEM_CHECKS = env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[])

# Content Security Policy: everything is served by the portal itself; no inline scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "zhaoxi.sms": {"level": "INFO"},
    },
}

# --- Portal ---------------------------------------------------------------------------------------
# Empty: the translated name of the demo community ("Yongxing Community" / 永兴社区).
COMMUNITY_NAME = env.str("ZHAOXI_COMMUNITY_NAME", default="")
# The residents' committee's contact on the home page (empty: the translated default text; no phone shown).
COMMUNITY_ADDRESS = env.str("ZHAOXI_COMMUNITY_ADDRESS", default="")
COMMUNITY_PHONE = env.str("ZHAOXI_COMMUNITY_PHONE", default="")
COMMUNITY_OFFICE_HOURS = env.str("ZHAOXI_COMMUNITY_OFFICE_HOURS", default="")
PRIVACY_NOTICE_VERSION = env.str("ZHAOXI_PRIVACY_NOTICE_VERSION", default="2026-11")
# Searches by phone digits of the roles that do not need residents' numbers (portal.community.selectors):
# allauth's rate syntax, per user ("30/10m/user": 30 searches in 10 minutes).
PHONE_SEARCH_RATE_LIMIT = env.str("ZHAOXI_PHONE_SEARCH_RATE_LIMIT", default="30/10m/user,200/1d/user")
ELDER_MODE_COOKIE = "zhaoxi_elder_mode"
