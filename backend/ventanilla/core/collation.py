"""Sorting names the way a reader expects: the one sort key for every list a person reads.

Code-point order puts "Ábaco" after "Xilófono" and "zapato" after "Zorro". `sort_key` compares
letters first, ignoring accents and case (Unicode NFKD with the combining marks dropped, then
case folding), then accents, then case, so ties are stable and "abaco" < "Ábaco" < "abacos".
Spanish sorts "ñ" as its own letter after "n" (RAE since 1994: "nube" < "ñandú" < "oso"); other
languages read it as an "n" with a mark. Numbers inside names compare by value ("Puzle 2" before
"Puzle 10").

A small key over `unicodedata` rather than ICU (PyICU needs the C library; Babel does not
collate) or pyuca (DUCET without language tailoring, unmaintained since 2017):
docs/decisions.md, "Accent-aware sorting".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

_NUMBER = re.compile(r"(\d+)")
# After every other letter: "ñ" then sorts after "nz..." and before "o".
_AFTER_N = "n\U0010ffff"


def _letters(text: str, locale: str) -> str:
    if locale.startswith("es"):
        text = text.replace("ñ", _AFTER_N).replace("Ñ", _AFTER_N)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _with_numbers(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in _NUMBER.split(text) if part
    )


def sort_key(
    text: str, locale: str = "es"
) -> tuple[tuple[tuple[int, int | str], ...], str, tuple[bool, ...]]:
    """The key to sort `text` by for readers of `locale`: letters, then accents, then case."""
    primary = _with_numbers(" ".join(_letters(text, locale).split()))
    secondary = unicodedata.normalize("NFD", text.casefold())
    tertiary = tuple(c.isupper() for c in text)
    return primary, secondary, tertiary


def sorted_by_name(items: Iterable[T], name: Callable[[T], str], locale: str = "es") -> list[T]:
    """`items` ordered by `name(item)` with `sort_key`."""
    return sorted(items, key=lambda item: sort_key(name(item), locale))
