"""Every environment variable the site reads, in one list: its name, how it is read and its
default as the README's configuration table shows it (tests/site/test_environment.py checks
that table against this list).

The code reads the environment only through `get()` (settings.py, and `sunshine serve` for
WEB_CONCURRENCY); a name not listed here cannot be read.
Two kinds of variable:
- the project's own (`default` is the value settings.py uses when the variable is not set);
- an app's setting (`app=`): settings.py copies it into Django settings only when the
  environment sets it, and the app's conf.py holds (and documents) its default. So Django
  settings always win, and `override_settings` works in tests.
A few are read by libraries, not by us (`by=`): they are listed so the table is complete.
"""

import os
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}


def boolean(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def items(value: str) -> list[str]:
    """A comma-separated list."""
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class Variable:
    name: str
    shown: str  # the default, as the README's table shows it
    parse: Any = str  # str, int, boolean or items
    default: Any = None  # the project's own variables: the value when not set
    app: str = ""  # an app's setting: the app whose conf.py has the default
    by: str = ""  # read by this library, not by our code


def _app(app, name, shown, parse=str):
    return Variable(name, shown, parse, app=app)


VARIABLES = [
    Variable("SUNSHINE_ENV", "`development`", default="development"),
    Variable("SECRET_KEY", "a development key", default="dev-only-insecure-key-not-for-production"),
    Variable(
        "ALLOWED_HOSTS",
        "`localhost,127.0.0.1,[::1],testserver`",
        items,
        default=("localhost", "127.0.0.1", "[::1]", "testserver"),
    ),
    Variable("CSRF_TRUSTED_ORIGINS", "—", items, default=()),
    Variable("DEBUG", "off", boolean, default=False),
    # Where `sunshine serve` (and `make demo`) listens; SITE_URL follows them unless it is set.
    Variable("HOST", "`127.0.0.1`", default="127.0.0.1"),
    Variable("PORT", "`8000`", int, default=8000),
    Variable("SITE_URL", "`http://HOST:PORT`"),  # site_url() below
    Variable("SUNSHINE_VAR_DIR", "`var/`"),  # settings.py: the project's var/ folder
    Variable("DATABASE_URL", "SQLite in `var/`"),
    Variable("DATABASE_CONN_MAX_AGE", "`60`", int, default=60),
    Variable("REDIS_URL", "in-process cache"),
    Variable("CACHE_KEY_PREFIX", "`sunshine`", default="sunshine"),
    Variable("PAGE_CACHE_SECONDS", "`300`", int, default=300),
    Variable("MEDIA_ROOT", "`var/media`"),  # settings.py: under SUNSHINE_VAR_DIR
    Variable("MEDIA_URL", "`/media/`", default="/media/"),
    Variable("STATIC_MANIFEST", "on in production", boolean),  # settings.py: production or not
    Variable("AWS_STORAGE_BUCKET_NAME", "—"),
    Variable("AWS_S3_PUBLIC_BUCKET_NAME", "the same bucket"),
    Variable("AWS_S3_ENDPOINT_URL", "AWS"),
    Variable("AWS_S3_REGION_NAME", "`us-east-1`", default="us-east-1"),
    Variable("AWS_S3_CUSTOM_DOMAIN", "—"),
    Variable("AWS_ACCESS_KEY_ID", "—", by="boto3"),
    Variable("AWS_SECRET_ACCESS_KEY", "—", by="boto3"),
    Variable("FRONTEND_CACHE_PURGE_URL", "—"),
    Variable(
        "TASKS_BACKEND",
        "`django_tasks_db.DatabaseBackend`",
        default="django_tasks_db.DatabaseBackend",
    ),
    Variable("ELASTICSEARCH_URL", "—"),
    Variable(
        "SEARCH_BACKEND",
        "`elasticsearch` when `ELASTICSEARCH_URL` is set",
        default="elasticsearch",
    ),
    Variable("ELASTICSEARCH_INDEX_PREFIX", "`sunshine`", default="sunshine"),
    Variable("SECURE_SSL_REDIRECT", "on in production", boolean, default=True),
    Variable("SECURE_HSTS_SECONDS", "`31536000`", int, default=31536000),
    Variable("SECURE_HSTS_PRELOAD", "off", boolean, default=False),
    Variable("LOG_LEVEL", "`INFO`", default="INFO"),
    Variable("TRUSTED_PROXIES", "—", items, default=()),
    Variable("LOGIN_FAILURE_LIMIT", "`5`", int, default=5),
    Variable("LOGIN_LOCKOUT_MINUTES", "`15`", int, default=15),
    Variable("WEB_CONCURRENCY", "CPU cores", int),  # read by `sunshine serve`
    Variable("CSP_MEDIA_ORIGINS", "—", items),  # sunshine.csp: beside the storage's own origins
    Variable("EMAIL_BACKEND", "SMTP in production, the console otherwise"),
    Variable("EMAIL_HOST", "`localhost`", default="localhost"),
    Variable("EMAIL_PORT", "`25`", int, default=25),
    Variable("EMAIL_HOST_USER", "—", default=""),
    Variable("EMAIL_HOST_PASSWORD", "—", default=""),
    Variable("EMAIL_USE_TLS", "off", boolean, default=False),
    Variable(
        "DEFAULT_FROM_EMAIL",
        "`阳光课堂 <noreply@localhost>`",
        default="阳光课堂 <noreply@localhost>",
    ),
    _app("sunshine_mailbox", "MAILBOX_ENCRYPTION_KEYS", "a demo key (production: required)"),
    _app("sunshine_mailbox", "MAILBOX_REPLY_HOURS", "`24`", int),
    _app("sunshine_mailbox", "MAILBOX_URGENT_REPLY_HOURS", "`1`", int),
    _app("sunshine_mailbox", "MAILBOX_ESCALATED_REPLY_HOURS", "`8`", int),
    _app("sunshine_mailbox", "MAILBOX_RETENTION_DAYS", "`180`", int),
    _app("sunshine_mailbox", "MAILBOX_CODE_FAILURES", "`30`", int),
    _app("sunshine_mailbox", "MAILBOX_CODE_WINDOW_SECONDS", "`900`", int),
    _app("sunshine_mailbox", "MAILBOX_LETTERS_PER_HOUR", "`120`", int),
    _app("sunshine.directory", "SUNSHINE_ADMIN_TEACHER_IMPORT_MAX_ROWS", "`100`", int),
    _app("media_pipeline", "SUNSHINE_VIDEO_MAX_UPLOAD_SIZE", "20 GiB", int),
    _app("media_pipeline", "SUNSHINE_UPLOAD_CHUNK_SIZE", "8 MiB", int),
    _app("media_pipeline", "SUNSHINE_S3_PART_SIZE", "16 MiB", int),
    _app("media_pipeline", "SUNSHINE_VIDEO_LEASE_SECONDS", "`120`", int),
    _app("media_pipeline", "SUNSHINE_VIDEO_MAX_ATTEMPTS", "`5`", int),
    _app("media_pipeline", "SUNSHINE_VIDEO_RETRY_SECONDS", "`30`", int),
    _app("media_pipeline", "SUNSHINE_VIDEO_WAIT_SECONDS", "`15`", int),
    _app("media_pipeline", "SUNSHINE_VIDEO_PROFILE", "`standard`"),
    _app("media_pipeline", "SUNSHINE_VIDEO_WORKDIR", "system temp folder"),
    _app("analytics", "ANALYTICS_STORE", "`sql`"),
    _app("analytics", "ANALYTICS_ES_INDEX_PREFIX", "`sunshine-analytics`"),
    _app("analytics", "ANALYTICS_DB_ALIAS", "`default`"),
    _app("analytics", "ANALYTICS_BEAT_INTERVAL", "`15`", int),
    _app("analytics", "ANALYTICS_BEAT_INTERVAL_UNDER_LOAD", "`60`", int),
    _app("analytics", "ANALYTICS_LATE_BEAT_HOURS", "`48`", int),
    _app("analytics", "ANALYTICS_RAW_RETENTION_DAYS", "`30`", int),
    _app("analytics", "ANALYTICS_CAMPAIGN_GRACE_DAYS", "`30`", int),
    _app("analytics", "ANALYTICS_REALTIME_FACTOR", "`2`", float),
    _app("analytics", "ANALYTICS_CLAMP_SLACK_SECONDS", "`0`", int),
    _app("analytics", "ANALYTICS_MAX_WATCH_FACTOR", "`3`", int),
    _app("analytics", "ANALYTICS_MAX_BATCH", "`50`", int),
    _app("analytics", "ANALYTICS_MAX_BODY_BYTES", "`65536`", int),
    _app("analytics", "ANALYTICS_ROLLUP_BATCH", "`2000`", int),
    _app("analytics", "ANALYTICS_LOOKUP_SECONDS", "`60`", int),
    _app("analytics", "ANALYTICS_INGEST", "`spool`"),
    _app("analytics", "ANALYTICS_GATHER_MICROSECONDS", "`500`", int),
    _app("analytics", "ANALYTICS_FLUSH_THREAD", "on", boolean),
    _app("analytics", "ANALYTICS_FLUSH_SECONDS", "`1`", int),
    _app("analytics", "ANALYTICS_BACKLOG_UNDER_LOAD", "`20000`", int),
    _app("analytics", "ANALYTICS_SPOOL_DIR", "`var/analytics-spool`"),
    _app("analytics", "ANALYTICS_SPOOL_SEGMENT_BYTES", "16 MiB", int),
    _app("analytics", "ANALYTICS_POSTER_FONT", "a system CJK font"),
    _app("analytics", "ANALYTICS_ADMISSION_PLAY_STARTS", "`60`", int),
    _app("analytics", "ANALYTICS_ADMISSION_VIEWER_IDS", "`60`", int),
    _app("analytics", "ANALYTICS_ADMISSION_PAGE_VIEWS", "`300`", int),
    _app("analytics", "ANALYTICS_ADMISSION_BEATS_PER_PLAY", "`20`", int),
    _app("analytics", "ANALYTICS_ADMISSION_WINDOW_SECONDS", "`60`", int),
    _app("analytics", "ANALYTICS_ADMISSION_CACHE", "`default`"),
]
BY_NAME = {variable.name: variable for variable in VARIABLES}


def variable(name) -> Variable:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"环境变量 {name} 未在 sunshine.environment 中登记（README 的配置表也要加上）"
        ) from None


def raw(name) -> str | None:
    """The variable's text as set, or None when it is not set."""
    return os.environ.get(variable(name).name)


def _is_set(entry) -> bool:
    value = os.environ.get(entry.name)
    # An empty number means "not set" (`WEB_CONCURRENCY=` is how a shell unsets it).
    return value is not None and not (value == "" and entry.parse is int)


def get(name, default=None):
    """The variable, parsed; when it is not set, `default` or the registered default."""
    entry = variable(name)
    if not _is_set(entry):
        value = entry.default if default is None else default
        return list(value) if isinstance(value, tuple) else value
    value = os.environ[name]
    try:
        return entry.parse(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"环境变量 {name} 的值无效：{value!r}") from error


def site_url() -> str:
    """SITE_URL, or the address `sunshine serve` listens on (HOST and PORT), so QR posters and
    share links made by `PORT=8101 make demo` point at port 8101. A server listening on every
    interface (0.0.0.0, ::) is reached locally at 127.0.0.1; a phone on the network needs
    SITE_URL set to the machine's own address."""
    if raw("SITE_URL"):
        return get("SITE_URL").rstrip("/")
    host = get("HOST").strip()
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{get('PORT')}"


def as_mapping() -> dict[str, str]:
    """The registered variables that are set, as text: for code that reads several at once."""
    return {entry.name: os.environ[entry.name] for entry in VARIABLES if entry.name in os.environ}


def app_settings() -> dict[str, Any]:
    """The apps' settings that the environment sets, parsed, for settings.py to copy."""
    return {entry.name: get(entry.name) for entry in VARIABLES if entry.app and _is_set(entry)}
