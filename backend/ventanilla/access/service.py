"""Shopper access: "my order" links, find-my-order, and server-side shopper sessions."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from ventanilla.access import emails, policy, repository, tokens
from ventanilla.access.exceptions import (
    CodeNotNeeded,
    LinkExpired,
    LinkInvalid,
    LinkRejected,
    LinkRevoked,
    LinkSpent,
    NoShopperSession,
    OrderNotFound,
)
from ventanilla.access.models import AccessCode, ShopperSession
from ventanilla.activity import service as activity_service
from ventanilla.config import Settings, get_settings
from ventanilla.core import clock, i18n, ratelimit
from ventanilla.core.actors import Actor
from ventanilla.customers.models import Customer
from ventanilla.orders import address_rules
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service

log = logging.getLogger("ventanilla.access")

_SESSION_TOKEN = policy.SESSION_TOKEN


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime
    claims: tokens.LinkClaims


@dataclass(frozen=True)
class OpenedLink:
    order_number: str
    session_token: str  # the clear cookie value; only its hash is stored
    max_age_seconds: int


@dataclass(frozen=True)
class ActiveSession:
    record: ShopperSession
    customer: Customer
    touch_due: bool


# --- links -------------------------------------------------------------------------------


def _link_secret(settings: Settings) -> bytes:
    return settings.link_secret.get_secret_value().encode()


def _issue(
    settings: Settings,
    *,
    order: Order,
    customer: Customer,
    ttl_days: int | None,
    max_uses: int | None,
) -> IssuedLink:
    policy_ = settings.policy()
    token, claims = tokens.issue(
        order_number=order.number,
        email=customer.email,
        now=clock.now(),
        ttl=timedelta(days=ttl_days or policy_.link_ttl_days),
        max_uses=max_uses or policy_.link_max_uses,
        secret=_link_secret(settings),
    )
    url = settings.base_url.rstrip("/") + "/l/" + token
    return IssuedLink(url=url, expires_at=claims.expires_at_datetime, claims=claims)


def create_link(
    session: Session,
    *,
    actor: Actor,
    order_number: str,
    ttl_days: int | None = None,
    max_uses: int | None = None,
) -> IssuedLink:
    """Sign a "my order" link for the order's customer (the store API)."""
    settings = get_settings()
    order = orders_repository.get_by_number(session, order_number)
    customer = repository.customer_by_id(session, order.customer_id) if order else None
    if order is None or customer is None:
        raise OrderNotFound()
    issued = _issue(settings, order=order, customer=customer, ttl_days=ttl_days, max_uses=max_uses)
    activity_service.record(
        session,
        actor=actor,
        kind="access.link_created",
        order_id=order.id,
        customer_id=customer.id,
        data={"expires_at": issued.expires_at.isoformat(), "max_uses": issued.claims.max_uses},
    )
    return issued


def _verified(session: Session, token: str) -> tuple[tokens.LinkClaims, Order, Customer]:
    """The link's claims, order and customer; the MAC binds the order's customer email."""
    try:
        unverified = tokens.parse(token)
    except tokens.TokenError:
        raise LinkInvalid() from None
    # Untrusted until the MAC is checked: the order number only picks which email to check.
    order = orders_repository.get_by_number(session, unverified.claims.order_number)
    customer = repository.customer_by_id(session, order.customer_id) if order else None
    try:
        claims = tokens.check(
            unverified,
            # An unknown order, another customer's email, a tampered token: all just "invalid".
            email=customer.email if customer else None,  # the documented scheme (tokens)
            secret=_link_secret(get_settings()),
            now=clock.now(),
        )
    except tokens.TokenError as exc:
        number = exc.claims.order_number if exc.claims else None
        if exc.reason == "expired":
            raise LinkExpired(order_number=number) from None
        raise LinkInvalid() from None
    if order is None or customer is None:  # check() refuses these already
        raise LinkInvalid()
    return claims, order, customer


def _refusal(session: Session, claims: tokens.LinkClaims, order: Order) -> LinkRejected:
    used = repository.link_use(session, claims.jti)
    if used is None or used.order_id != order.id:
        return LinkInvalid()
    if used.revoked_at is not None:
        return LinkRevoked(order_number=claims.order_number)
    return LinkSpent(order_number=claims.order_number)


def inspect_link(session: Session, *, token: str) -> tuple[tokens.LinkClaims, str | None]:
    """Check a link without spending it (mail scanners open links too); (claims, the customer's
    language, so the link page speaks the language the order page will)."""
    claims, order, customer = _verified(session, token)
    used = repository.link_use(session, claims.jti)
    if used is not None and (
        used.order_id != order.id or used.revoked_at is not None or used.uses >= claims.max_uses
    ):
        raise _refusal(session, claims, order)
    return claims, customer.locale


def open_link(session: Session, *, token: str, previous_session: str | None = None) -> OpenedLink:
    """Spend one use of a link and start a shopper session for its customer."""
    settings = get_settings()
    claims, order, customer = _verified(session, token)
    now = clock.now()
    uses = repository.spend_link_use(
        session, jti=claims.jti, order_id=order.id or 0, max_uses=claims.max_uses, now=now
    )
    if uses is None:
        raise _refusal(session, claims, order)
    if previous_session:
        end_session(session, token=previous_session)
    # The link proves access to the mailbox as of when it was issued (a fresh find-my-order link
    # is recent proof; the shop's confirmation email from last week is not, and a forwarded or
    # shared-inbox link should not move goods without a fresh code).
    issued_at = datetime.fromtimestamp(claims.issued_at, UTC)
    clear = start_session(
        session,
        customer_id=customer.id or 0,
        order_id=order.id,
        via="link",
        verified_at=min(issued_at, now),
    )
    activity_service.record(
        session,
        actor=Actor.customer(customer.id or 0),
        kind="access.link_used",
        order_id=order.id,
        customer_id=customer.id,
        data={"use": uses, "max_uses": claims.max_uses},
    )
    return OpenedLink(
        order_number=order.number,
        session_token=clear,
        max_age_seconds=settings.session_absolute_hours * 3600,
    )


# --- find my order -----------------------------------------------------------------------


def _find_limits(
    settings: Settings, *, number: str, email: str, postcode: str, client_ip: str
) -> list[ratelimit.Limit]:
    secret = settings.secret_key.get_secret_value()
    per_hour = settings.find_order_limit_per_hour
    limits = [ratelimit.Limit(ratelimit.hashed_key("find:order", number.upper(), secret), per_hour)]
    if email:
        key = ratelimit.hashed_key("find:email", policy.normalize_email(email), secret)
        limits.append(ratelimit.Limit(key, per_hour))
    if postcode:
        key = ratelimit.hashed_key("find:postcode", policy.normalize_postcode(postcode), secret)
        limits.append(ratelimit.Limit(key, per_hour))
    if client_ip:
        key = ratelimit.hashed_key("find:ip", client_ip, secret)
        limits.append(ratelimit.Limit(key, settings.find_order_ip_limit_per_hour))
    return limits


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _matches(
    session: Session, order: Order, customer: Customer, *, email: str, postcode: str
) -> bool:
    if email and _same(policy.normalize_email(customer.email), policy.normalize_email(email)):
        return True
    if postcode and (stored := repository.shipping_postcode(session, order.id or 0)):
        # Read by the address rules of the order's country (8001 ~ 08001).
        key = address_rules.postcode_key
        return _same(key(stored[0], stored[1]), key(postcode, stored[1]))
    return False


def request_link_by_details(
    session: Session,
    *,
    order_number: str,
    email: str = "",
    postcode: str = "",
    client_ip: str = "",
    language: i18n.Preferences | None = None,
) -> None:
    """Email a fresh link to the order's own address if the details match; never say whether.

    The email is in the language the shopper is using (`language`, decided with the customer
    once found), else the customer's own.
    """
    settings = get_settings()
    number = policy.normalize_order_number(order_number)
    ratelimit.enforce(
        session,
        _find_limits(settings, number=number, email=email, postcode=postcode, client_ip=client_ip),
    )
    order = orders_repository.find_by_typed_number(session, number)
    customer = repository.customer_by_id(session, order.customer_id) if order else None
    if order is None or customer is None:
        return
    if not _matches(session, order, customer, email=email, postcode=postcode):
        return
    issued = _issue(settings, order=order, customer=customer, ttl_days=None, max_uses=None)
    said = language or i18n.Preferences()
    locale = said.for_customer(customer.locale, order.locale)
    message = emails.link_email(
        locale=locale,
        shop_name=settings.shop_name,
        customer_name=customer.name,
        order_number=order.number,
        url=issued.url,
        expires_at=issued.expires_at,
        timezone=settings.timezone,
    )
    # To the address on the order, never to what was typed.
    outbox_service.enqueue_email(
        session, to=customer.email, subject=message.subject, text=message.text, html=message.html
    )
    activity_service.record(
        session,
        actor=Actor.system(),
        kind="access.link_emailed",
        order_id=order.id,
        customer_id=customer.id,
        data={"via": "find_my_order"},
    )


# --- sessions ----------------------------------------------------------------------------


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    *,
    customer_id: int,
    order_id: int | None = None,
    via: str = "link",
    agent_id: str | None = None,
    verified_at: datetime | None = None,
) -> str:
    """Create a server-side session; returns the clear token for the cookie (stored hashed).

    `verified_at`: when the shopper last proved access to the customer's email (opening the
    emailed link does); None means an address change will first ask for an emailed code.
    """
    settings = get_settings()
    now = clock.now()
    token = secrets.token_urlsafe(32)
    repository.add_session(
        session,
        ShopperSession(
            token_hash=hash_session_token(token),
            customer_id=customer_id,
            order_id=order_id,
            via=via,
            agent_id=agent_id,
            verified_at=verified_at,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
        ),
    )
    return token


def resolve_session(session: Session, *, token: str | None) -> ActiveSession | None:
    """The active session for a cookie value; expired, revoked or unknown is None. No writes."""
    if not token or not _SESSION_TOKEN.match(token):
        return None
    found = repository.session_with_customer(session, hash_session_token(token))
    if found is None:
        return None
    record, customer = found
    settings = get_settings()
    now = clock.now()
    if not policy.session_is_active(
        record,
        now=now,
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    ):
        return None
    return ActiveSession(
        record=record, customer=customer, touch_due=policy.touch_due(record, now=now)
    )


def touch_session(session: Session, *, session_id: int) -> None:
    """Record activity on a session (callers do it at most once a minute)."""
    repository.touch_session(session, session_id=session_id, now=clock.now())


def end_session(session: Session, *, token: str | None) -> None:
    """Revoke the session behind a cookie value, if there is one."""
    if not token or not _SESSION_TOKEN.match(token):
        return
    record = repository.session_by_hash(session, hash_session_token(token))
    if record is not None and record.id is not None:
        repository.revoke_session(session, session_id=record.id, now=clock.now())


# --- one-time codes: proof of access to the customer's email -----------------------------


@dataclass(frozen=True)
class SentCode:
    sent_to: str  # the customer's address, masked
    expires_at: datetime


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of typing a code. Not an exception: a wrong try must be counted (committed)."""

    ok: bool
    # code_format | code_missing | code_expired | code_invalid | code_attempts_exhausted
    reason: str | None = None
    attempts_left: int = 0
    verified_until: datetime | None = None


def _code_hash(settings: Settings, session_id: int, code: str) -> str:
    # Keyed: a million codes are quickly tried against a plain hash; not without the secret.
    message = f"access-code:{session_id}:{code}".encode()
    return hmac.new(settings.secret_key.get_secret_value().encode(), message, "sha256").hexdigest()


def _own_session(shopper_session: ShopperSession, customer: Customer) -> int:
    if shopper_session.id is None or shopper_session.customer_id != customer.id:
        raise NoShopperSession()
    return shopper_session.id


def send_access_code(
    session: Session,
    *,
    shopper_session: ShopperSession,
    customer: Customer,
    order_id: int | None = None,
    locale: str | None = None,
) -> SentCode:
    """Email a 6-digit code to the customer's own address; only its hash is stored.

    `locale`: the language the shopper is using (the request's); else the customer's own.
    """
    settings = get_settings()
    session_id = _own_session(shopper_session, customer)
    if shopper_session.via == "agent":
        raise CodeNotNeeded()
    ratelimit.enforce(
        session,
        [ratelimit.Limit(f"code:send:customer:{customer.id}", policy.CODE_SENDS_PER_HOUR)],
    )
    now = clock.now()
    code = f"{secrets.randbelow(10**policy.CODE_LENGTH):0{policy.CODE_LENGTH}d}"
    record = repository.add_access_code(
        session,
        AccessCode(
            customer_id=customer.id or 0,
            session_id=session_id,
            code_hash=_code_hash(settings, session_id, code),
            created_at=now,
            expires_at=now + policy.CODE_TTL,
        ),
    )
    locale = i18n.choose(locale, customer.locale, default=settings.default_locale)
    message = emails.code_email(
        locale=locale,
        shop_name=settings.shop_name,
        customer_name=customer.name,
        code=code,
        minutes=int(policy.CODE_TTL.total_seconds() // 60),
    )
    # Always to the address on file: proving access to it is the point.
    outbox_service.enqueue_email(
        session, to=customer.email, subject=message.subject, text=message.text, html=message.html
    )
    activity_service.record(
        session,
        actor=Actor.customer(customer.id or 0),
        kind="access.code_sent",
        order_id=order_id,
        customer_id=customer.id,
        data={"session_id": session_id, "code_id": record.id},
    )
    return SentCode(sent_to=policy.mask_email(customer.email), expires_at=record.expires_at)


def verify_access_code(
    session: Session,
    *,
    shopper_session: ShopperSession,
    customer: Customer,
    code: str,
    order_id: int | None = None,
) -> CodeCheck:
    """Check a typed code against the session's newest one; right -> the session is verified."""
    settings = get_settings()
    session_id = _own_session(shopper_session, customer)
    typed = policy.normalize_code(code)
    if not policy.code_is_well_formed(typed):
        return CodeCheck(False, "code_format")
    ratelimit.enforce(
        session,
        [ratelimit.Limit(f"code:check:session:{session_id}", policy.CODE_CHECKS_PER_HOUR)],
    )
    now = clock.now()
    record = repository.latest_access_code(session, session_id=session_id)
    if record is None or record.id is None or record.used_at is not None:
        return CodeCheck(False, "code_missing")
    if now >= clock.as_utc(record.expires_at):
        return CodeCheck(False, "code_expired")
    attempts = repository.count_code_attempt(
        session, code_id=record.id, max_attempts=policy.CODE_MAX_ATTEMPTS
    )
    if attempts is None:
        return CodeCheck(False, "code_attempts_exhausted")
    expected = _code_hash(settings, session_id, typed)
    if not hmac.compare_digest(expected.encode(), record.code_hash.encode()):
        left = policy.CODE_MAX_ATTEMPTS - attempts
        return CodeCheck(False, "code_invalid" if left else "code_attempts_exhausted", left)
    if not repository.use_access_code(session, code_id=record.id, now=now):
        return CodeCheck(False, "code_missing")  # a concurrent request spent it first
    repository.mark_session_verified(session, shopper_session, now=now)
    activity_service.record(
        session,
        actor=Actor.customer(customer.id or 0),
        kind="access.code_verified",
        order_id=order_id,
        customer_id=customer.id,
        data={"session_id": session_id, "code_id": record.id, "attempts": attempts},
    )
    return CodeCheck(True, verified_until=now + policy.PROOF_MAX_AGE)
