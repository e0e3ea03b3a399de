"""The package's layers: each stage imports only the stages below it, and no module imports itself back.

Every import is counted, also those inside functions (the lazy ones that keep start-up fast);
only imports under `if TYPE_CHECKING:` are left out, as they never run.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

import tracegen

PACKAGE = Path(tracegen.__file__).parent

# Bottom first. A module belongs to the first entry that is its name or a prefix of it; sub-layers of
# render are listed before render itself.
LAYERS = (
    ("tracegen.errors", "tracegen.text", "tracegen.files", "tracegen.stopping", "tracegen.numbers",
     "tracegen.choices", "tracegen.csvfiles", "tracegen.htmltable", "tracegen.examples", "tracegen.assets",
     "tracegen.fontmetrics", "tracegen.layout"),
    ("tracegen.maths",),
    ("tracegen.spec",),
    ("tracegen.engine",),
    ("tracegen.document",),
    ("tracegen.render.typeset",),
    ("tracegen.render.pdf",),
    ("tracegen.render",),
    ("tracegen.batching",),
    ("tracegen.grading",),
    ("tracegen.scanning",),
    ("tracegen.lms",),
    ("tracegen.api", "tracegen.notebook", "tracegen.cli", "tracegen.__main__", "tracegen"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def layer(module: str) -> int:
    ranked = sorted(((len(prefix), rank) for rank, names in enumerate(LAYERS) for prefix in names
                     if module == prefix or module.startswith(prefix + ".")), reverse=True)
    assert ranked, f"{module} is in no layer: add it to LAYERS"
    return ranked[0][1]


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports(path: Path) -> set[str]:
    """The tracegen modules a file imports when it runs (a `from package import module` names the module)."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name in MODULES}


GRAPH = {name: imports(path) - {name} for name, path in MODULES.items()}


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        layer(name)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_higher_layer(module: str) -> None:
    upward = {target for target in GRAPH[module] if layer(target) > layer(module)}
    assert not upward, f"{module} (layer {layer(module)}) imports from higher layers: {sorted(upward)}"


def test_no_import_loop() -> None:
    """Tarjan's strongly connected components: every one must be a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in GRAPH[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            connect(node)
    assert not loops, f"import loops: {loops}"


def test_the_layer_walk_sees_a_lazy_upward_import(tmp_path: Path) -> None:
    """The walk finds imports inside functions and skips TYPE_CHECKING ones (the check can fail)."""
    source = tmp_path / "probe.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tracegen.cli import main\n"
                      "def f():\n    from tracegen.render import documents\n", encoding="utf-8")
    probe = PACKAGE / "engine" / "_probe_for_test.py"
    probe.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        MODULES["tracegen.engine._probe_for_test"] = probe
        assert imports(probe) == {"tracegen.render.documents"}
        assert layer("tracegen.render.documents") > layer("tracegen.engine._probe_for_test")
    finally:
        del MODULES["tracegen.engine._probe_for_test"]
        probe.unlink()


ENGINE = ("sgd", "activations", "losses")


def test_the_engine_imports_only_numpy_the_standard_library_and_lower_layers() -> None:
    allowed = {"__future__", "collections.abc", "dataclasses", "numpy"}
    for module in ENGINE:
        path = PACKAGE / "engine" / f"{module}.py"
        outside = {name for name in _all_imports(path) if not name.startswith("tracegen.")} - allowed
        assert not outside, (module, outside)
        assert all(layer(name) <= layer("tracegen.engine") for name in imports(path)), module


def _all_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_engine_does_no_io_and_no_randomness() -> None:
    for module in ENGINE:
        source = (PACKAGE / "engine" / f"{module}.py").read_text(encoding="utf-8")
        for word in ("open(", "print(", "random", "pandas"):
            assert word not in source, (module, word)


def test_only_the_cli_imports_click() -> None:
    users = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "click" in _all_imports(p)}
    assert users == {"cli.py"}


def test_every_folder_of_the_package_ships() -> None:
    """pyproject lists the packages (templates/ is mapped in, which discovery cannot see): none forgotten."""
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    folders = {module_name(path / "__init__.py") for path in PACKAGE.rglob("*") if path.is_dir()
               and path.name != "__pycache__" and any(path.glob("*.py"))}
    assert folders | {"tracegen", "tracegen.templates"} == listed
