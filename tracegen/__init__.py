"""tracegen: generate "training by hand" exercises: traces, worksheets and answer keys."""

from tracegen.errors import InputError, OptionError, RenderError, RosterError, SpecError, TracegenError
from tracegen.spec import Spec, load_example, load_spec
from tracegen.tracing import Trace, trace

__all__ = [
    "InputError",
    "OptionError",
    "RenderError",
    "RosterError",
    "Spec",
    "SpecError",
    "Trace",
    "TracegenError",
    "load_example",
    "load_spec",
    "trace",
]
__version__ = "0.1.0"
