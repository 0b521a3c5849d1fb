"""Settings, read from the environment (12-factor).

Nothing set gives the embedded default: SQLite and media under `var/`, the database search
backend, the SQL analytics store and the database task queue. Every variable is listed in
sunshine.environment (and in the configuration table in README.md); the apps' own settings
have their defaults in each app's conf.py.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sunshine import environment as env
from sunshine.csp import directives as csp_directives

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.get("SUNSHINE_VAR_DIR") or BASE_DIR / "var")

SUNSHINE_ENV = env.get("SUNSHINE_ENV")
PRODUCTION = SUNSHINE_ENV == "production"

if PRODUCTION:
    # A production site must never fall back to a key or host list that is in the repository.
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not env.raw(name)]
    if missing:
        raise ImproperlyConfigured(
            "SUNSHINE_ENV=production 需要设置环境变量：" + "、".join(missing)
        )
    SECRET_KEY = env.get("SECRET_KEY")
    ALLOWED_HOSTS = env.get("ALLOWED_HOSTS")
    DEBUG = False
else:
    SECRET_KEY = env.get("SECRET_KEY")
    ALLOWED_HOSTS = env.get("ALLOWED_HOSTS")
    DEBUG = env.get("DEBUG")

CSRF_TRUSTED_ORIGINS = env.get("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "sunshine",
    "sunshine.home",
    "sunshine.directory",
    "sunshine.roles",
    "sunshine.search",
    "courses",
    "media_pipeline",
    "analytics",
    "sunshine_mailbox",
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
    "axes",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response, cached pages included (sunshine.csp).
    "sunshine.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Gzip for what Django renders (not for pages with a CSRF token: sunshine.compression). Above
    # the page cache, so the cache keeps one uncompressed copy and each response is compressed
    # as it leaves; below WhiteNoise, whose static files are compressed ahead of time.
    "sunshine.compression.TextCompressionMiddleware",
    # Anonymous pages come from the page cache; see sunshine.cache for what is cached and when
    # it is purged.
    "sunshine.cache.UpdatePageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "sunshine.cache.FetchFromPageCacheMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "sunshine.roles.middleware.InitialPasswordMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Forms posted without their hidden fields (formsets' management forms): 400, not 500.
    "sunshine.malformed.MalformedFormMiddleware",
    # Turns a locked-out login into its Chinese lockout page (django-axes asks to be last).
    "axes.middleware.AxesMiddleware",
    # Last, so its process_exception is the first to see a view's database error: 503, not 500.
    "sunshine.unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "sunshine.urls"
WSGI_APPLICATION = "sunshine.wsgi.application"
# Served ahead of the full middleware stack when the request has no session cookie
# (sunshine.lean): the beat, the request a playing video sends every 15 s.
LEAN_PATHS = ["/api/v1/plays/beat"]

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
    "default": dj_database_url.parse(
        env.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sunshine.sqlite3'}",
        conn_max_age=env.get("DATABASE_CONN_MAX_AGE"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker use the file at the same time.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
    # Connections are kept (DATABASE_CONN_MAX_AGE) as on PostgreSQL: opening one (the PRAGMAs,
    # Django's SQL functions) costs a page more CPU than the rest of an uncached page.
    # The embedded default keeps its database file under var/, which a fresh clone lacks.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, so app servers share it; otherwise in-process memory.
REDIS_URL = env.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.get("CACHE_KEY_PREFIX"),
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
CACHE_MIDDLEWARE_SECONDS = env.get("PAGE_CACHE_SECONDS")
CACHE_MIDDLEWARE_KEY_PREFIX = "page"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated);
# see sunshine.clientip.
TRUSTED_PROXIES = env.get("TRUSTED_PROXIES")

# Login throttling (django-axes) on both login forms: per account and client address together,
# storing neither the address nor the user agent (sunshine.roles.throttle says why and how).
AUTHENTICATION_BACKENDS = [
    "sunshine.roles.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.get("LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = timedelta(minutes=env.get("LOGIN_LOCKOUT_MINUTES"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "sunshine.roles.throttle.throttle_address"
AXES_CLIENT_STR_CALLABLE = "sunshine.roles.throttle.client_str"
AXES_LOCKOUT_CALLABLE = "sunshine.roles.throttle.lockout_response"
AXES_HANDLER = "sunshine.roles.throttle.PrivateDatabaseHandler"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
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
# What Wagtail's zh-hans translation lacks, filled in by the project (site/locale/*.po, compiled by
# `make install`; tests/site/test_admin_chinese.py crawls the admin for English left over).
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
# The bureau works in one time zone; the account page's list of 600 English zone names is noise.
WAGTAIL_USER_TIME_ZONES = ["Asia/Shanghai"]
WAGTAILADMIN_USER_LOGIN_FORM = "sunshine.roles.forms.AdminLoginForm"

# Static files are fingerprinted and served by WhiteNoise; front-end packages that npm installs
# at build time are collected from var/vendor (never committed).
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [path for path in [VAR_DIR / "vendor"] if path.is_dir()]
MEDIA_URL = env.get("MEDIA_URL")
MEDIA_ROOT = Path(env.get("MEDIA_ROOT", VAR_DIR / "media"))

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
            "sunshine.staticfiles.ModuleAwareManifestStorage"
            if env.get("STATIC_MANIFEST", PRODUCTION)
            # gzip copies beside each file, which WhiteNoise serves to browsers that take them
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}

# S3 (or any S3-protocol store) for media when a bucket is named. The default storage stays
# private (no CDN, every URL signed and short-lived): documents are served through Wagtail's
# serve view and kit zips through a presigned redirect, both after the teacher-login check.
# "public" is read by anyone through the CDN: unsigned URLs on the CDN's domain, for the video
# outputs and image renditions. It is its own bucket when AWS_S3_PUBLIC_BUCKET_NAME is set, else
# the same bucket, whose policy then makes only videos/* and images/* public (README).
AWS_STORAGE_BUCKET_NAME = env.get("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env.get("AWS_S3_ENDPOINT_URL")
    AWS_S3_REGION_NAME = env.get("AWS_S3_REGION_NAME")
    # SigV2 presigned URLs are refused by newer regions (China's) and most S3-compatible stores.
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_QUERYSTRING_AUTH = True
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    STORAGES["public"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.get("AWS_S3_PUBLIC_BUCKET_NAME") or AWS_STORAGE_BUCKET_NAME,
            "custom_domain": env.get("AWS_S3_CUSTOM_DOMAIN") or None,
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
        "BACKEND": env.get("TASKS_BACKEND"),
        "QUEUES": ["default", "video", "video-hd"],
    }
}

# Search: the database backend with Chinese tokens by default; Elasticsearch when configured.
ELASTICSEARCH_URL = env.get("ELASTICSEARCH_URL")
if ELASTICSEARCH_URL and env.get("SEARCH_BACKEND") == "elasticsearch":
    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "sunshine.search.backends.elasticsearch",
            "URLS": [ELASTICSEARCH_URL],
            "INDEX": env.get("ELASTICSEARCH_INDEX_PREFIX"),
            "TIMEOUT": 10,
        }
    }
else:
    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "sunshine.search.backends.database"}}

WAGTAIL_SITE_NAME = "阳光课堂"
WAGTAILADMIN_BASE_URL = env.site_url()
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
# Publishing only through the review (sunshine.roles.publishing): the last approval publishes
# the approved revision, and an edit during review sends the page back to the first step.
WAGTAIL_FINISH_WORKFLOW_ACTION = "sunshine.roles.workflow_finish.publish_approved_revision"
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
WAGTAILADMIN_COMMENTS_ENABLED = True
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# The media pipeline's model that lesson, lecture, replay and kit video fields point at.
SUNSHINE_VIDEO_MODEL = "media_pipeline.VideoAsset"

# The apps' own settings (the media pipeline's, analytics', …) that the environment sets; their
# defaults are in each app's conf.py.
globals().update(env.app_settings())

# Email (the 心灵信箱's 紧急 notices): SMTP from the environment in production, the console
# (stdout of `sunshine serve`) otherwise.
EMAIL_BACKEND = env.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.get("EMAIL_HOST")
EMAIL_PORT = env.get("EMAIL_PORT")
EMAIL_HOST_USER = env.get("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.get("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.get("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env.get("DEFAULT_FROM_EMAIL")

# CDN purges on publish, when a CDN is configured (wagtail.contrib.frontend_cache).
if env.get("FRONTEND_CACHE_PURGE_URL"):
    WAGTAILFRONTENDCACHE = {
        "cdn": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": env.get("FRONTEND_CACHE_PURGE_URL"),
        }
    }

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Wagtail's preview panel sets SAMEORIGIN on its own views; nothing else is framed.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Only our own static modules run on public pages; see sunshine.csp for the media origins and
# what the Wagtail admin is allowed besides.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": csp_directives(env.as_mapping(), BASE_DIR)}
# Nothing in the admin calls out to third parties: no update check against wagtail.org, no
# Gravatar (staff e-mail hashes would leave the bureau, and neither is reachable everywhere).
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None

if PRODUCTION:
    # TLS ends at the reverse proxy in front of gunicorn.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.get("SECURE_SSL_REDIRECT")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.get("SECURE_HSTS_SECONDS")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.get("SECURE_HSTS_PRELOAD")
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
    "root": {"handlers": ["console"], "level": env.get("LOG_LEVEL")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
