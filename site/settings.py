"""Settings, read from the environment (12-factor).

Nothing set gives the embedded default: SQLite and media under `var/`, the database search
backend, the SQL analytics store and the database task queue. See the configuration table in
README.md for every variable.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SUNSHINE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SUNSHINE_ENV = os.environ.get("SUNSHINE_ENV", "development")
PRODUCTION = SUNSHINE_ENV == "production"

if PRODUCTION:
    # A production site must never fall back to a key or host list that is in the repository.
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not os.environ.get(name)]
    if missing:
        raise ImproperlyConfigured(
            "SUNSHINE_ENV=production 需要设置环境变量：" + "、".join(missing)
        )
    SECRET_KEY = os.environ["SECRET_KEY"]
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-not-for-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
    DEBUG = env_bool("DEBUG", False)

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "sunshine",
    "sunshine.home",
    "sunshine.directory",
    "sunshine.roles",
    "sunshine.search",
    "courses",
    "media_pipeline",
    "analytics",
    "wagtail.contrib.settings",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.frontend_cache",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "storages",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous pages come from the page cache; see sunshine.cache for what is cached and when
    # it is purged.
    "sunshine.cache.UpdatePageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "sunshine.cache.FetchFromPageCacheMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so its process_exception is the first to see a view's database error: 503, not 500.
    "sunshine.unavailable.DatabaseUnavailableMiddleware",
    # Forms posted without their hidden fields (formsets' management forms): 400, not 500.
    "sunshine.malformed.MalformedFormMiddleware",
]

ROOT_URLCONF = "sunshine.urls"
WSGI_APPLICATION = "sunshine.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL points elsewhere (PostgreSQL in production).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'sunshine.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker use the file at the same time.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The embedded default keeps its database file under var/, which a fresh clone lacks.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, so app servers share it; otherwise in-process memory.
REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "sunshine"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "sunshine",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
CACHE_MIDDLEWARE_ALIAS = "default"
CACHE_MIDDLEWARE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))
CACHE_MIDDLEWARE_KEY_PREFIX = "page"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文")]
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]

# Static files are fingerprinted and served by WhiteNoise; front-end packages that npm installs
# at build time are collected from var/vendor (never committed).
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [path for path in [VAR_DIR / "vendor"] if path.is_dir()]
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

STORAGES = {
    # Private: uploaded sources, half-received uploads, kit zips, Wagtail documents (kit
    # materials behind the teacher login), caption uploads.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Public: the media pipeline's content-addressed outputs (videos/…: HLS, posters,
    # storyboards, captions, fallback MP4). Locally the same folder as the default; the reverse
    # proxy serves only videos/ and images/ from it (README).
    "public": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", PRODUCTION)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# S3 (or any S3-protocol store) for media when a bucket is named. The default storage stays
# private (no CDN, every URL signed and short-lived): documents are served through Wagtail's
# serve view and kit zips through a presigned redirect, both after the teacher-login check.
# "public" is read by anyone through the CDN: unsigned URLs on the CDN's domain, for the video
# outputs and image renditions. It is its own bucket when AWS_S3_PUBLIC_BUCKET_NAME is set, else
# the same bucket, whose policy then makes only videos/* and images/* public (README).
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL")
    AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME", "us-east-1")
    # SigV2 presigned URLs are refused by newer regions (China's) and most S3-compatible stores.
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_QUERYSTRING_AUTH = True
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    STORAGES["public"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_S3_PUBLIC_BUCKET_NAME") or AWS_STORAGE_BUCKET_NAME,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": False,
            # Video outputs are stored with immutable headers (they are content-addressed);
            # an image rendition may be made again under the same name.
            "object_parameters": {"CacheControl": "public, max-age=86400"},
        },
    }
    WAGTAILIMAGES_RENDITION_STORAGE = "public"

# Background work: the Django Tasks API; the database backend needs no other service.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "video", "video-hd"],
    }
}

# Search: the database backend with Chinese tokens by default; Elasticsearch when configured.
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL")
if ELASTICSEARCH_URL and os.environ.get("SEARCH_BACKEND", "elasticsearch") == "elasticsearch":
    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "sunshine.search.backends.elasticsearch",
            "URLS": [ELASTICSEARCH_URL],
            "INDEX": os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "sunshine"),
            "TIMEOUT": 10,
        }
    }
else:
    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "sunshine.search.backends.database"}}

WAGTAIL_SITE_NAME = "阳光课堂"
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = [
    "pdf",
    "doc",
    "docx",
    "ppt",
    "pptx",
    "xls",
    "xlsx",
    "txt",
    "csv",
    "zip",
    "mp3",
    "jpg",
    "png",
]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 200 * 1024 * 1024
# File names too long for their column or that Windows cannot save are refused, never cut.
WAGTAILDOCS_DOCUMENT_FORM_BASE = "media_pipeline.document_forms.DocumentForm"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILADMIN_COMMENTS_ENABLED = True
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# The media pipeline's model that lesson, lecture, replay and kit video fields point at.
SUNSHINE_VIDEO_MODEL = "media_pipeline.VideoAsset"

# The analytics store: "sql" (default) or "elasticsearch".
ANALYTICS_STORE = os.environ.get("ANALYTICS_STORE", "sql")

# CDN purges on publish, when a CDN is configured (wagtail.contrib.frontend_cache).
if os.environ.get("FRONTEND_CACHE_PURGE_URL"):
    WAGTAILFRONTENDCACHE = {
        "cdn": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": os.environ["FRONTEND_CACHE_PURGE_URL"],
        }
    }

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Wagtail's preview panel sets SAMEORIGIN on its own views; nothing else is framed.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

if PRODUCTION:
    # TLS ends at the reverse proxy in front of gunicorn.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading commits the whole domain, subdomains included, to HTTPS-only in browsers
        # for months and anyone may submit it once the header allows it: the domain's owner
        # opts in with SECURE_HSTS_PRELOAD=1, so `check --deploy` need not ask for it.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
