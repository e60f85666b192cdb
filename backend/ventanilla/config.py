"""Settings (environment, prefix VENTANILLA_) and the shop policy file."""

from __future__ import annotations

import json
import secrets
import tomllib
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "change-me"


Resolution = Literal["refund", "exchange", "store_credit", "keep_it"]
# What the portal can carry out today; the check refuses a rule offering anything else.
BUILT_RESOLUTIONS = ("refund",)
WITHDRAWAL_DAYS = 14  # TRLGDCU art. 104, Directive 2011/83/EU art. 9


class ReturnReason(BaseModel):
    """One reason a shopper can pick; `claim` sends the shopper to a claim instead (defects)."""

    model_config = {"extra": "forbid"}

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    en: str = Field(min_length=1, max_length=120)
    es: str = Field(min_length=1, max_length=120)
    claim: bool = False


class RuleMatch(BaseModel):
    """When a rule applies to a line: every condition given must hold (none given: always)."""

    model_config = {"extra": "forbid"}

    tags: list[str] = []  # any of them
    skus: list[str] = []  # any of them
    countries: list[str] = []  # delivery country, ISO 3166 alpha-2
    min_days_since_delivery: int | None = Field(default=None, ge=0)
    max_days_since_delivery: int | None = Field(default=None, ge=0)
    min_unit_price_minor: int | None = Field(default=None, ge=0)
    max_unit_price_minor: int | None = Field(default=None, ge=0)
    discounted: bool | None = None
    reasons: list[str] = []  # any of them


class ReturnRule(BaseModel):
    """A line the rule matches gets this outcome (the first matching rule wins)."""

    model_config = {"extra": "forbid"}

    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_.-]+$")
    match: RuleMatch = RuleMatch()
    eligible: bool = True
    reason_en: str | None = Field(default=None, max_length=300)
    reason_es: str | None = Field(default=None, max_length=300)
    window_days: int | None = Field(default=None, ge=0, le=3650)
    fee_percent: int = Field(default=0, ge=0, le=100)  # e.g. restocking, of what was paid
    fee_minor: int = Field(default=0, ge=0)  # per unit
    resolutions: list[Resolution] = ["refund"]
    return_shipping: Literal["shop", "customer"] = "customer"
    review: bool = False
    # "withdrawal" or "both": the rule also touches withdrawals, where the law layer allows
    # only what is more generous than the law (a longer window, the shop paying shipping).
    applies_to: Literal["return", "withdrawal", "both"] = "return"

    def law_problems(self) -> list[str]:
        """Why this rule would break the law on withdrawals (TRLGDCU arts. 102-108)."""
        if self.applies_to == "return":
            return []
        problems = []
        if self.fee_percent or self.fee_minor:
            problems.append("a withdrawal is free: no fee may be charged (TRLGDCU art. 108)")
        if not self.eligible:
            problems.append(
                "a rule cannot refuse a withdrawal; exceptions are products tagged with one of "
                "withdrawal_exception_tags (TRLGDCU art. 103)"
            )
        if "refund" not in self.resolutions:
            problems.append(
                "a withdrawal is refunded in money: store credit or exchange cannot be forced "
                "(TRLGDCU art. 107)"
            )
        if self.window_days is not None and self.window_days < WITHDRAWAL_DAYS:
            problems.append(f"the withdrawal window is at least {WITHDRAWAL_DAYS} days")
        return problems


class ReturnsPolicy(BaseModel):
    """The shop's return rules (docs/returns.md); the law on withdrawal sits under them."""

    model_config = {"extra": "forbid"}

    window_days: int = Field(default=30, ge=0, le=3650)
    # A parcel with no delivery event counts as delivered this many days after it shipped.
    carrier_allowance_days: int = Field(default=5, ge=0, le=60)
    withdrawal_exception_tags: list[str] = []
    reasons: list[ReturnReason] = [
        ReturnReason(code="changed_mind", en="I changed my mind", es="He cambiado de opinión"),
        ReturnReason(code="wrong_size", en="Wrong size", es="No es mi talla"),
        ReturnReason(code="not_as_described", en="Not as described", es="No es como se describía"),
        ReturnReason(
            code="broken", en="It is broken or faulty", es="Está roto o no funciona", claim=True
        ),
    ]
    # The standard delivery price: a whole-order withdrawal refunds shipping up to it, not an
    # express surcharge (TRLGDCU art. 107.2). None: all the shipping paid is refunded.
    standard_shipping_minor: int | None = Field(default=None, ge=0)
    return_address: str = ""
    send_within_days: int = Field(default=14, ge=1, le=365)
    rules: list[ReturnRule] = []

    @model_validator(mode="after")
    def _lawful(self) -> ReturnsPolicy:
        problems = [f"rule {r.id}: {p}" for r in self.rules for p in r.law_problems()]
        ids = [r.id for r in self.rules]
        problems += [
            f"rule id {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})
        ]
        codes = {r.code for r in self.reasons}
        for rule in self.rules:
            problems += [
                f"rule {rule.id}: resolution {r} is not available yet (only "
                f"{', '.join(BUILT_RESOLUTIONS)})"
                for r in rule.resolutions
                if r not in BUILT_RESOLUTIONS
            ]
            problems += [
                f"rule {rule.id}: unknown reason {c}" for c in rule.match.reasons if c not in codes
            ]
            if not rule.eligible and not (rule.reason_en and rule.reason_es):
                problems.append(f"rule {rule.id}: a 'no' needs reason_en and reason_es")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ShopPolicy(BaseModel):
    """Rules the shop owns; read from a JSON or TOML file so a shop can see and change them."""

    model_config = {"extra": "forbid", "frozen": True}  # shared: `Settings.policy` keeps it

    # Statuses in which a shopper may still change the address or amend the order.
    editable_statuses: list[str] = ["placed", "paid", "processing"]
    edit_window_hours: int | None = None
    return_window_days: int = 30
    keep_it_threshold_minor: int = 0
    waive_difference_under_minor: int = 0
    link_ttl_days: int = 15
    link_max_uses: int = 5
    returns: ReturnsPolicy = ReturnsPolicy()
    # Rates per indirect-tax area (`addresses.tax_areas`), by the shop's names for its kinds of
    # rate, in percent: {"ES": {"standard": 21, "reduced": 10, "super_reduced": 4},
    # "ES-CN": {"standard": 7, "reduced": 3, "super_reduced": 0}}. A delivery may move between
    # two areas named here (the lines are re-taxed kind for kind); otherwise it is refused.
    tax_rates_by_area: dict[str, dict[str, Decimal]] = {}


_DEFAULT_POLICY = ShopPolicy()
_POLICIES: dict[tuple[str, int, int], ShopPolicy] = {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VENTANILLA_", env_file=None, extra="ignore")

    env: Literal["demo", "test", "production"] = "demo"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'ventanilla.db'}"
    base_url: str = "http://127.0.0.1:8000"
    var_dir: Path = ROOT / "var"

    secret_key: SecretStr = SecretStr(PLACEHOLDER)
    link_secret: SecretStr = SecretStr(PLACEHOLDER)

    shop_name: str = "Ventanilla"
    shop_email: str = "tienda@example.com"
    default_locale: str = "es"
    timezone: str = "Europe/Madrid"
    policy_file: Path | None = None

    # Email: SMTP if a host is set, otherwise (demo) .eml files under var/mail.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Ventanilla <no-reply@example.com>"
    # The SMTP server accepts SMTPUTF8 (RFC 6531): addresses with a non-ASCII local part
    # (`josé@example.com`) can be delivered. Off: such addresses are refused when the shop pushes
    # them (422), as no message to them could leave. A setting, not an EHLO probe at push time,
    # so the store API never depends on the mail server being up.
    smtp_utf8: bool = False

    # Outbox worker
    run_worker_in_process: bool | None = None  # default: on in demo mode
    worker_poll_seconds: float = 2.0
    # 20 attempts with the 6 h cap span about two days, so a weekend outage loses nothing.
    outbox_max_attempts: int = 20
    outbox_backoff_base_seconds: float = 10.0
    outbox_backoff_max_seconds: float = 6 * 3600
    webhook_timeout_seconds: float = 10.0
    allow_http_webhooks: bool | None = None  # default: only outside production
    # Webhooks to loopback, private, link-local... addresses (outbox/targets.py): for development
    # and the tests only. Default: only outside production.
    webhooks_allow_private: bool | None = None

    # Shopper sessions
    session_idle_minutes: int = 120
    session_absolute_hours: int = 24
    find_order_limit_per_hour: int = 5
    # Per client IP: looser than per address/order, as many shoppers can share one IP (NAT).
    find_order_ip_limit_per_hour: int = 30

    max_body_bytes: int = 1_000_000
    # PDFs the shop pushes (PUT /api/v1/invoices/{number}/pdf) have their own, larger limit.
    invoice_pdf_max_bytes: int = 5_000_000
    db_pool_size: int = 20

    # Admission control (core.admission): how much work one app process takes on at once. A
    # request holds at most two pooled connections (its unit of work and a short one of its
    # own), so the default in-flight limit is half the pool after two connections kept for the
    # in-process worker and /readyz; the thread pool is made at least
    # that large plus a margin. Work beyond it waits on the event loop (holding no thread and
    # no connection) for up to `admission_wait_seconds`, with at most `admission_max_waiting`
    # waiting; past that it gets 503 with Retry-After. One client's own work beyond its limit
    # gets 429 with Retry-After at once: per shopper session, per API key, per client IP.
    max_in_flight: int | None = None  # default: (db_pool_size - 2) // 2
    admission_max_waiting: int | None = None  # default: 4 x max_in_flight
    admission_wait_seconds: float = 5.0
    thread_limit: int | None = None  # default: max(40, max_in_flight + 8)
    limit_per_session: int = 8
    limit_per_api_key: int = 32
    limit_per_ip: int = 64

    # Redis (redis://host:6379/0): rate limits and the per-client limits above are shared by
    # every replica there; unset, rate limits are database counters and the concurrency limits
    # are per process (one machine). `redis_prefix` separates deployments sharing one Redis.
    redis_url: str | None = None
    redis_prefix: str = "ventanilla"

    # Blob storage (claim photos, invoice PDFs): a folder (default var/blobs) unless an S3
    # bucket is set; then boto3, with these or its usual credentials (docs/storage.md).
    storage_dir: Path | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # MinIO, Ceph, R2...; unset for AWS
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = ""

    # Claim photos: limits checked before decoding, and the re-encoded copies kept.
    photo_max_bytes: int = 10 * 1024 * 1024
    photo_max_count: int = 8
    photo_max_pixels: int = 50_000_000  # a 48 MP phone photo fits, a decompression bomb not
    photo_max_side: int = 2560  # long side of the stored copy, in pixels
    photo_thumbnail_side: int = 320
    media_url_seconds: int = 900  # lifetime of the signed photo URLs given to the shop

    # Stripe: refunds and extra payments for order changes. No secret key = no Stripe: changes
    # are applied with the difference recorded for the shop to settle.
    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    stripe_api_base: str | None = None  # tests: localstripe on loopback
    stripe_js_url: str = "https://js.stripe.com/v3/"
    stripe_webhook_secret: SecretStr | None = None  # whsec_… of the webhook endpoint
    # Confirm and cancel call Stripe under the order lock (on SQLite the write lock, whose
    # busy_timeout is 30 s): two calls must fit in it.
    stripe_timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if self.run_worker_in_process is None:
            self.run_worker_in_process = self.env == "demo"
        if self.allow_http_webhooks is None:
            self.allow_http_webhooks = self.env != "production"
        if self.webhooks_allow_private is None:
            self.webhooks_allow_private = self.env != "production"
        if self.policy_file is not None:
            load_policy(self.policy_file)  # validated at start-up: a bad file stops the app
        return self

    @property
    def in_flight_limit(self) -> int:
        """Requests one process works on at once (`max_in_flight`, else half the pool after
        two connections kept for the in-process worker and readiness checks)."""
        return max(1, self.max_in_flight or (self.db_pool_size - 2) // 2)

    @property
    def waiting_limit(self) -> int:
        """Requests allowed to wait for a slot on the event loop."""
        if self.admission_max_waiting is not None:
            return max(0, self.admission_max_waiting)
        return 4 * self.in_flight_limit

    @property
    def threads(self) -> int:
        """Worker threads for sync routes and dependencies: enough for every request in flight
        (each uses one at a time) plus the after-commit work and a margin."""
        return max(self.thread_limit or 40, self.in_flight_limit + 8)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production"

    def policy(self) -> ShopPolicy:
        """The shop's rules: the file's as it is now (re-read when it changes), else defaults."""
        if self.policy_file is None:
            return _DEFAULT_POLICY
        stat = self.policy_file.stat()
        key = (str(self.policy_file), stat.st_mtime_ns, stat.st_size)
        found = _POLICIES.get(key)
        if found is None:
            found = load_policy(self.policy_file)
            _POLICIES.clear()  # one file in use: keep only its newest reading
            _POLICIES[key] = found
        return found

    def check_secrets(self) -> None:
        """Refuse to run in production with placeholder secrets; generate them in demo/test."""
        placeholders = [
            name
            for name in ("secret_key", "link_secret")
            if getattr(self, name).get_secret_value() in ("", PLACEHOLDER)
        ]
        if not placeholders:
            return
        if self.production:
            raise RuntimeError(
                "refusing to start in production with placeholder secrets: "
                + ", ".join(f"VENTANILLA_{n.upper()}" for n in placeholders)
            )
        stored = _local_secrets(self.var_dir)
        for name in placeholders:
            setattr(self, name, SecretStr(stored[name]))


def _local_secrets(var_dir: Path) -> dict[str, str]:
    """Demo mode keeps generated secrets under var/ so links survive a restart."""
    path = var_dir / "secrets.json"
    data: dict[str, str] = {}
    if path.exists():
        data = json.loads(path.read_text())
    changed = False
    for name in ("secret_key", "link_secret"):
        if not data.get(name):
            data[name] = secrets.token_urlsafe(32)
            changed = True
    if changed:
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
        path.chmod(0o600)
    return data


def load_policy(path: Path) -> ShopPolicy:
    """The shop policy in `path` (`.toml`, else JSON), validated with the law layer.

    Raises pydantic.ValidationError (the rule and the law it breaks) or OSError.
    """
    text = path.read_text()
    if path.suffix == ".toml":
        return ShopPolicy.model_validate(tomllib.loads(text))
    return ShopPolicy.model_validate_json(text)


_override: Settings | None = None


@lru_cache
def _settings_from_env() -> Settings:
    settings = Settings()
    settings.check_secrets()
    return settings


def get_settings() -> Settings:
    return _override if _override is not None else _settings_from_env()


def use_settings(settings: Settings | None) -> None:
    """Install explicit settings (tests, CLI); None goes back to the environment."""
    global _override
    if settings is not None:
        settings.check_secrets()
    _override = settings
    _settings_from_env.cache_clear()
