"""Sending outbox emails: SMTP when a host is configured, otherwise .eml files (demo mode)."""

from __future__ import annotations

import logging
import os
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from ventanilla.config import Settings
from ventanilla.core import typed

log = logging.getLogger("ventanilla.outbox")


class SendError(Exception):
    """This attempt failed; a later one may succeed."""


class PermanentSendError(SendError):
    """Retrying cannot help (e.g. the recipient's address is refused)."""


def message_id_header(message_id: str, mail_from: str) -> str:
    """The Message-ID of an outbox email: the same on every retry, so duplicates can be spotted."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "ventanilla.invalid"
    return f"<{message_id}@{domain}>"


def build_email(
    message_id: str, payload: dict[str, Any], *, settings: Settings, created_at: datetime
) -> EmailMessage:
    try:
        email = EmailMessage()
        email["Message-ID"] = message_id_header(message_id, settings.mail_from)
        email["Date"] = format_datetime(created_at)
        email["From"] = settings.mail_from
        email["To"] = _recipient(payload["to"], settings)
        email["Subject"] = payload["subject"]
        # Out-of-office replies and the like must not answer a transactional email.
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(payload["text"])
        if payload.get("html"):
            email.add_alternative(payload["html"], subtype="html")
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentSendError(f"malformed email: {exc}") from exc
    return email


def _recipient(to: str, settings: Settings) -> str:
    """The address as SMTP carries it: the domain in IDNA (never an RFC 2047 encoded word, which
    no server can route); a non-ASCII local part only with SMTPUTF8, else permanently refused."""
    address = typed.email(to)
    local = address.rpartition("@")[0]
    if not local.isascii() and not settings.smtp_utf8:
        raise PermanentSendError(f"{to!r} needs SMTPUTF8, which the mail server does not offer")
    return address


class Mailer:
    """Sends the emails of one worker batch over one SMTP connection (or into var/mail)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, email: EmailMessage, *, message_id: str) -> None:
        if not self.settings.smtp_host:
            self._write_file(email, message_id)
            return
        self._send_smtp(email)

    def _write_file(self, email: EmailMessage, message_id: str) -> None:
        folder = Path(self.settings.var_dir) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{message_id}.eml"
        partial = target.with_suffix(".eml.tmp")
        try:
            partial.write_bytes(email.as_bytes())
            os.replace(partial, target)  # a reader never sees half a message
        except OSError as exc:
            raise SendError(f"could not write {target}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        if self._unreachable:
            # One server for the whole batch: do not wait for a timeout once per message.
            raise SendError(self._unreachable)
        s = self.settings
        try:
            smtp = smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=s.smtp_timeout_seconds)
            try:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    smtp.login(s.smtp_username, password)
            except BaseException:
                smtp.close()
                raise
        except (OSError, smtplib.SMTPException) as exc:
            self._unreachable = f"SMTP {s.smtp_host}:{s.smtp_port} unreachable: {_describe(exc)}"
            raise SendError(self._unreachable) from exc
        self._smtp = smtp
        return smtp

    def _send_smtp(self, email: EmailMessage) -> None:
        smtp = self._connect()
        try:
            smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = f"recipient refused: {_describe(exc)}"
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentSendError(error) from exc
            raise SendError(error) from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx is a permanent refusal (RFC 5321 4.2.1): retrying for two days cannot help.
            error = f"SMTP {exc.smtp_code}: {_describe(exc)}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentSendError(error) from exc
            raise SendError(error) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentSendError(f"the mail server does not offer SMTPUTF8: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()  # the connection is in an unknown state: reconnect for the next one
            raise SendError(f"SMTP error: {_describe(exc)}") from exc

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            log.debug("SMTP quit failed", exc_info=True)
        finally:
            self._drop()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
