"""The shape of the code, checked so later work cannot regress it silently (docs/architecture.md).

- Size: no module in backend/ over 500 lines, no function over 80 (decorators included).
- Layers: a package imports only its own layer and the ones below (a new domain defaults to the
  feature layer); `core` imports no domain; payments does not import changes; the worker
  imports no domain (it runs the tasks the domains register); the registries domains register
  into (`portal.actions`, `portal.urls`, `core.tasks`) import no domain back.
- Discovery: every domain's api/pages/actions/tasks module is found without being listed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from ventanilla import discovery

BACKEND = Path(__file__).resolve().parents[1] / "backend"
PACKAGE = BACKEND / "ventanilla"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

# Lower layers first. A domain that is not listed is a shopper feature (returns, claims, ...).
LAYERS: dict[str, int] = {
    "core": 0,
    "activity": 1,
    "customers": 1,
    "catalog": 1,
    "apikeys": 1,
    "outbox": 1,
    "storage": 1,
    "orders": 2,
    "shipping": 2,
    "invoices": 2,
    "payments": 3,
    "access": 3,
    "portal": 5,
}
FEATURE_LAYER = 4
# Top-level modules: configuration and plumbing below everything, wiring above everything.
BELOW_EVERYTHING = {"config", "db", "discovery", "migrations"}
# Leaf modules a lower layer may import from a higher one: registries it registers into.
REGISTRIES = ("ventanilla.portal.actions", "ventanilla.portal.urls")


def modules() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except what is under `if TYPE_CHECKING:` (annotations only, no import)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def imported(path: Path) -> Iterator[str]:
    """Every `ventanilla...` module a file imports at run time, at any depth (lazy imports too)."""
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("ventanilla"):
                # `from ventanilla.portal import actions` imports ventanilla.portal.actions.
                for alias in node.names:
                    yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("ventanilla"))


def package_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else relative[0].removesuffix(".py")


def layer(package: str) -> int:
    if package in BELOW_EVERYTHING:
        return -1
    if package in LAYERS:
        return LAYERS[package]
    if (PACKAGE / package).is_dir():
        return FEATURE_LAYER
    return 99  # app, cli, worker, demo: wiring


def target_package(module: str) -> str:
    """`ventanilla.orders.models.Order` -> orders; `ventanilla.__version__` -> '' (the root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and not parts[1].startswith("__") else ""


class TestSize:
    def test_no_module_over_500_lines(self) -> None:
        long = {
            str(p.relative_to(BACKEND)): n
            for p in modules()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
        }
        assert not long, f"split these modules (lines): {long}"

    def test_no_function_over_80_lines(self) -> None:
        long = {}
        for path in modules():
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    length = (node.end_lineno or node.lineno) - start + 1
                    if length > MAX_FUNCTION_LINES:
                        long[f"{path.relative_to(BACKEND)}:{node.name}"] = length
        assert not long, f"split these functions (lines): {long}"


class TestLayers:
    def violations(self) -> list[str]:
        found = []
        for path in modules():
            source = package_of(path)
            for module in imported(path):
                target = target_package(module)
                if not target or target == source or module.startswith(REGISTRIES):
                    continue
                if layer(target) > layer(source):
                    found.append(f"{path.relative_to(PACKAGE)} imports {module}")
        return sorted(set(found))

    def test_no_package_imports_a_higher_layer(self) -> None:
        assert self.violations() == []

    def test_core_imports_no_domain(self) -> None:
        for path in (PACKAGE / "core").rglob("*.py"):
            domains = {target_package(m) for m in imported(path)} - {"core", ""}
            assert domains <= BELOW_EVERYTHING, f"{path.name} imports {domains}"

    def test_payments_does_not_import_changes(self) -> None:
        for path in (PACKAGE / "payments").rglob("*.py"):
            assert not any(m.startswith("ventanilla.changes") for m in imported(path)), path

    def test_the_worker_imports_no_domain_it_runs_their_tasks(self) -> None:
        targets = {target_package(m) for m in imported(PACKAGE / "worker.py")}
        assert targets <= {"core", "config", "discovery", ""}, targets

    @pytest.mark.parametrize(
        "registry", ["portal/actions.py", "portal/urls.py", "core/tasks.py", "discovery.py"]
    )
    def test_registries_import_no_domain(self, registry: str) -> None:
        # portal.actions finds the domains' actions through discovery, at call time.
        targets = {target_package(m) for m in imported(PACKAGE / registry)}
        assert targets <= {"core", "discovery", ""}, targets


class TestDiscovery:
    def test_every_domain_module_is_found_without_a_list(self) -> None:
        on_disk = {
            f"ventanilla.{path.parent.name}.{path.stem}"
            for kind in ("api", "pages", "actions", "tasks")
            for path in PACKAGE.glob(f"*/{kind}.py")
            if path.parent.name != "core"
        }
        found = {
            module.__name__
            for kind in ("api", "pages", "actions", "tasks")
            for module in discovery.load(kind)
        }
        assert found == on_disk

    def test_routers_come_in_their_declared_order(self) -> None:
        positions = [getattr(m, "POSITION", 100) for m in discovery.load("api")]
        assert positions == sorted(positions)
