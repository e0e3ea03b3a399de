"""The command line: a thin layer over the library.

Exceptions are mapped to exit codes in one place (`_Group.invoke`): bad input (spec,
roster, options) exits 2 with one line on stderr, anything else exits 1, and no
traceback is ever shown (set TRACEGEN_DEBUG=1 to see one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from tracegen.errors import InputError, TracegenError
from tracegen.files import write_atomic
from tracegen.spec import Spec, load_example, load_spec
from tracegen.trace import FORMATS, trace


class Failure(click.ClickException):
    """One line on stderr and a chosen exit code (2 bad input, 1 anything else)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"tracegen: error: {self.format_message()}", err=True)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except InputError as err:
            raise Failure(str(err), 2) from None
        except TracegenError as err:
            raise Failure(str(err), 1) from None
        except KeyboardInterrupt:
            raise click.exceptions.Abort() from None
        except Exception as err:
            if os.environ.get("TRACEGEN_DEBUG"):
                raise
            raise Failure(f"internal error: {type(err).__name__}: {err} (TRACEGEN_DEBUG=1 shows details)", 1) from None


def read_spec(path: str | None) -> Spec:
    """The spec at `path`, or the built-in Class 3 example when no path is given."""
    return load_example() if path is None else load_spec(path)


def split_list(value: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    """`md,html` -> ("md", "html"), refusing names outside `allowed` (exit 2)."""
    items = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise click.BadParameter(f"expected a comma-separated list of {', '.join(allowed)}, got {value!r}",
                                 param_hint=option)
    return items


SPEC_ARG = click.argument("spec", required=False, type=click.Path(dir_okay=False))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tracegen")
def cli() -> None:
    """Generate "training by hand" exercises: traces, worksheets and answer keys."""


@cli.command("check")
@click.argument("spec", type=click.Path(dir_okay=False))
def check_command(spec: str) -> None:
    """Validate SPEC and say what it describes; exit 2 with one line if it is wrong."""
    parsed = load_spec(spec)
    shape = "-".join(str(n) for n in (parsed.n_inputs, *(layer.units for layer in parsed.layers)))
    samples = "1 sample" if parsed.n_samples == 1 else f"{parsed.n_samples} samples"
    click.echo(f"ok: {parsed.title}: {shape} network, {samples}, {parsed.epochs} epochs, loss {parsed.loss.name}")


@cli.command("trace")
@SPEC_ARG
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="Output format of the trace table.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
def trace_command(spec: str | None, fmt: str, output: str | None) -> None:
    """Print the trace of SPEC (default: the built-in Class 3 example) as a table.

    One row per scalar: variant, epoch, step, phase, name, symbol, sample, row, col, value.
    """
    data = trace(read_spec(spec)).export(fmt)
    if output:
        write_atomic(Path(output), data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="tracegen")
