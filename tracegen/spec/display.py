"""What a spec describes, as (label, text) rows and as the notebook's HTML table."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tracegen.htmltable import table

if TYPE_CHECKING:
    from tracegen.spec.model import Spec


def _values(values: Iterable[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def spec_rows(spec: Spec) -> list[tuple[str, str]]:
    """(label, text) rows describing a spec, plain text (escaped by the caller)."""
    layers = "; ".join(f"{i}: {layer.units} unit{'s' if layer.units != 1 else ''}, {layer.activation.name}"
                       + (f" (slope {layer.activation.slope:g})" if layer.activation.name == "leaky_relu" else "")
                       for i, layer in enumerate(spec.layers, 1))
    loss = spec.loss.name + (f", scale {spec.loss.scale:g}, {spec.loss.reduction} over units"
                             if spec.loss.name == "mse" else "") + f", {spec.loss.batch} over samples"
    rows = [("network", f"{'-'.join(map(str, spec.sizes))} ({layers})"), ("loss", loss),
            ("data", f"{spec.n_samples} sample{'s' if spec.n_samples != 1 else ''} of {spec.n_inputs} inputs"),
            ("training", f"{spec.optimizer}, η = {spec.learning_rate:g}, {spec.epochs} epochs, "
                         f"updates {', '.join(spec.update)}"),
            ("display", f"{spec.decimals} decimals")]
    drawn = [(key, getattr(spec, key)) for key in ("weights", "biases", "inputs", "targets")]
    ranges = [f"{key} from {_values(found.values)}" for key, found in drawn if found is not None]
    if spec.keep:
        ranges.append(f"keep {', '.join(spec.keep)}")
    if ranges:
        rows.append(("variants", "; ".join(ranges)))
    if spec.missing_params():
        rows.append(("drawn per variant", ", ".join(spec.missing_params())))
    if spec.variant:
        rows.insert(0, ("variant", spec.variant))
    return rows


def spec_html(spec: Spec) -> str:
    """A compact table of what a spec describes; every text escaped."""
    rows = [(html.escape(key), html.escape(value)) for key, value in spec_rows(spec)]
    return table(rows, f"Spec: {html.escape(spec.title)}")
