"""The notebook's HTML view of a trace: what was traced, the loss per epoch and the first rows."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from tracegen.htmltable import table

if TYPE_CHECKING:
    from tracegen.engine.trace import Trace

TRACE_ROWS = 8  # first rows shown under a trace's summary
LOSS_EPOCHS = 12  # epochs shown in a trace's loss row before eliding the middle


def trace_html(trace: Trace) -> str:
    """What was traced, the loss per epoch (first variant) and the first rows of the table."""
    spec = trace.spec
    rows = [("traced", html.escape(f"{spec.title}: {spec.summary()}" if spec is not None else "a trace table")),
            ("table", f"{len(trace.df)} rows × {len(trace.df.columns)} columns; "
                      f"{len(trace.variants)} variant{'s' if len(trace.variants) != 1 else ''}")]
    losses = trace.losses()
    loss = losses.to_frame(f"L ({trace.variants[0]})").T if len(losses) else None  # to_html escapes the label
    return (table(rows, "Trace")
            + ("" if loss is None else "<p><b>Loss per epoch</b></p>"
               + loss.to_html(max_cols=LOSS_EPOCHS, float_format="{:.6g}".format))
            + f"<p><b>First {TRACE_ROWS} rows</b> of <code>.df</code></p>"
            + trace.df.head(TRACE_ROWS).to_html(index=False))
