"""Domain errors. The library raises these; only the CLI maps them to exit codes.

`InputError` and its subclasses mean "the user gave us something wrong" (exit 2);
any other `TracegenError` is our failure or the environment's (exit 1).
"""

from __future__ import annotations


class TracegenError(Exception):
    """Base class of every error tracegen raises on purpose."""


class InputError(TracegenError):
    """Bad input from the user: a spec, a roster, an option. The CLI exits 2."""


class SpecError(InputError):
    """A problem with one key of a problem spec.

    `key` is the dotted path (`network.layers[1].W`), `problem` says what was expected
    and what was found; `str()` gives the one-line message shown to the user.
    """

    def __init__(self, key: str, problem: str, source: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {problem}" if key else f"{where}{problem}")


class RosterError(InputError):
    """A problem in a roster CSV (missing id, duplicate, unreadable file)."""


class OptionError(InputError):
    """A command-line option or API argument outside what is accepted."""


class RenderError(TracegenError):
    """A document could not be produced (e.g. WeasyPrint is not usable here)."""


class Interrupted(KeyboardInterrupt):
    """Work stopped by Ctrl-C (SIGINT) or SIGTERM after keeping what was finished; `str()`
    says what was kept and how to resume. A KeyboardInterrupt, so code that handles Ctrl-C
    still does; the CLI exits 128 + `signal` (130, 143)."""

    def __init__(self, message: str, signal: int = 2) -> None:
        super().__init__(message)
        self.signal = signal
