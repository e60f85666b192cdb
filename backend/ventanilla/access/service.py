"""Shopper access: "my order" links, find-my-order, and server-side shopper sessions."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from ventanilla.access import emails, policy, repository, tokens
from ventanilla.access.exceptions import (
    LinkExpired,
    LinkInvalid,
    LinkRejected,
    LinkRevoked,
    LinkSpent,
    OrderNotFound,
)
from ventanilla.access.models import ShopperSession
from ventanilla.activity import service as activity_service
from ventanilla.config import Settings, get_settings
from ventanilla.core import clock, i18n, ratelimit
from ventanilla.core.actors import Actor
from ventanilla.customers.models import Customer
from ventanilla.orders import repository as orders_repository
from ventanilla.orders.models import Order
from ventanilla.outbox import service as outbox_service

log = logging.getLogger("ventanilla.access")

_SESSION_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


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
            email=policy.normalize_email(customer.email) if customer else None,
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


def inspect_link(session: Session, *, token: str) -> tokens.LinkClaims:
    """Check a link without spending it (mail scanners open links too)."""
    claims, order, _customer = _verified(session, token)
    used = repository.link_use(session, claims.jti)
    if used is not None and (
        used.order_id != order.id or used.revoked_at is not None or used.uses >= claims.max_uses
    ):
        raise _refusal(session, claims, order)
    return claims


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
    clear = start_session(session, customer_id=customer.id or 0, order_id=order.id, via="link")
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
    if postcode:
        stored = repository.shipping_postcode(session, order.id or 0)
        if stored and _same(policy.normalize_postcode(stored), policy.normalize_postcode(postcode)):
            return True
    return False


def request_link_by_details(
    session: Session, *, order_number: str, email: str = "", postcode: str = "", client_ip: str = ""
) -> None:
    """Email a fresh link to the order's own address if the details match; never say whether."""
    settings = get_settings()
    number = policy.normalize_order_number(order_number)
    ratelimit.enforce(
        session,
        _find_limits(settings, number=number, email=email, postcode=postcode, client_ip=client_ip),
    )
    order = orders_repository.get_by_number(session, number)
    if order is None and number.upper() != number:
        order = orders_repository.get_by_number(session, number.upper())
    customer = repository.customer_by_id(session, order.customer_id) if order else None
    if order is None or customer is None:
        return
    if not _matches(session, order, customer, email=email, postcode=postcode):
        return
    issued = _issue(settings, order=order, customer=customer, ttl_days=None, max_uses=None)
    locale = i18n.choose(customer.locale, order.locale, default=settings.default_locale)
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
) -> str:
    """Create a server-side session; returns the clear token for the cookie (stored hashed)."""
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
