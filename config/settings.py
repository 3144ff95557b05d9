"""Barnraise settings.

Every deploy-time choice is read from the environment here, and only here.
With nothing set, the site runs on its embedded defaults: a SQLite file, the
in-memory channel layer, console email and inline background tasks.
See README.md ("Configuration") for the variables.
"""

import ipaddress
import json
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def mailers(url: str) -> dict[str, dict[str, object]]:
    """Translate EMAIL_URL (console://, locmem://, smtp://user:pass@host:port, smtps://…) to MAILERS."""
    parts = urlsplit(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ValueError(f"EMAIL_URL scheme must be one of {sorted(backends)}")
    config: dict[str, object] = {"BACKEND": backends[parts.scheme]}
    if parts.scheme.startswith("smtp"):
        tls = parse_qs(parts.query).get("tls", ["1"])[0] != "0"
        config["OPTIONS"] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if parts.scheme == "smtps" else 587),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": parts.scheme == "smtps",
            "use_tls": parts.scheme == "smtp" and tls,
            "timeout": 20,
        }
    return {"default": config}


DEBUG = env_bool("DEBUG", default=False)
# Behind HTTPS in production: secure cookies, HSTS and redirects. Off by default so
# the embedded site on http://127.0.0.1:8000 keeps working (cookies must be sent).
HTTPS = env_bool("HTTPS", default=False)

# Signing key. Production sets SECRET_KEY; the embedded default generates a random key on
# first run and keeps it outside the source, beside the SQLite file (config/secret_key.py).
SQLITE_PATH = os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if HTTPS:
        raise RuntimeError("Set SECRET_KEY when HTTPS is on (production): a long random value, kept secret.")
    SECRET_KEY_FILE = Path(os.environ.get("SECRET_KEY_FILE") or Path(SQLITE_PATH).parent / ".secret_key")
    SECRET_KEY = secret_key.load_or_create(SECRET_KEY_FILE)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Reverse proxies whose X-Forwarded-For is believed (forum/proxies.py, docs/deploy.md): their
# addresses or networks, and/or how many stand in front. Unset: the peer is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo fails at startup, not on every request
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or 0)
# allauth's own reading of X-Forwarded-For believes any peer; the account adapter's
# get_client_ip (allauth's only caller) uses forum.proxies.client_address instead.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Vendor single sign-on (docs/vendors.md): one allauth OpenID Connect app per vendor.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "taggit",
    "channels",
    "ninja",
    "django_tasks_db",
    "forum",
    "swarm",
]

MIDDLEWARE = [
    "forum.requestlog.RequestIdMiddleware",  # first: every later log line carries the request id
    "forum.metrics.RequestMetrics",  # times everything below
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "forum.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (Django's documented place): picks the language from the
    # language cookie (the footer's picker, Django's set_language view), else Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "forum.middleware.InvisibleCharactersMiddleware",  # no bidi controls in any form input
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "forum.middleware.UserPreferencesMiddleware",  # the signed-in person's time zone and language
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "forum.mfa.AdminTwoFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
                "forum.context_processors.site",
            ],
        },
    }
]

# Database: PostgreSQL via DATABASE_URL, else a SQLite file in the project folder.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        # No persistent connections, as Django advises under ASGI: each request runs in a thread of
        # its own, so a kept connection stays with a thread that is not reused. With 60 s, the
        # soak's two processes reached PostgreSQL's 100 connections ("too many clients already").
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")), conn_health_checks=True
        )
    }
    # A database that does not answer fails the request within seconds (a 503), not a minute.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
    )
    # PostgreSQL: a pool per process instead, so a request borrows an open connection rather than
    # opening one (7.6 ms on a loaded 2-core machine, bench/RESULTS.md) and a process never holds
    # more than DB_POOL_MAX. config.db is Django's backend with a pool that recovers from a
    # database restart within a second (docs/deploy.md). DB_POOL_MAX=0 turns it off.
    DB_POOL_MAX = int(os.environ.get("DB_POOL_MAX", "10"))
    if DB_POOL_MAX > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        if DATABASES["default"]["CONN_MAX_AGE"]:
            raise ImproperlyConfigured("DB_CONN_MAX_AGE must be 0 with the connection pool (or set DB_POOL_MAX=0)")
        DATABASES["default"]["ENGINE"] = "config.db"
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(int(os.environ.get("DB_POOL_MIN", "2")), DB_POOL_MAX),
            "max_size": DB_POOL_MAX,
            # A request that finds every connection busy this long answers a 503 (Retry-After).
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "5")),
            # Connections above min_size close after a minute unused; every one is renewed hourly.
            "max_idle": 60.0,
            "max_lifetime": 3600.0,
            # A lost connection is retried every 0.5 s this long, then opened again on demand.
            "reconnect_timeout": 30.0,
            "name": "barnraise",
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue
                # instead of failing, and per-thread sequence numbers commit in order.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so server processes started by the tests share it.
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: Redis via REDIS_URL, else in-memory (one process only).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 gives every connection a 5 s read timeout and every pool 100 connections.
                # channels-redis waits for messages with a 5 s BZPOPMIN, so an answer that came a moment
                # late (a busy machine, a slow Redis) timed out in the client and closed all of a
                # process's sockets with 1011; and a burst of over 100 group operations in one process
                # failed at once with "Too many connections". The read timeout leaves a margin over
                # the 5 s wait; the pool is sized for bursts (docs/deploy.md has the arithmetic).
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": float(os.environ.get("CHANNEL_REDIS_SOCKET_TIMEOUT", "10")),
                        "max_connections": int(os.environ.get("CHANNEL_REDIS_MAX_CONNECTIONS", "1000")),
                    }
                ],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Room for the thread page's post fragments (forum/fragments.py): the default 300 entries would
    # evict a long thread's posts while it renders.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 20_000}}
    }

# The thread page's "Similar threads" search result (ids only) is reused this long per thread and title.
SIMILAR_THREADS_CACHE_SECONDS = int(os.environ.get("SIMILAR_THREADS_CACHE_SECONDS", "900"))
# A post's shared HTML fragment (forum/fragments.py) stays cached this long after its last render; an
# edit, moderation or rename changes its key, so this only bounds the memory old versions hold.
# An hour bounds the cache to about an hour of posts (one key per post version and language): Redis
# runs with noeviction for the channel layer, so this cache must not grow with a day's posts (soak run 5).
POST_FRAGMENT_CACHE_SECONDS = int(os.environ.get("POST_FRAGMENT_CACHE_SECONDS", "3600"))

# Background work: Django's tasks framework, stored in the database (django-tasks-db) and run by
# `manage.py run_worker` (docs/worker.md). TASKS_BACKEND overrides (the immediate backend runs inline).
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
WORKER_HEARTBEAT = float(os.environ.get("WORKER_HEARTBEAT", "5"))  # seconds between heartbeats
WORKER_LEASE = float(os.environ.get("WORKER_LEASE", "60"))  # silent this long: its RUNNING tasks run again
TASK_MAX_ATTEMPTS = int(os.environ.get("TASK_MAX_ATTEMPTS", "6"))  # then the task stays FAILED
TASK_RETRY_BASE = float(os.environ.get("TASK_RETRY_BASE", "10"))  # seconds; doubles per attempt, with jitter
TASK_RETRY_MAX = float(os.environ.get("TASK_RETRY_MAX", "3600"))
DIGEST_HOUR_UTC = int(os.environ.get("DIGEST_HOUR_UTC", "6"))  # the daily digest goes out in this UTC hour

# /readyz: also require a worker heartbeat younger than READYZ_WORKER_MAX_AGE seconds (needs REDIS_URL,
# so web and worker share the cache). Off by default: the embedded site may run without a worker.
READYZ_REQUIRE_WORKER = env_bool("READYZ_REQUIRE_WORKER", default=False)
READYZ_WORKER_MAX_AGE = float(os.environ.get("READYZ_WORKER_MAX_AGE", "60"))

# /metrics (Prometheus): readable from these addresses or networks, or with "Authorization: Bearer
# METRICS_TOKEN". Neither set: /metrics is not found. PROMETHEUS_MULTIPROC_DIR (read by prometheus-client)
# makes every process on the host report through any one of them.
METRICS_ALLOWED_IPS = [str(ipaddress.ip_network(net, strict=False)) for net in env_list("METRICS_ALLOWED_IPS")]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

AUTH_USER_MODEL = "forum.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
SITE_ID = 1

# django-allauth
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "forum.adapters.AccountAdapter"
# Two-factor sign-in (allauth.mfa): authenticator apps with recovery codes, and security keys.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Barnraise"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not HTTPS  # the embedded site runs on http://127.0.0.1
# Site admins and vendor admins must set up a second factor before admin-only pages. On in
# production (HTTPS); off in the embedded demo so its documented logins keep working.
MFA_REQUIRED_FOR_ADMINS = env_bool("MFA_REQUIRED_FOR_ADMINS", default=HTTPS)
# Vendors joining (docs/vendors.md): the DNS server asked for TXT proofs (empty: the system's
# resolvers), how long a mailed proof link lives, and whether a site admin approves each new vendor.
VENDOR_DNS_RESOLVER = os.environ.get("VENDOR_DNS_RESOLVER", "")
VENDOR_DNS_PORT = int(os.environ.get("VENDOR_DNS_PORT", "53"))
VENDOR_DNS_TIMEOUT = float(os.environ.get("VENDOR_DNS_TIMEOUT", "5"))
VENDOR_EMAIL_PROOF_MAX_AGE = int(os.environ.get("VENDOR_EMAIL_PROOF_MAX_AGE", str(2 * 24 * 3600)))
VENDOR_APPROVAL_REQUIRED = env_bool("VENDOR_APPROVAL_REQUIRED", default=False)
# Vendor single sign-on: staff status granted by a vendor's identity provider lasts this many
# seconds after the provider last vouched (a sign-in through it renews it), so someone removed at
# the provider loses the badge within this time even if they never sign in again.
VENDOR_SSO_MAX_AGE = int(os.environ.get("VENDOR_SSO_MAX_AGE", str(12 * 3600)))
# Identity providers are asked from the server, so their addresses must be public; loopback
# (http://127.0.0.1) only for development and tests.
VENDOR_SSO_ALLOW_LOOPBACK = env_bool("VENDOR_SSO_ALLOW_LOOPBACK", default=DEBUG)
VENDOR_SSO_TIMEOUT = float(os.environ.get("VENDOR_SSO_TIMEOUT", "5"))
SOCIALACCOUNT_ADAPTER = "forum.sso.SocialAccountAdapter"
SOCIALACCOUNT_REQUESTS_TIMEOUT = VENDOR_SSO_TIMEOUT
# Only vendors' own identity providers sign people in, each for its proven domains (forum/sso.py
# decides which addresses it may vouch for); sign-up through one never asks for more fields.
SOCIALACCOUNT_AUTO_SIGNUP = True
# An existing account at one of the vendor's proven addresses is signed in and linked to the provider
# (forum.sso.SocialAccountAdapter.can_authenticate_by_email allows nothing else).
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Barnraise] "
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Barnraise <noreply@barnraise.localhost>")

MAILERS = mailers(os.environ.get("EMAIL_URL", "console://"))

# Answering by email (docs/email.md): notification emails carry a signed reply address
# reply+…@REPLY_EMAIL_DOMAIN; unset, they carry none. The site's MTA hands mail for those
# addresses to `manage.py mail_gateway` (SMTP on this loopback host and port) or `mail_receive`.
REPLY_EMAIL_DOMAIN = os.environ.get("REPLY_EMAIL_DOMAIN", "").strip().lower()
MAIL_GATEWAY_HOST = os.environ.get("MAIL_GATEWAY_HOST", "127.0.0.1")
MAIL_GATEWAY_PORT = int(os.environ.get("MAIL_GATEWAY_PORT", "2525"))
MAIL_GATEWAY_MAX_BYTES = int(os.environ.get("MAIL_GATEWAY_MAX_BYTES", str(25 * 1024 * 1024)))

# taggit
TAGGIT_CASE_INSENSITIVE = True

# Languages (docs/i18n.md): English plus complete German and Spanish catalogs in locale/, compiled to .mo
# by `manage.py compile_catalogs` (pure Python, no GNU gettext needed). URLs carry no language prefix:
# they are stable, so the language comes from the account, the picker's cookie or Accept-Language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, gzip- and brotli-compressed copies from collectstatic, served with a year-long immutable
    # cache (config/storage.py); plain names in DEBUG.
    "staticfiles": {
        "BACKEND": (
            "config.storage.StaticStorage" if not DEBUG else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve files straight from the finders while collectstatic has not been run (tests, a fresh checkout).
WHITENOISE_USE_FINDERS = DEBUG or not (STATIC_ROOT / "staticfiles.json").exists()
WHITENOISE_AUTOREFRESH = DEBUG
# Source maps (megabytes, fetched only by developer tools) are not worth a slow brotli pass at collectstatic.
from whitenoise.compress import Compressor  # noqa: E402  (its default list, plus source maps)

WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# Uploaded images: on disk under MEDIA_ROOT by default; object storage in production by naming
# a storage class (e.g. storages.backends.s3.S3Storage) and its options as JSON.
if os.environ.get("MEDIA_STORAGE_BACKEND"):
    STORAGES["default"] = {
        "BACKEND": os.environ["MEDIA_STORAGE_BACKEND"],
        "OPTIONS": json.loads(os.environ.get("MEDIA_STORAGE_OPTIONS", "{}")),
    }
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Security. Cookies are HttpOnly always; Secure only behind HTTPS.
SESSION_COOKIE_HTTPONLY = True
# Sessions stay in the database (Django's default). The cached_db engine would save a query per
# page, but it re-raises a Redis outage from load(), and pages must keep working without Redis.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Logs: plain text for people (development), one JSON object per line for machines (LOG_FORMAT=json in
# production). Every line carries the request id (forum/requestlog.py; "-" outside a request).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ValueError("LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "forum.requestlog.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "django.tasks": {"level": "WARNING"}},
}

# Barnraise
BARNRAISE = {
    "THREADS_PER_PAGE": 30,
    "MAX_TAGS": 5,
    "TITLE_MAX": 200,
    "BODY_MAX": 50_000,
    # Reputation needed for each privilege (moderators have them all).
    "PRIVILEGES": {
        "flag_to_hide": 15,
        "retag": 500,
        "mark_duplicate": 1000,
        # Draft a knowledge article from a solved thread (vendors' staff may on their threads anyway).
        "draft_article": 500,
    },
    # Points and anti-farming rules (docs/reputation.md).
    "REPUTATION": {
        "UPVOTE": 10,
        "ACCEPTED": 15,
        "ACCEPTER": 2,
        "NEW_VOTER_DAYS": 7,
        "NEW_VOTER_MIN_REPUTATION": 15,
        "PAIR_WINDOW_DAYS": 30,
        "PAIR_MAX_VOTES": 5,
    },
    # Reputation from which a name carries the "Expert" label (lists, posts, profiles).
    "EXPERT_REPUTATION": int(os.environ.get("EXPERT_REPUTATION", "1000")),
    # A claim with no staff activity for this long returns to the vendor's inbox.
    "CLAIM_IDLE_HOURS": float(os.environ.get("CLAIM_IDLE_HOURS", "24")),
    # Images on a post: how many, bytes each, pixels each (decompression bombs).
    "ATTACHMENTS_PER_POST": 4,
    "ATTACHMENT_MAX_BYTES": 5 * 1024 * 1024,
    "ATTACHMENT_MAX_PIXELS": 25_000_000,
    # Images decoded at once per process (memory and CPU), and how long an upload waits for a turn.
    "IMAGE_DECODES_AT_ONCE": int(os.environ.get("IMAGE_DECODES_AT_ONCE", "2")),
    "IMAGE_DECODE_WAIT": 10.0,
    # Moderation: trusted flags that hide a post pending review; accounts this young with
    # fewer than 3 approved posts wait for review when they post a link.
    "FLAGS_TO_HIDE": 3,
    "NEW_ACCOUNT_DAYS": 3,
    # Per-user limits checked inside the actions (forum.ratelimit): action -> (count, seconds).
    "RATE_LIMITS": {
        "thread": (5, 300),
        "reply": (20, 300),
        "edit": (20, 300),
        "vote": (60, 60),
        "flag": (20, 600),
        "article": (10, 3600),  # article drafts per person
        # Suggestions opened from /ask/ (self-service beacon), per person and per client address.
        "suggestion_open": (30, 3600),
        # Content-gap beacons from the search page, per client address (no person is kept).
        "content_gap": (60, 3600),
        "metoo": (10, 600),
        "account_delete": (5, 900),  # password re-entries on the delete-account form, per person
        "vendor_proof_email": (5, 3600),  # proof links mailed per applicant
        # The composer (docs/composer.md): live previews and @mention look-ups, per person.
        "preview": (60, 60),
        "mention_suggest": (120, 60),
    },
    # Staff get at most one "me too" email per thread in this many minutes; the bell still updates.
    "METOO_EMAIL_WINDOW_MINUTES": int(os.environ.get("METOO_EMAIL_WINDOW_MINUTES", "60")),
    # The vendor page's 30/90-day figures are cached this long (0: not cached); changes to escalations drop them.
    "VENDOR_FIGURES_CACHE_SECONDS": int(os.environ.get("VENDOR_FIGURES_CACHE_SECONDS", "60")),
}
CSRF_FAILURE_VIEW = "forum.views.errors.csrf_failure"

# REST API and webhooks (docs/api.md)
# Requests per minute, counted per user (all their tokens and their session together),
# per vendor (all its keys together) and per address for visitors.
API_RATE_LIMIT = (int(os.environ.get("API_RATE_LIMIT", "600")), 60)
API_TOKENS_PER_USER = int(os.environ.get("API_TOKENS_PER_USER", "10"))  # active personal tokens
API_KEYS_PER_VENDOR = int(os.environ.get("API_KEYS_PER_VENDOR", "10"))  # active vendor API keys
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", default=DEBUG)  # http://127.0.0.1 for development
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
WEBHOOK_BACKOFF_BASE = float(os.environ.get("WEBHOOK_BACKOFF_BASE", "10"))
WEBHOOK_BACKOFF_MAX = float(os.environ.get("WEBHOOK_BACKOFF_MAX", "3600"))
WEBHOOK_GIVE_UP_AFTER = float(os.environ.get("WEBHOOK_GIVE_UP_AFTER", str(24 * 3600)))
