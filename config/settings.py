"""Callbook settings: one module, configured by environment variables.

Every variable is documented in `.env.example`.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_bool("DEBUG", default=False)

# .env.example's placeholder and the development key below: never in production.
PLACEHOLDER_SECRET_KEY_PREFIXES = ("change-me", "django-insecure-")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or set DEBUG=true "
            "for local development (see .env.example)."
        )
    SECRET_KEY = "django-insecure-callbook-development-only"
elif not DEBUG and SECRET_KEY.startswith(PLACEHOLDER_SECRET_KEY_PREFIXES):
    raise ImproperlyConfigured(
        "SECRET_KEY is still the placeholder from .env.example. Set a long random "
        'string of your own: python -c "import secrets; '
        'print(secrets.token_urlsafe(50))"'
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # daphne's runserver serves HTTP and the live notebook's WebSockets (`make run`).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "django.contrib.postgres",
    "markdownx",
    "simple_history",
    "pagecache",
    "ratelimits",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "people",
    "meetings",
    "agenda",
    "accounts",
    "django_tasks",
    "django_tasks_db",
    "notices",
]

MIDDLEWARE = [
    "config.middleware.QueryCountHeaderMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the page cache, so that pages served from it carry the header too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Stored public pages go out here, before sessions, CSRF, auth and messages.
    "pagecache.caching.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
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
                "meetings.context_processors.community",
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL points elsewhere (PostgreSQL in
# production). Persistent connections with health checks for PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_from_url(url: str) -> dict:
    """CACHES["default"] from a URL: db://TABLE, redis[s]://..., locmem://, dummy://."""
    scheme, _sep, rest = url.partition("://")
    backends = {
        "db": "django.core.cache.backends.db.DatabaseCache",
        "redis": "django.core.cache.backends.redis.RedisCache",
        "rediss": "django.core.cache.backends.redis.RedisCache",
        "locmem": "django.core.cache.backends.locmem.LocMemCache",
        "dummy": "django.core.cache.backends.dummy.DummyCache",
    }
    if scheme not in backends:
        raise ImproperlyConfigured(
            f"CACHE_URL {url!r}: use db://TABLE, redis://HOST:PORT/DB, locmem:// or "
            "dummy://."
        )
    config = {"BACKEND": backends[scheme], "KEY_PREFIX": "callbook"}
    if scheme == "db":
        config["LOCATION"] = rest or "callbook_cache"
        config["OPTIONS"] = {"MAX_ENTRIES": 20000}
    elif scheme.startswith("redis"):
        config["LOCATION"] = url
    return config


# The cache lives outside the app process so that any number of app servers share
# it: CACHE_URL when set, else Redis at REDIS_URL (production's shape: one Redis for
# the cache and the notebook's channel layer), else the database (`manage.py
# createcachetable` creates the table). Development and tests use process memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": cache_from_url(
        os.environ.get("CACHE_URL")
        or ("locmem://" if DEBUG else REDIS_URL or "db://callbook_cache")
    )
}
# Finalized meeting pages, the archive, people pages and feeds are served from the
# cache to anonymous visitors (pagecache/caching.py); PAGE_CACHE=false turns it off.
PAGE_CACHE = env_bool("PAGE_CACHE", default=True)
# A finalized call's notes rendered once and stored until a write changes them
# (meetings/published.py); false renders them on every uncached view.
PUBLISHED_PAGES = env_bool("PUBLISHED_PAGES", default=True)
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "86400"))
# Pages that depend on the clock (home, a call's page before and during the call)
# keep their parts this long, keyed by the site stamp too; 0 renders every time.
CLOCK_CACHE_SECONDS = int(os.environ.get("CLOCK_CACHE_SECONDS", "60"))
# Reuse the generation stamp this many seconds per process instead of reading it
# on every request (0: read every time, so a write shows everywhere at once).
PAGE_CACHE_STAMP_SECONDS = float(os.environ.get("PAGE_CACHE_STAMP_SECONDS", "0"))
# On PostgreSQL, each app process LISTENs for changes on one extra connection and
# reads the stamp only after one (pagecache/caching.py). Off behind a PgBouncer in
# transaction mode, and in development and tests.
PAGE_CACHE_LISTEN = env_bool("PAGE_CACHE_LISTEN", default=not DEBUG)
# Sessions stay in the database (Django's default): no app server keeps state.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
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

# In development WhiteNoise serves from the app folders; fixed here because the test
# runner flips settings.DEBUG off at run time.
WHITENOISE_AUTOREFRESH = DEBUG

# Sign-in -----------------------------------------------------------------------
# People sign in with GitHub (django-allauth, see README); a password works only
# for superusers (the break-glass account), or all staff with PASSWORD_LOGIN=staff.
LOGIN_URL = "account_login"
# Where a login goes when its `next` is missing or refused (another site's address).
LOGIN_REDIRECT_URL = "admin:index"
AUTHENTICATION_BACKENDS = ["accounts.backends.BreakGlassBackend"]
PASSWORD_LOGIN = os.environ.get("PASSWORD_LOGIN", "superusers")
# The OAuth app registered on GitHub (callback: https://HOST/accounts/github/login/callback/).
GITHUB_CLIENT_ID = os.environ.get("GITHUB_CLIENT_ID", "")
GITHUB_CLIENT_SECRET = os.environ.get("GITHUB_CLIENT_SECRET", "")
# GitHub Enterprise Server: its address; the API is GITHUB_URL/api/v3 unless set.
GITHUB_URL = os.environ.get("GITHUB_URL", "https://github.com")
GITHUB_API_URL = os.environ.get("GITHUB_API_URL", "")
# Maintainer rights only for members of this organization ("org") or team
# ("org/team"), checked at every sign-in. Empty: any person granted the role.
MAINTAINER_GITHUB_ORG = os.environ.get("MAINTAINER_GITHUB_ORG", "")
# Development only: "sign in as <handle>" without GitHub, for `make run` offline.
# `manage.py check --deploy` fails when it is on with DEBUG off.
DEV_SIGN_IN = env_bool("DEV_SIGN_IN", default=DEBUG)

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the GitHub button is a POST form
SOCIALACCOUNT_STORE_TOKENS = False  # no feature needs the token after sign-in
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_PROVIDERS = {
    "github": {
        "provider_class": "accounts.github.GitHubProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [{"client_id": GITHUB_CLIENT_ID, "secret": GITHUB_CLIENT_SECRET}]
            if GITHUB_CLIENT_ID
            else []
        ),
    }
}

# The live notebook: ASGI (Channels) with a channel layer shared by every app server
# (Redis at REDIS_URL); without it one process keeps the layer in memory (`make run`).
ASGI_APPLICATION = "config.asgi.application"
CHANNEL_LAYERS = {
    "default": (
        {
            # Pub/sub: fan-out only; every update is already stored in PostgreSQL.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}
# Off: the notebook is the plain form (no WebSocket, no live editor).
NOTEBOOK_LIVE = env_bool("NOTEBOOK_LIVE", default=True)
# Read-only live views of one call open at once from one client address.
NOTEBOOK_FOLLOWERS_PER_ADDRESS = int(
    os.environ.get("NOTEBOOK_FOLLOWERS_PER_ADDRESS", "10")
)
# Followers get the notes re-rendered at most this often (seconds) per app process.
# The live notebook's own database threads per process (each holds one connection
# while busy, none after NOTEBOOK_DB_IDLE_SECONDS without work).
NOTEBOOK_DB_THREADS = int(os.environ.get("NOTEBOOK_DB_THREADS", "3"))
NOTEBOOK_DB_IDLE_SECONDS = float(os.environ.get("NOTEBOOK_DB_IDLE_SECONDS", "2"))
NOTEBOOK_FOLLOW_RENDER_SECONDS = float(
    os.environ.get("NOTEBOOK_FOLLOW_RENDER_SECONDS", "0.3")
)
# The community's own face: its name on every page, logo, favicon, accent colour and
# the links of the site's header and footer (see .env.example).
COMMUNITY_NAME = os.environ.get("COMMUNITY_NAME", "").strip() or "Callbook"
COMMUNITY_TAGLINE = os.environ.get(
    "COMMUNITY_TAGLINE", "Agendas, notes and the archive of our public calls."
).strip()
COMMUNITY_LOGO_URL = os.environ.get("COMMUNITY_LOGO_URL", "").strip()
COMMUNITY_FAVICON_URL = os.environ.get("COMMUNITY_FAVICON_URL", "").strip()
COMMUNITY_ACCENT_COLOR = os.environ.get("COMMUNITY_ACCENT_COLOR", "#0b5cad").strip()
# "Label=https://url" pairs separated by ";", e.g. "GitHub=https://github.com/org".
COMMUNITY_LINKS = os.environ.get("COMMUNITY_LINKS", "").strip()

# Agenda proposals accepted per client address per hour (the next gets a 429 page).
PROPOSALS_PER_HOUR = int(os.environ.get("PROPOSALS_PER_HOUR", "5"))
# A proposer's private link (edit, withdraw, see the MC's answer) works this many
# days after it was given.
PROPOSAL_LINK_DAYS = int(os.environ.get("PROPOSAL_LINK_DAYS", "60"))
# Addresses or networks of the proxies in front of the app (comma-separated, e.g.
# 127.0.0.1,10.0.0.0/8). Only when a request comes from one of them is the visitor's
# address read from X-Forwarded-For, for the proposal and check-in limits
# (ratelimits/services.py); from anyone else the header is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# A public request body larger than this is refused with a clear 400 page.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(
    os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", "262144")
)

# The markdownx editor previews through Callbook's sanitizing renderer; it reads this
# once at import time, so it must be set here and not patched later.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "meetings.markdown.render_markdown"
MARKDOWNX_URLS_PATH = "/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/markdownx/upload/"
MARKDOWNX_UPLOAD_MAX_SIZE = 0

# Notices (notices/): e-mail through SMTP, printed to the console in development.
# The public address of the site, for the links in notices (no trailing slash).
SITE_URL = os.environ.get(
    "SITE_URL", "http://127.0.0.1:8000" if DEBUG else "https://calls.example.org"
).rstrip("/")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Callbook <calls@example.org>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# When each timed notice is due, before the call or in the week.
NOTICES_DIGEST_LEAD_HOURS = float(os.environ.get("NOTICES_DIGEST_LEAD_HOURS", "24"))
NOTICES_NEXT_MC_LEAD_HOURS = float(os.environ.get("NOTICES_NEXT_MC_LEAD_HOURS", "48"))
# The weekly action-item digest: weekday (0 = Monday) and hour, UTC.
NOTICES_ACTION_DIGEST_WEEKDAY = int(
    os.environ.get("NOTICES_ACTION_DIGEST_WEEKDAY", "0")
)
NOTICES_ACTION_DIGEST_HOUR = int(os.environ.get("NOTICES_ACTION_DIGEST_HOUR", "8"))
# Delivery: a claimed notice is another worker's to retry after the lease; failures
# wait NOTICES_RETRY_SECONDS, doubled per attempt (at most 6 hours), up to
# NOTICES_MAX_ATTEMPTS attempts, then show as failed in the admin.
NOTICES_LEASE_SECONDS = int(os.environ.get("NOTICES_LEASE_SECONDS", "300"))
NOTICES_RETRY_SECONDS = int(os.environ.get("NOTICES_RETRY_SECONDS", "60"))
NOTICES_MAX_ATTEMPTS = int(os.environ.get("NOTICES_MAX_ATTEMPTS", "8"))
NOTICES_WEBHOOK_TIMEOUT = int(os.environ.get("NOTICES_WEBHOOK_TIMEOUT", "10"))
# How often the worker looks for notices that came due (seconds).
NOTICES_TICK_SECONDS = float(os.environ.get("NOTICES_TICK_SECONDS", "30"))
# The queue the worker (`manage.py notices_worker`) runs: django-tasks' database
# backend, so it needs nothing beyond the database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Production hardening: on whenever DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere, the admin included; images may come from any
# https host because notes embed them and avatars come from GitHub.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https: data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
)
# `make bench` only: answer every request with an X-Queries header (SQL count).
BENCH_QUERY_HEADER = env_bool("BENCH_QUERY_HEADER", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
