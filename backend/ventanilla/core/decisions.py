"""The answer of a pure rule (`policy.py` everywhere): yes, or no with a code and a reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    ok: bool
    # Why not, for people: an English sentence that doubles as the msgid pages translate,
    # with %(name)s placeholders filled from `params`.
    message: str = ""
    # Why not, for programs: a stable code (JSON `reason`, tests, the choice of a page).
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
