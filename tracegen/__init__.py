"""tracegen: generate "training by hand" exercises: traces, worksheets, answer keys and solutions.

Every public name is importable from here and resolved on first use (PEP 562), so
`import tracegen` and `tracegen --help` stay fast: pandas, NumPy and the renderers load
only when a name that needs them is touched.

>>> import tracegen
>>> t = tracegen.trace(tracegen.load_example())
>>> round(t.value("L", epoch=1), 4)
0.1269
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# public name -> the module that defines it
_EXPORTS = {
    "InputError": "tracegen.errors",
    "OptionError": "tracegen.errors",
    "RenderError": "tracegen.errors",
    "RosterError": "tracegen.errors",
    "SpecError": "tracegen.errors",
    "TracegenError": "tracegen.errors",
    "Spec": "tracegen.spec.model",
    "load_example": "tracegen.spec.model",
    "load_spec": "tracegen.spec.model",
    "Trace": "tracegen.engine.trace",
    "trace": "tracegen.engine.trace",
    "Document": "tracegen.notebook",
    "key": "tracegen.api",
    "worksheet": "tracegen.api",
    "solution": "tracegen.api",
    "variants": "tracegen.api",
    "batch": "tracegen.api",
    "scan": "tracegen.api",
    "grade": "tracegen.grading",
}

__all__ = [
    "Document",
    "InputError",
    "OptionError",
    "RenderError",
    "RosterError",
    "Spec",
    "SpecError",
    "Trace",
    "TracegenError",
    "batch",
    "grade",
    "key",
    "load_example",
    "load_spec",
    "scan",
    "solution",
    "trace",
    "variants",
    "worksheet",
]
__version__ = "0.1.0"

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports on demand
    from tracegen.api import batch, key, scan, solution, variants, worksheet
    from tracegen.engine.trace import Trace, trace
    from tracegen.errors import InputError, OptionError, RenderError, RosterError, SpecError, TracegenError
    from tracegen.grading import grade
    from tracegen.notebook import Document
    from tracegen.spec.model import Spec, load_example, load_spec


def __getattr__(name: str) -> Any:
    """A public name from its module, or a submodule (`tracegen.render`), imported on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        if name.startswith("__"):
            raise AttributeError(f"module 'tracegen' has no attribute {name!r}")
        try:
            return import_module(f"tracegen.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"tracegen.{name}":
                raise
            raise AttributeError(f"module 'tracegen' has no attribute {name!r}") from None
    value = getattr(import_module(module), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
