"""Settings for the practice application: one file, read from the environment.

Secure by default: DEBUG is off unless asked for, every secret is required, and HTTPS-only
cookies and HSTS are on unless DEBUG is on. See README.md for each variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from practice.env import (
    env_bool,
    env_int,
    env_key,
    env_keyring,
    env_list,
    env_str,
    load_env_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# A local key/settings file (written by `make run` for development, or placed by the
# deployment as a key file). Real environment variables take precedence.
_env_file = os.environ.get("PRACTICE_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file:
    load_env_file(Path(_env_file))

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long.")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

PRACTICE_NAME = env_str("PRACTICE_NAME", default="Demo Counselling Service")

# The audit chain's HMAC key lives outside the database and apart from SECRET_KEY, so
# someone who can write to the database cannot forge or re-chain audit events.
AUDIT_HMAC_KEY = env_key("AUDIT_HMAC_KEY")
if SECRET_KEY.encode() == AUDIT_HMAC_KEY:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must not be the same as DJANGO_SECRET_KEY.")
# Service managers review the trail every AUDIT_REVIEW_INTERVAL_DAYS (quarterly by default);
# `manage.py archive_audit` moves events older than AUDIT_ARCHIVE_AFTER_YEARS out to a file.
AUDIT_REVIEW_INTERVAL_DAYS = env_int("AUDIT_REVIEW_INTERVAL_DAYS", default=91, minimum=1)
AUDIT_ARCHIVE_AFTER_YEARS = env_int("AUDIT_ARCHIVE_AFTER_YEARS", default=8, minimum=1)

# Master keys for the envelope encryption of client records (first encrypts, all decrypt),
# and the key for exact-match blind indexes. None of them is ever stored in the database.
IDENTITY_MASTER_KEYS = env_keyring("IDENTITY_MASTER_KEYS")
CLINICAL_MASTER_KEYS = env_keyring("CLINICAL_MASTER_KEYS")
BLIND_INDEX_KEY = env_key("BLIND_INDEX_KEY")
_all_keys = [key for _, key in IDENTITY_MASTER_KEYS + CLINICAL_MASTER_KEYS]
_all_keys += [BLIND_INDEX_KEY, AUDIT_HMAC_KEY]
if len(set(_all_keys)) != len(_all_keys):
    raise ImproperlyConfigured(
        "IDENTITY_MASTER_KEYS, CLINICAL_MASTER_KEYS, BLIND_INDEX_KEY and AUDIT_HMAC_KEY "
        "must all be different keys."
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_email",
    "axes",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "practice.accounts",
    "practice.audit",
    "practice.crypto",
    "clients",
    "notes",
    "consent",
    "disclosures",
    "practice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "practice.crypto.middleware.KeyCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "practice.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "practice.middleware.DecryptionFailureMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "practice.middleware.IdleTimeoutMiddleware",
    "practice.middleware.RequireVerifiedUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "practice.urls"
WSGI_APPLICATION = "practice.wsgi.application"
ASGI_APPLICATION = "practice.asgi.application"

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
                "practice.context_processors.practice",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer rather than failing at once when two requests write together.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out username+IP is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# Sessions: server-side, ended after SESSION_IDLE_SECONDS without activity (the policies ask
# for screens to lock when the practitioner is away), and after SESSION_COOKIE_AGE at most.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", default=15 * 60, minimum=60)
SESSION_IDLE_WARNING_SECONDS = min(120, SESSION_IDLE_SECONDS // 2)
SESSION_COOKIE_AGE = env_int("SESSION_MAX_AGE_SECONDS", default=12 * 60 * 60, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# django-axes: lock a username+IP pair after 5 failures (wrong passwords and wrong codes) for
# 15 minutes. Codes and CSRF tokens are masked in the attempts it stores.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "practice.accounts.ip.client_ip"
AXES_LOCKOUT_CALLABLE = "practice.accounts.views.locked_out"
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "otp_token",
    "password",
    "csrfmiddlewaretoken",
]
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Behind a reverse proxy, how many proxies append to X-Forwarded-For (0: trust REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0, minimum=0)

OTP_TOTP_ISSUER = PRACTICE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_TOTP_THROTTLE_FACTOR = 1

# Background work (django-tasks, database backend: no extra service). Task arguments are stored
# in plain text, so tasks take ids only. Large disclosure packs render in the worker
# (`manage.py db_worker`), never in a web request.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
RELEASE_IN_BACKGROUND_OVER_ITEMS = env_int(
    "RELEASE_IN_BACKGROUND_OVER_ITEMS", default=40, minimum=0
)
RENDER_TIME_LIMIT_SECONDS = env_int("RENDER_TIME_LIMIT_SECONDS", default=600, minimum=10)

# Retention (DESIGN.md section 7): closed cases are due for destruction this many years after
# counselling ended, or at a minor client's RETENTION_MINOR_UNTIL_AGE-th birthday if that is
# later. `manage.py apply_retention` (cron) carries it out once a manager has approved.
RETENTION_YEARS = env_int("RETENTION_YEARS", default=7, minimum=1)
RETENTION_MINOR_UNTIL_AGE = env_int("RETENTION_MINOR_UNTIL_AGE", default=25, minimum=18)

# The owner model for per-client keys (rotate_client_keys --client REF looks it up).
CRYPTO_OWNER_MODEL = "clients.Client"

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
if not DEBUG:
    # The __Host- prefix pins cookies to this host, HTTPS only, path /.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
if env_bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("PRACTICE_TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="no-reply@practice.invalid")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SILENCED_SYSTEM_CHECKS: list[str] = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request bodies never reach the log: errors are logged without POST data.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
