"""What a shopper types, read the way a person means it: the one place for shopper input.

Every shopper form ("find my order", the address form, the code step, the items form) reads its
text through these functions, so `#20345`, ` 20345 `, `２０３４５` (full-width, from a phone's
keyboard) and `20345` are the same order number everywhere. Pure: no database, no settings.

- `text` (free text: names, streets): Unicode NFC, with only the width and no-break forms folded
  (full-width `２８０１３` from a phone keyboard, non-breaking spaces); not full NFKC, which would
  turn the `º` of `3º B` into `o`. Invisible format characters (zero-width spaces, BOM) removed,
  surrounding spaces cut and inner runs of whitespace made one space.
- `key` (identifiers: order numbers, postcodes, codes, emails): full NFKC of `text`.
- `order_number`: `key`, then a leading `#`, `Nº`/`No.`/`n.º` cut; inner spaces kept (a shop
  may use them). Letter case is left alone here: the lookup compares case-insensitively only when
  the shop's numbers do not differ by case alone (`orders.repository.find_by_typed_number`).
- `email`: `text` with no spaces, the domain lower-cased and in IDNA (ASCII) form so
  `Cliente@Bücher.Example` and `cliente@xn--bcher-kva.example` compare equal; the local part keeps
  its case for sending, `email_key` folds it for comparing (RFC 5321 allows case-sensitive local
  parts; no real mailbox provider uses them).
- `compact`: `text` upper-cased without spaces (postcodes, codes); the country rules of a
  postcode live in `orders.address_rules` and start from this.
- `digits`: only the digits of `text` (one-time codes typed as `123 456`).
Phone numbers go through `phonenumbers` in `orders.address_rules.normalise_phone`, after `text`.
"""

from __future__ import annotations

import re
import unicodedata

import idna

# A leading "#", "Nº 20345", "No. 20345", "n.º 20345": what people put before an order number.
_NUMBER_PREFIX = re.compile(r"^(?:#|n\.?\s?[ºo°]\.?|no\.)\s*", re.IGNORECASE)


_FOLDED_FORMS = ("<wide>", "<narrow>", "<noBreak>")


def _fold_width(char: str) -> str:
    if unicodedata.decomposition(char).startswith(_FOLDED_FORMS):
        return unicodedata.normalize("NFKC", char)
    return char


def text(value: object) -> str:
    """NFC with width forms folded, no invisible format characters, trimmed, inner whitespace
    one space ('' for None): ' Calle　Mayor ３, 3º ' -> 'Calle Mayor 3, 3º'."""
    if value is None:
        return ""
    folded = unicodedata.normalize("NFC", "".join(_fold_width(c) for c in str(value)))
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return " ".join(visible.split())


def key(value: object) -> str:
    """An identifier as typed, in NFKC ('ｅｓ-１' -> 'es-1', 'ﬁ' -> 'fi')."""
    return unicodedata.normalize("NFKC", text(value))


def order_number(value: object) -> str:
    """An order number as typed: '#20345 ' -> '20345', 'Nº 20345' -> '20345'."""
    cleaned = key(value)
    return _NUMBER_PREFIX.sub("", cleaned, count=1).strip()


def compact(value: object) -> str:
    """Upper case without any spaces: ' 28 013 ' -> '28013', 'd02 x285' -> 'D02X285'."""
    return "".join(key(value).split()).upper()


def digits(value: object) -> str:
    """Only the digits (ASCII after NFKC): '123 456' -> '123456', '１２３-４５６' -> '123456'."""
    return "".join(c for c in key(value) if c.isascii() and c.isdigit())


def email_domain(domain: str) -> str | None:
    """A mail domain in ASCII (IDNA 2008, UTS #46 mapping): 'Bücher.example' ->
    'xn--bcher-kva.example'; None when it cannot be one."""
    if not domain or len(domain) > 253:
        return None
    try:
        encoded = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    return encoded.lower() if "." in encoded else None


def email(value: object) -> str:
    """An address as typed, ready to store and send: spaces cut, the domain in IDNA lower case.
    An address whose domain cannot be encoded comes back as typed (the form then refuses it)."""
    cleaned = "".join(key(value).split())
    local, at, domain = cleaned.rpartition("@")
    if not at or not local:
        return cleaned
    encoded = email_domain(domain)
    return f"{local}@{encoded}" if encoded else cleaned


def email_key(value: object) -> str:
    """What two addresses are compared by: `email` with the local part case-folded."""
    normal = email(value)
    local, at, domain = normal.rpartition("@")
    return f"{local.casefold()}@{domain}" if at else normal.casefold()
