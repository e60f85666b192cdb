"""How the app and the worker find each domain's pieces, so a new domain touches no other file.

A domain is a package under `ventanilla/` (every one except `core`). By module name:

- `models`   its tables (`core.models.metadata()` imports them for Alembic and the tests)
- `api`      `router` (JSON, under /api/v1) and optionally `OPENAPI_TAGS` (a list of
             {"name", "description"}), `POSITION` (int, default 100: order in the docs) and
             `LARGER_BODIES` (routes whose bodies may exceed MAX_BODY_BYTES: a list of
             (method, path template under /api/v1 as the route declares it, name of the
             setting with their limit); routes that take photos get theirs from `media`)
- `pages`    `router` (HTML pages and HTMX partials) and optionally `POSITION`
- `actions`  registers "what you can do now" actions with `portal.actions.register`
- `tasks`    registers the worker's periodic jobs with `core.tasks.register`

Modules are imported in (POSITION, domain) order; importing them is what registers them.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import cache
from types import ModuleType

import ventanilla

KINDS = ("models", "api", "pages", "actions", "tasks")
NOT_DOMAINS = frozenset({"core"})


@cache
def domains() -> tuple[str, ...]:
    """Every domain package under ventanilla/, by name."""
    return tuple(
        sorted(
            info.name
            for info in pkgutil.iter_modules(ventanilla.__path__)
            if info.ispkg and info.name not in NOT_DOMAINS
        )
    )


@cache
def load(kind: str) -> tuple[ModuleType, ...]:
    """Import `ventanilla.<domain>.<kind>` of every domain that has one, in POSITION order."""
    if kind not in KINDS:
        raise ValueError(f"not a domain module kind: {kind!r}")
    found = []
    for domain in domains():
        name = f"ventanilla.{domain}.{kind}"
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return tuple(sorted(found, key=lambda m: (getattr(m, "POSITION", 100), m.__name__)))
