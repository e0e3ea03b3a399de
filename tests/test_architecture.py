"""The one-direction module layout (STYLE.md §1-2), checked by parsing imports."""

from __future__ import annotations

import ast
from pathlib import Path

import tracegen

PACKAGE = Path(tracegen.__file__).parent


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_imports_only_numpy_stdlib_and_earlier_stages() -> None:
    allowed = {"__future__", "collections.abc", "dataclasses", "numpy",
               "tracegen.activations", "tracegen.errors", "tracegen.losses", "tracegen.spec"}
    for module in ("engine.py", "activations.py", "losses.py"):
        assert imports(PACKAGE / module) <= allowed, module


def test_engine_does_no_io_and_no_randomness() -> None:
    source = (PACKAGE / "engine.py").read_text(encoding="utf-8")
    for word in ("open(", "print(", "random", "pandas"):
        assert word not in source


def test_only_the_cli_imports_click() -> None:
    users = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "click" in imports(p)}
    assert users == {"cli.py"}


def test_render_never_imports_the_engine() -> None:
    for path in (PACKAGE / "render").rglob("*.py"):
        assert "tracegen.engine" not in imports(path), path
