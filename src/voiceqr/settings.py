"""One typed settings tree, read once from `VOICEQR_*` environment variables.

Each field `section.name` is read from `VOICEQR_SECTION_NAME`, except a section's
`backend`, which is `VOICEQR_SECTION` (`VOICEQR_STORAGE=s3`). A wrong value stops
start-up with a message naming the variable and what it expects.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec

PREFIX = "VOICEQR_"
MAX_VIEW_AS_MINUTES = 240  # staff view the site as a user for a support call, not a day


class SettingsError(Exception):
    """A setting is missing or wrong; the message names the variable."""


class Database(msgspec.Struct, frozen=True, kw_only=True):
    url: str = ""  # empty: a SQLite file in the data directory


class Queue(msgspec.Struct, frozen=True, kw_only=True):
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    stream: str = "voiceqr:generations"


class Storage(msgspec.Struct, frozen=True, kw_only=True):
    backend: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_endpoint_url: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_public_base_url: str = ""
    s3_presign_seconds: int = 3600


class Speech(msgspec.Struct, frozen=True, kw_only=True):
    providers: str = "espeak"  # comma-separated: espeak, elevenlabs
    espeak_max_chars: int = 5000
    elevenlabs_api_key: str = ""
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    elevenlabs_model_id: str = "eleven_multilingual_v2"
    elevenlabs_timeout_seconds: float = 60.0
    elevenlabs_max_chars: int = 5000


class Mail(msgspec.Struct, frozen=True, kw_only=True):
    backend: Literal["outbox", "smtp"] = "outbox"
    sender: str = "voiceqr <no-reply@localhost>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"


class Jobs(msgspec.Struct, frozen=True, kw_only=True):
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    lease_seconds: int = 300
    sweep_interval_seconds: float = 15.0
    requeue_after_seconds: float = 60.0


class Sessions(msgspec.Struct, frozen=True, kw_only=True):
    backend: Literal["database", "redis"] = "database"
    redis_url: str = "redis://127.0.0.1:6379/0"
    idle_minutes: int = 120
    absolute_hours: int = 12
    remember_days: int = 30


class Auth(msgspec.Struct, frozen=True, kw_only=True):
    secret_key: str = ""  # empty in development: one is made and kept in the data dir
    trusted_proxies: str = "127.0.0.1,::1"
    country_header: str = ""  # e.g. CF-IPCountry, believed only from trusted proxies
    activity_retention_days: int = 180
    sign_in_per_minute: int = 30  # per client address, and separately per account
    emails_per_hour: int = 5  # sign-up, verification, reset mails per account
    # The same per client address: generous, a classroom or an office shares one.
    address_emails_per_hour: int = 50
    api_key_rotation_grace_hours: int = 24  # a rotated key's old secret works this long
    google_issuer: str = "https://accounts.google.com"
    google_client_id: str = ""
    google_client_secret: str = ""
    microsoft_issuer: str = "https://login.microsoftonline.com/common/v2.0"
    microsoft_client_id: str = ""
    microsoft_client_secret: str = ""


class Alerts(msgspec.Struct, frozen=True, kw_only=True):
    """The failure-rate alert (F6): checked by a periodic job of the workers."""

    failure_rate_threshold: float = 0.2  # 0..1: alert when more than this share fails
    window_minutes: int = 15  # the failure rate is over the attempts finished this long ago
    min_attempts: int = 20  # fewer finished attempts in the window never alert
    cooldown_minutes: int = 60  # after an alert, none again for this long


class Playback(msgspec.Struct, frozen=True, kw_only=True):
    """The public playback page, the hot path: every scan of a printed code opens it."""

    cache_seconds: float = 2.0  # how long a process may show a code as it was (0: no cache)
    flush_seconds: float = 1.0  # embedded: scans are stored at least this often
    stream: str = "voiceqr:playback"  # with VOICEQR_QUEUE=redis: the stream of scans


class Analytics(msgspec.Struct, frozen=True, kw_only=True):
    """The owners' dashboards: raw scan and listen events are rolled up per day."""

    retention_months: int = 13  # raw events older than this are deleted (roll-ups stay)
    rollup_minutes: int = 15  # how often workers look for a completed day to roll up


class Previews(msgspec.Struct, frozen=True, kw_only=True):
    """Comparing voices: previews of one short text read by several voices."""

    per_user_per_day: int = 20  # new previews a user may make in any 24 hours
    keep_days: int = 7  # a preview (and a comparison) is deleted this long after its last use
    expiry_minutes: int = 60  # how often the workers delete expired previews


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """The user's own data leaving: deleting an account."""

    deletion_grace_days: int = 14  # the owner may keep the account this long after asking


class Moderation(msgspec.Struct, frozen=True, kw_only=True):
    """Content moderation: the queue's escalation and the public reports' limits."""

    escalate_after_hours: int = 24  # a queue item waiting longer goes to admins
    reports_per_visitor_per_hour: int = 5  # reports one visitor may send, all codes together
    reports_per_code_per_hour: int = 30  # reports one code may receive


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["development", "production"] = "development"
    data_dir: str = "./data"
    public_base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "text"
    view_as_minutes: int = 15  # how long staff view the site as a user before it ends
    database: Database = msgspec.field(default_factory=Database)
    queue: Queue = msgspec.field(default_factory=Queue)
    storage: Storage = msgspec.field(default_factory=Storage)
    speech: Speech = msgspec.field(default_factory=Speech)
    mail: Mail = msgspec.field(default_factory=Mail)
    jobs: Jobs = msgspec.field(default_factory=Jobs)
    sessions: Sessions = msgspec.field(default_factory=Sessions)
    auth: Auth = msgspec.field(default_factory=Auth)
    alerts: Alerts = msgspec.field(default_factory=Alerts)
    playback: Playback = msgspec.field(default_factory=Playback)
    analytics: Analytics = msgspec.field(default_factory=Analytics)
    previews: Previews = msgspec.field(default_factory=Previews)
    account: Account = msgspec.field(default_factory=Account)
    moderation: Moderation = msgspec.field(default_factory=Moderation)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{self.data_path / 'voiceqr.db'}"

    @property
    def is_embedded_database(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def speech_providers(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.speech.providers.split(",") if p.strip())

    @property
    def trusted_proxy_networks_text(self) -> tuple[str, ...]:
        return tuple(p.strip() for p in self.auth.trusted_proxies.split(",") if p.strip())

    def replace(self, **changes: Any) -> Settings:
        return msgspec.structs.replace(self, **changes)


# The groups of settings (VOICEQR_<GROUP>_<NAME>): every field that is a struct itself.
_SECTIONS = frozenset(
    field.name
    for field in msgspec.structs.fields(Settings)
    if isinstance(getattr(Settings(), field.name), msgspec.Struct)
)


def env_name(path: tuple[str, ...]) -> str:
    """The variable that sets a field: ('storage', 'backend') -> VOICEQR_STORAGE."""
    parts = path[:-1] if path[-1] == "backend" else path
    return PREFIX + "_".join(parts).upper()


def all_variables() -> list[tuple[str, str, Any]]:
    """(variable, type, default) for every setting, for the README and `voiceqr settings`."""
    rows: list[tuple[str, str, Any]] = []
    defaults = Settings()
    for field in msgspec.structs.fields(Settings):
        if field.name in _SECTIONS:
            section = getattr(defaults, field.name)
            for sub in msgspec.structs.fields(type(section)):
                rows.append(
                    (
                        env_name((field.name, sub.name)),
                        _type_name(sub.type),
                        getattr(section, sub.name),
                    )
                )
        else:
            rows.append(
                (env_name((field.name,)), _type_name(field.type), getattr(defaults, field.name))
            )
    return rows


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (or the given mapping); raises SettingsError."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    known = set()
    for field in msgspec.structs.fields(Settings):
        if field.name in _SECTIONS:
            section: dict[str, Any] = {}
            for sub in msgspec.structs.fields(type(getattr(Settings(), field.name))):
                name = env_name((field.name, sub.name))
                known.add(name)
                if name in environ:
                    section[sub.name] = environ[name]
            raw[field.name] = section
        else:
            name = env_name((field.name,))
            known.add(name)
            if name in environ:
                raw[field.name] = environ[name]
    unknown = sorted(k for k in environ if k.startswith(PREFIX) and k not in known)
    if unknown:
        raise SettingsError(f"{unknown[0]}: unknown setting; `voiceqr settings` lists them all")
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_explain(str(exc))) from None
    _check(settings)
    return settings


def _explain(message: str) -> str:
    match = re.search(r"at `\$\.([\w.]+)`", message)
    if not match:
        return f"Invalid settings: {message}"
    path = tuple(match.group(1).split("."))
    reason = message[: match.start()].strip().rstrip("-").strip()
    return f"{env_name(path)}: {reason}"


def _check(settings: Settings) -> None:
    def fail(path: tuple[str, ...], why: str) -> None:
        raise SettingsError(f"{env_name(path)}: {why}")

    if not re.match(r"^https?://[^/\s]+", settings.public_base_url):
        fail(("public_base_url",), "expected an http(s) URL such as https://voiceqr.example")
    if not 0 < settings.port < 65536:
        fail(("port",), "expected a port number between 1 and 65535")
    url = settings.database_url
    if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        fail(("database", "url"), "expected sqlite+aiosqlite:///path or postgresql+asyncpg://...")
    if settings.storage.backend == "s3" and not settings.storage.s3_bucket:
        fail(("storage", "s3_bucket"), "required when VOICEQR_STORAGE=s3")
    providers = settings.speech_providers
    if not providers:
        fail(("speech", "providers"), "name at least one speech provider (espeak, elevenlabs)")
    for provider in providers:
        if provider not in ("espeak", "elevenlabs"):
            fail(("speech", "providers"), f"unknown provider '{provider}' (espeak, elevenlabs)")
    if "elevenlabs" in providers and not settings.speech.elevenlabs_api_key:
        fail(("speech", "elevenlabs_api_key"), "required when elevenlabs is a speech provider")
    if settings.env == "production" and len(settings.auth.secret_key) < 32:
        fail(("auth", "secret_key"), "required in production: at least 32 random characters")
    for proxy in settings.trusted_proxy_networks_text:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            fail(("auth", "trusted_proxies"), f"'{proxy}' is not an IP address or network")
    if settings.auth.api_key_rotation_grace_hours < 0:
        fail(("auth", "api_key_rotation_grace_hours"), "expected 0 or more hours")
    if not 1 <= settings.view_as_minutes <= MAX_VIEW_AS_MINUTES:
        fail(("view_as_minutes",), f"expected 1 to {MAX_VIEW_AS_MINUTES} minutes")
    if settings.jobs.max_attempts < 1:
        fail(("jobs", "max_attempts"), "expected at least 1")
    if settings.jobs.lease_seconds < 5:
        fail(("jobs", "lease_seconds"), "expected at least 5 seconds")
    if settings.account.deletion_grace_days < 0:
        fail(("account", "deletion_grace_days"), "expected 0 or more days")
    if settings.moderation.escalate_after_hours < 1:
        fail(("moderation", "escalate_after_hours"), "expected at least 1 hour")
    for limit in ("reports_per_visitor_per_hour", "reports_per_code_per_hour"):
        if getattr(settings.moderation, limit) < 1:
            fail(("moderation", limit), "expected at least 1 report")
    if settings.playback.cache_seconds < 0:
        fail(("playback", "cache_seconds"), "expected 0 or more seconds")
    if not 0 < settings.playback.flush_seconds <= 60:
        fail(("playback", "flush_seconds"), "expected more than 0 and at most 60 seconds")
    if settings.analytics.retention_months < 1:
        fail(("analytics", "retention_months"), "expected at least 1 month")
    if settings.analytics.rollup_minutes < 1:
        fail(("analytics", "rollup_minutes"), "expected at least 1 minute")
    if settings.previews.per_user_per_day < 0:
        fail(("previews", "per_user_per_day"), "expected 0 or more previews")
    if settings.previews.keep_days < 1:
        fail(("previews", "keep_days"), "expected at least 1 day")
    if settings.previews.expiry_minutes < 1:
        fail(("previews", "expiry_minutes"), "expected at least 1 minute")
    alerts = settings.alerts
    if not 0 <= alerts.failure_rate_threshold <= 1:
        fail(("alerts", "failure_rate_threshold"), "expected a rate from 0 to 1, e.g. 0.2")
    if alerts.window_minutes < 1:
        fail(("alerts", "window_minutes"), "expected at least 1 minute")
    if alerts.min_attempts < 1:
        fail(("alerts", "min_attempts"), "expected at least 1")
    if alerts.cooldown_minutes < 0:
        fail(("alerts", "cooldown_minutes"), "expected 0 or more minutes")


def _type_name(tp: Any) -> str:
    name = getattr(tp, "__name__", None)
    if name and name != "Literal":
        return str(name)
    args = getattr(tp, "__args__", ())
    return " | ".join(str(a) for a in args) if args else str(tp)
