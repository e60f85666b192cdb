"""Outbox fixtures: settings that can be changed in the middle of a test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ventanilla.config import Settings, use_settings


@pytest.fixture
def configure(settings: Settings) -> Callable[..., Settings]:
    """Install the test settings with some values changed (undone when the test ends)."""

    def apply(**overrides: Any) -> Settings:
        changed = settings.model_copy(update=overrides)
        use_settings(changed)
        return changed

    return apply
