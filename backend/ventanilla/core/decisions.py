"""The answer of a pure rule (`policy.py` everywhere): yes, or no with a code and a reason.

A "no" carries everything every face needs to say it the same way: a stable `reason_code` (JSON
`code`, tests, the choice of a page), an English `message` that is also the msgid pages and the
JSON `reason` translate, and the `params` that fill its %(name)s placeholders. `core.errors.Refused`
turns a "no" into the error routes answer with.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    ok: bool
    # Why not, for people: an English sentence that doubles as the msgid pages translate,
    # with %(name)s placeholders filled from `params`.
    message: str = ""
    # Why not, for programs: a stable code (JSON `code`, tests, the choice of a page).
    reason_code: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def yes(cls) -> Decision:
        return cls(True)

    @classmethod
    def no(
        cls, message: str, *, code: str | None = None, params: tuple[tuple[str, str], ...] = ()
    ) -> Decision:
        return cls(False, message, code, params)

    def text(self) -> str:
        """The reason in English with its parameters filled in ('' for a yes)."""
        values = dict(self.params)
        return self.message % values if values else self.message
