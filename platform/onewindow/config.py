"""Layered configuration: defaults → instance config file → ``ONEWINDOW_*`` environment.

Every key the platform understands is declared in :data:`DEFAULTS`. A key that is
not declared is refused with a message naming the source it came from, so a typo
(``DATABSE_URL``) stops startup instead of being silently ignored.

The instance config file is ``<instance>/onewindow.toml``; plugin sections are
``[plugins.<key>]`` and are validated against the defaults the plugin registers
through :func:`~onewindow.hookspecs.register_config`.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Mapping

from onewindow.errors import StartupError

ENV_PREFIX = "ONEWINDOW_"
#: ONEWINDOW_* variables that are not configuration keys: read by the CLI (INSTANCE), the
#: test fixtures (TEST_*) and the e-licence seals (SEAL_KEK) through ``onewindow.environ``.
CLI_VARIABLES = {
    "INSTANCE",
    "TEST_DATABASE_URL",
    "TEST_ARTIFACTS",
    "SEAL_KEK",
    "FAULT_PAUSE",
    "DOCS_SCREENSHOTS",
    "UPDATE_PERMISSION_MATRIX",
}
CONFIG_FILE_NAME = "onewindow.toml"

#: Every configuration key with its default. ``None`` means "computed at startup".
DEFAULTS: dict[str, Any] = {
    # Database: SQLite file in the instance folder unless a URL is given.
    "DATABASE_URL": None,
    # Session signing key; generated into the instance folder when not given.
    "SECRET_KEY": None,
    # Plugin keys (entry-point names) that must not be loaded.
    "PLUGINS_DISABLED": [],
    # UI language: Chinese by default, English selectable.
    "DEFAULT_LOCALE": "zh",
    "APP_NAME": "一窗通 OneWindow",
    # Where Alembic finds the core migrations (the repo's migrations/ folder).
    "MIGRATIONS_DIR": None,
    # Flask / Flask-WTF switches tests and deployments may set.
    "TESTING": False,
    "DEBUG": False,
    "WTF_CSRF_ENABLED": True,
    "SESSION_COOKIE_SECURE": False,
    "JWT_ACCESS_TOKEN_EXPIRES_MINUTES": 60,
    # Refresh tokens stop working this long after login (docs/operator/security.md).
    "JWT_REFRESH_TOKEN_EXPIRES_HOURS": 24,
    # Base of the links and QR codes printed on notices (https://centre.example.gov.cn).
    # Unset: each notice uses the address it is served from (development only;
    # `onewindow serve --production` warns).
    "PUBLIC_BASE_URL": None,
    # The zone of the one clock (IANA name): cases, notices and licences are dated, and
    # every screen shows times, in it; FAB's own columns are converted from the server's zone.
    "TIMEZONE": "Asia/Shanghai",
    # Working days the correction notice (补齐补正通知书) gives the applicant to supply.
    "CORRECTION_SUPPLY_WORKDAYS": 10,
    # How often the core's legal-clock jobs (超时默认, 视为受理) run in the scheduler.
    "LEGAL_CLOCK_INTERVAL_MINUTES": 15,
    # SM2 key that signs audit checkpoints, kept outside the database (default
    # <instance>/audit-sm2.key, created mode 600 by `onewindow init`).
    "AUDIT_KEY_FILE": None,
    # Authentication hardening (docs/operator/security.md): Flask-AppBuilder's own
    # per-address limit on login posts (also applied to the REST login) ...
    "AUTH_RATE_LIMITED": True,
    "AUTH_RATE_LIMIT": "30 per minute",
    # ... where Flask-Limiter counts: memory:// (one process), "database" (the platform's
    # database, several processes) or redis://host:6379/0 (needs the `redis` package).
    "RATE_LIMIT_STORAGE_URL": "memory://",
    # Per-account lockout, kept in the database (shared by every process).
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "LOGIN_LOCKOUT_MINUTES": 15,
    # Public lookups (progress, licence verification, holder look-up) per client address.
    "PUBLIC_LOOKUP_RATE_LIMIT": "30 per minute",
    "PASSWORD_MIN_LENGTH": 10,
    # Production serving (`onewindow serve --production`, gunicorn): worker processes,
    # threads per worker, seconds before a silent worker is restarted, the access log
    # ("-" is standard output, "" turns it off, anything else is a file path).
    "SERVE_WORKERS": 3,
    "SERVE_THREADS": 1,
    "SERVE_TIMEOUT": 60,
    "SERVE_ACCESS_LOG": "-",
    # Database connections kept per process, and how many more it may open at a peak.
    "DATABASE_POOL_SIZE": 5,
    "DATABASE_MAX_OVERFLOW": 10,
    # How long an Idempotency-Key of the REST API answers repeats of its first request.
    "IDEMPOTENCY_KEY_HOURS": 24,
    # SQLite: how long the scheduler leader's lease lasts unless it renews it.
    "SCHEDULER_LEASE_SECONDS": 30,
    # Files of case materials (docs/operator.md): empty = <instance>/files; file:///folder;
    # s3://bucket/prefix with the endpoint (any S3-compatible server) and credentials
    # (empty: boto3's own environment, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
    "STORAGE_URL": "",
    "STORAGE_S3_ENDPOINT_URL": "",
    "STORAGE_S3_REGION": "",
    "STORAGE_S3_ACCESS_KEY_ID": "",
    "STORAGE_S3_SECRET_ACCESS_KEY": "",
    # Upload limits: per file, per case (all its files), files per material at once,
    # and the media types accepted (detected from the content, not the name).
    "FILE_MAX_MB": 20,
    "CASE_FILES_MAX_MB": 200,
    "FILES_PER_UPLOAD_MAX": 20,
    "FILE_TYPES_ALLOWED": ["application/pdf", "image/jpeg", "image/png", "image/tiff", "application/ofd"],
    # Notifications (docs/operator.md): the backend of each channel — "outbox" (stored for the
    # admin only), "smtp" (e-mail) or one a plugin registers (an SMS gateway).
    "NOTIFY_SMS_BACKEND": "outbox",
    "NOTIFY_EMAIL_BACKEND": "outbox",
    # The e-mail server of the smtp backend; SMTP_SECURITY is "none", "starttls" or "ssl";
    # give SMTP_PASSWORD through the environment (ONEWINDOW_SMTP_PASSWORD), never in a file.
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_SECURITY": "none",
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_FROM": "",
    "SMTP_TIMEOUT_SECONDS": 10,
    # Inline views of images carry the viewer's name and the time (watermark).
    "FILE_WATERMARK": False,
    # Reuse (材料复用): an applicant's earlier files are offered for this many months.
    "REUSE_MONTHS": 12,
    # Years a case's files are kept after it closes when its item declares none (保管期限).
    "RETENTION_YEARS": 30,
    # `onewindow storage sweep` never removes a stored file younger than this (an open upload).
    "SWEEP_MIN_AGE_MINUTES": 60,
}

_LIST_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, list)}
_BOOL_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, bool)}
_INT_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)}


def _unknown(key: str, source: str) -> StartupError:
    known = ", ".join(sorted(DEFAULTS))
    return StartupError(f"{source}: unknown configuration key {key!r}; known keys are: {known}")


def _coerce(key: str, value: Any, source: str) -> Any:
    if key in _LIST_KEYS and isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if key in _BOOL_KEYS and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise StartupError(f"{source}: {key} must be true or false, got {value!r}")
    if key in _INT_KEYS and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise StartupError(f"{source}: {key} must be a whole number, got {value!r}") from None
    return value


def load_file(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Read the instance TOML file: returns (core keys, plugin sections)."""
    if not path.exists():
        return {}, {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise StartupError(f"{path}: not valid TOML ({exc}); fix the syntax at that line") from None
    plugin_sections = data.pop("plugins", {}) or {}
    core: dict[str, Any] = {}
    for key, value in data.items():
        if key not in DEFAULTS:
            raise _unknown(key, str(path))
        core[key] = _coerce(key, value, str(path))
    return core, plugin_sections


def load_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :]
        if key in CLI_VARIABLES:
            continue
        if key not in DEFAULTS:
            raise _unknown(key, f"environment variable {name}")
        values[key] = _coerce(key, value, f"environment variable {name}")
    return values


def _check_timezone(name: Any) -> None:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(str(name))
    except (ValueError, KeyError):
        raise StartupError(
            f"TIMEZONE {name!r} is not a time zone name; give an IANA name such as Asia/Shanghai"
        ) from None


def build(
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Merge the layers; explicit ``overrides`` (tests, embedding code) win last."""
    settings = dict(DEFAULTS)
    file_values, plugin_sections = load_file(instance_path / CONFIG_FILE_NAME)
    settings.update(file_values)
    settings.update(load_env(os.environ if environ is None else environ))
    for key, value in (overrides or {}).items():
        if key == "plugins":
            plugin_sections = {**plugin_sections, **value}
            continue
        if key not in DEFAULTS:
            raise _unknown(key, "create_app(config=...)")
        settings[key] = _coerce(key, value, "create_app(config=...)")

    _check_timezone(settings["TIMEZONE"])
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'onewindow.db'}"
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _instance_secret(instance_path)
    if not settings["MIGRATIONS_DIR"]:
        settings["MIGRATIONS_DIR"] = str(default_migrations_dir())
    return settings, plugin_sections


def write_plugins_disabled(instance_path: Path, keys: list[str]) -> Path:
    """Set ``PLUGINS_DISABLED`` in ``<instance>/onewindow.toml``, keeping the rest of the file.

    The key is written as a one-line array at the top level (replacing an existing
    one-line ``PLUGINS_DISABLED = [...]``); the result is parsed again before it is saved.
    """
    path = instance_path / CONFIG_FILE_NAME
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    load_file(path)  # refuse to edit a file that is not valid TOML
    line = "PLUGINS_DISABLED = [" + ", ".join(f'"{k}"' for k in keys) + "]"
    lines = text.splitlines()
    top = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("[")), len(lines))
    at = [i for i, ln in enumerate(lines[:top]) if ln.split("=")[0].strip() == "PLUGINS_DISABLED"]
    if at and not lines[at[0]].rstrip().endswith("]"):
        raise StartupError(
            f"{path}:{at[0] + 1}: PLUGINS_DISABLED spans several lines; "
            'write it on one line (PLUGINS_DISABLED = ["a", "b"]) and run the command again'
        )
    if at:
        lines[at[0]] = line
    else:
        lines.insert(0, line)
    new_text = "\n".join(lines) + "\n"
    written = tomllib.loads(new_text).get("PLUGINS_DISABLED")
    if written != keys:  # pragma: no cover - a safeguard, the line above is plain TOML
        raise StartupError(f"{path}: could not write PLUGINS_DISABLED; edit the file by hand")
    instance_path.mkdir(parents=True, exist_ok=True)
    path.write_text(new_text, encoding="utf-8")
    return path


def default_migrations_dir() -> Path:
    # platform/onewindow/config.py → repo root / migrations
    return Path(__file__).resolve().parents[2] / "migrations"


def _instance_secret(instance_path: Path) -> str:
    """A per-installation secret kept out of the repository (never committed), owner-only."""
    from onewindow.auth.files import private_folder, write_private

    private_folder(instance_path)
    secret_file = instance_path / "secret_key"
    if not secret_file.exists():
        write_private(secret_file, secrets.token_hex(32))
    return secret_file.read_text(encoding="utf-8").strip()


def rate_limit_storage(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Flask-Limiter's storage keys for ``RATE_LIMIT_STORAGE_URL``."""
    url = settings["RATE_LIMIT_STORAGE_URL"]
    if url == "database":
        from onewindow.auth.ratelimit_storage import SCHEME

        return {
            "RATELIMIT_STORAGE_URI": f"{SCHEME}://",
            "RATELIMIT_STORAGE_OPTIONS": {"database_url": settings["DATABASE_URL"]},
        }
    return {"RATELIMIT_STORAGE_URI": url}


def flask_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Translate OneWindow keys into the Flask / Flask-AppBuilder keys they drive."""
    from datetime import timedelta

    from onewindow.auth.passwords import fab_password_validator

    locale = settings["DEFAULT_LOCALE"]
    return {
        "SECRET_KEY": settings["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": settings["DATABASE_URL"],
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_size": settings["DATABASE_POOL_SIZE"],
            "max_overflow": settings["DATABASE_MAX_OVERFLOW"],
        },
        "TESTING": settings["TESTING"],
        "DEBUG": settings["DEBUG"],
        "WTF_CSRF_ENABLED": settings["WTF_CSRF_ENABLED"],
        "SESSION_COOKIE_SECURE": settings["SESSION_COOKIE_SECURE"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "APP_NAME": settings["APP_NAME"],
        "BABEL_DEFAULT_LOCALE": locale,
        "LANGUAGES": {
            "zh": {"flag": "cn", "name": "中文"},
            "en": {"flag": "gb", "name": "English"},
        },
        # The schema is created by migrations only; permissions are synced by `onewindow init`.
        "FAB_CREATE_DB": False,
        "FAB_UPDATE_PERMS": False,
        "FAB_ADD_SECURITY_API": False,
        "AUTH_ROLE_ADMIN": "admin",
        "AUTH_ROLE_PUBLIC": "Public",
        "AUTH_USER_REGISTRATION": False,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=settings["JWT_ACCESS_TOKEN_EXPIRES_MINUTES"]),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(hours=settings["JWT_REFRESH_TOKEN_EXPIRES_HOURS"]),
        "AUTH_RATE_LIMITED": settings["AUTH_RATE_LIMITED"],
        "AUTH_RATE_LIMIT": settings["AUTH_RATE_LIMIT"],
        "RATELIMIT_ENABLED": True,
        **rate_limit_storage(settings),
        "RATELIMIT_HEADERS_ENABLED": True,
        "FAB_PASSWORD_COMPLEXITY_ENABLED": True,
        "FAB_PASSWORD_COMPLEXITY_VALIDATOR": fab_password_validator,
        "FAB_API_SWAGGER_UI": True,
        "FAB_SECURITY_MANAGER_CLASS": "onewindow.security.OneWindowSecurityManager",
    }
