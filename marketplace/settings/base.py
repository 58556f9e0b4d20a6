"""Settings shared by every environment. Environment variables are read here and only here."""

import os
from pathlib import Path

import dj_database_url
import dj_email_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name, default=""):
    return os.environ.get(name, default)


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "marketplace",
    "cms",
    "search",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django.contrib.sites",
    "djmoney",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
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
    # django-ninja: in INSTALLED_APPS so /api/v1/docs renders its self-hosted Swagger UI
    # (templates and static files) instead of the CDN version.
    "ninja",
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
    "allauth.account.middleware.AccountMiddleware",
    "marketplace.middleware.RequireMFAMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
# Widget templates may be overridden in templates/ (see marketplace/forms/widgets.py).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "marketplace.wsgi.application"

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
                "django.template.context_processors.i18n",
                "marketplace.context_processors.workspace",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "marketplace.User"
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
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: email is the login; verification is mandatory; rate limits stay on defaults
# (failed logins: 10/min per IP, 5 per 5 min per account).
SITE_ID = 1
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[政社通] "
# Behind reverse proxies the client's address is the Nth address from the right of
# X-Forwarded-For (N = the proxies we run), or a header the proxy sets; 0 and unset trust
# nothing the client sends. Used by allauth's rate limits and the residents' feedback key.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER", "") or None
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "政社通 zhengshe"
# Where buyer officers and staff must have MFA before they get in (RequireMFAMiddleware).
# /rounds/ (公益创投 hub): officers need TOTP there too; delegated operators are
# organisation admins, whom requires_mfa() does not concern.
MFA_REQUIRED_PATH_PREFIXES = ["/buyer/", "/admin/", "/rounds/"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

CURRENCIES = ("CNY",)
DEFAULT_CURRENCY = "CNY"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded logos: checked by content, not by file name.
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_FORMATS = ("JPEG", "PNG", "WEBP")
# Bid files and tender documents: outside MEDIA_ROOT, served only by permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {
        "BACKEND": "marketplace.storage.PrivateStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
}
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
DOCUMENTS_PER_UPLOAD = 10
# Accepted document types, recognised by their first bytes rather than their names.
DOCUMENT_TYPES = {
    "pdf": b"%PDF-",
    "docx": b"PK\x03\x04",
    "xlsx": b"PK\x03\x04",
    "doc": b"\xd0\xcf\x11\xe0",
    "xls": b"\xd0\xcf\x11\xe0",
    "jpg": b"\xff\xd8\xff",
    "png": b"\x89PNG",
}

# Per procurement method: the shortest bidding period (from publication, or from an
# amendment that changes requirements, to the bid deadline; ("days", n) or
# ("working_days", n)), the fewest live bids at the deadline below which the tender fails
# (流标), the smallest expert panel, whether the buyer may name experts instead of drawing
# them, and the award notice period (公示) in working days.
_NOTICE = int(env("AWARD_NOTICE_WORKING_DAYS", "5"))
_VENTURE_PERIOD = int(env("VENTURE_MIN_PERIOD_DAYS", "15"))
_VENTURE_BIDS = int(env("VENTURE_MIN_BIDS", "1"))
# fmt: off
TENDER_METHOD_RULES = {
    "open":          {"min_period": ("days", 20),          "min_bids": 3, "panel_min": 5, "named_panel": False, "notice_working_days": _NOTICE},
    "invited":       {"min_period": ("days", 20),          "min_bids": 3, "panel_min": 5, "named_panel": False, "notice_working_days": _NOTICE},
    "negotiation":   {"min_period": ("working_days", 3),   "min_bids": 3, "panel_min": 3, "named_panel": True,  "notice_working_days": _NOTICE},
    "consultation":  {"min_period": ("days", 10),          "min_bids": 3, "panel_min": 3, "named_panel": True,  "notice_working_days": _NOTICE},
    "single_source": {"min_period": ("working_days", 5),   "min_bids": 1, "panel_min": 3, "named_panel": True,  "notice_working_days": _NOTICE},
    "inquiry":       {"min_period": ("working_days", 3),   "min_bids": 3, "panel_min": 3, "named_panel": True,  "notice_working_days": _NOTICE},
    "venture":       {"min_period": ("days", _VENTURE_PERIOD), "min_bids": _VENTURE_BIDS, "panel_min": 5, "named_panel": True, "notice_working_days": _NOTICE},
}
# fmt: on
# A buyer answers an objection (质疑) within this many working days.
OBJECTION_ANSWER_WORKING_DAYS = 7
# Two-way evaluation (双向评估): both sides' evaluations are revealed when both are in, or
# at the latest this many working days after completion (or the milestone's acceptance).
RATING_WINDOW_WORKING_DAYS = int(env("RATING_WINDOW_WORKING_DAYS", "15"))
# The Bayesian average counts the platform mean as this many evaluations.
RATING_PRIOR_WEIGHT = int(env("RATING_PRIOR_WEIGHT", "5"))

EMAIL_URL = env("EMAIL_URL", "console://")
vars().update(dj_email_url.parse(EMAIL_URL))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "政社通 <noreply@zhengshe.localhost>")

ELASTICSEARCH_URL = env("ELASTICSEARCH_URL")
# "cjk" (built in, no plugin), "smartcn" or "ik" (analysis-smartcn / analysis-ik installed).
ELASTICSEARCH_ANALYZER = env("ELASTICSEARCH_ANALYZER", "cjk")
ELASTICSEARCH_INDEX_PREFIX = env("ELASTICSEARCH_INDEX_PREFIX", "zhengshe")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
# Stripe.js on the buyer's payment-method page; STRIPE_API_BASE points the server-side client
# somewhere else than api.stripe.com (localstripe in tests and local demos).
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_API_BASE = env("STRIPE_API_BASE")

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public pages served to anonymous readers from the cache live at most this long; a change
# to their data makes them stale at once (marketplace/pagecache.py).
PUBLIC_PAGE_CACHE_SECONDS = int(env("PUBLIC_PAGE_CACHE_SECONDS", "60"))

WAGTAIL_SITE_NAME = "政社通"
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

PAGE_SIZE = 20

# JSON API /api/v1/ (marketplace/api/): requests per fixed window, per IP for anonymous calls
# and per token for authenticated ones ("<count>/<s|min|h|day>"); page sizes of its lists.
API_RATE_LIMIT_ANON = env("API_RATE_LIMIT_ANON", "120/min")
API_RATE_LIMIT_TOKEN = env("API_RATE_LIMIT_TOKEN", "600/min")
API_MAX_PAGE_SIZE = 100

# Open data (OCDS 1.1, marketplace/ocds/). A real prefix is "ocds-" plus the six characters
# the Open Contracting Partnership registers for a publisher; the default marks the data as
# not yet registered.
OCDS_PREFIX = env("OCDS_PREFIX", "ocds-zhengshe")
OCDS_PUBLISHER_NAME = env("OCDS_PUBLISHER_NAME", "政社通")
OCDS_PUBLISHER_URI = env("OCDS_PUBLISHER_URI", SITE_URL)
OCDS_LICENSE = env("OCDS_LICENSE", "https://creativecommons.org/licenses/by/4.0/")
OCDS_PAGE_SIZE = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
