"""The trace: every scalar of training as one row of a tidy pandas DataFrame.

Records from the engine become columns in one construction (no row-by-row appends), in
the contract's column order and dtypes. `Trace` validates a frame given to it and
answers `value` / `matrix` / `pivot` look-ups in each quantity's own shape.

The DataFrame is built lazily. The engine's output is kept as `Columns` (numpy arrays,
text as codes into small label tables) and `Trace.df` assembles the contract's frame on
first access. Everything a document needs (`quantities`, `value`, `matrix`, `answers`,
`kink_rows`) works from the columns, so rendering a trace never imports pandas, which
costs ~0.3 s of a new process (more with pyarrow, which pandas then loads too).

`phase` is an ordered categorical (params < forward < loss < backward < update), so
sorting a trace in Python follows the order of training; every export writes it as plain
text, byte for byte as a string column would.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from tracegen.choices import TRACE_FORMATS as FORMATS
from tracegen.engine.order import blank_id
from tracegen.engine.sgd import Params, Record, train
from tracegen.errors import OptionError, SpecError, TracegenError
from tracegen.htmltable import table
from tracegen.maths.symbols import split, symbol
from tracegen.spec.model import Spec, SpecLike, load_spec

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("variant", "epoch", "step", "phase", "name", "symbol", "sample", "row", "col", "value")
PHASES = ("params", "forward", "loss", "backward", "update")
KEY = ("variant", "epoch", "phase", "name", "sample", "row", "col")

BASE = "base"
GIVENS = ("x", "y")  # data: never a blank, in any phase
TRACE_ROWS = 8  # first rows shown under a trace's notebook view
LOSS_EPOCHS = 12  # epochs shown in its loss row before eliding the middle


@cache
def phase_dtype() -> pd.CategoricalDtype:
    """`phase`'s dtype: ordered categorical in training order (a function, so pandas loads only when needed)."""
    import pandas as pd

    return pd.CategoricalDtype(list(PHASES), ordered=True)


class Kink(NamedTuple):
    """A pre-activation exactly at its activation's kink (relu at 0); one row of `Trace.kinks`."""

    variant: str
    epoch: int
    name: str
    sample: int
    row: int


@dataclass(frozen=True, eq=False)
class Columns:
    """A trace's columns as numpy arrays in frame order: the DataFrame's content before pandas.

    Text is kept as codes: `variant` indexes `variants`, `quantity` indexes `labels`, each
    label a (phase, name, symbol); a few dozen labels serve millions of rows.
    """

    variants: tuple[str, ...]
    labels: tuple[tuple[str, str, str], ...]
    variant: np.ndarray
    quantity: np.ndarray
    epoch: np.ndarray
    step: np.ndarray
    sample: np.ndarray
    row: np.ndarray
    col: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, df: pd.DataFrame) -> Columns:
        """The columns of a trace DataFrame (one given to `Trace`), for the look-ups."""
        import pandas as pd

        variant, variants = pd.factorize(df["variant"])
        text = pd.MultiIndex.from_arrays([df["phase"].astype(str), df["name"], df["symbol"]])
        quantity, labels = text.factorize()
        return cls(tuple(variants), tuple(labels), variant, quantity,
                   *(df[name].to_numpy() for name in ("epoch", "step", "sample", "row", "col", "value")))

    def frame(self) -> pd.DataFrame:
        """The DataFrame in contract column order.

        Text columns are taken from a small Index of labels by integer codes: the same values
        and dtype as building them from millions of Python strings, at a fraction of the cost;
        `phase` is built from its codes as the ordered categorical.
        """
        import pandas as pd

        names, symbols = (pd.Index(np.array([label[i] for label in self.labels], dtype=object)).take(self.quantity)
                          for i in (1, 2))
        phase_codes = np.array([PHASES.index(label[0]) for label in self.labels], dtype=np.intp)
        return pd.DataFrame({
            "variant": pd.Index(np.array(self.variants, dtype=object)).take(self.variant),
            "epoch": self.epoch,
            "step": self.step,
            "phase": pd.Categorical.from_codes(phase_codes[self.quantity], dtype=phase_dtype()),
            "name": names,
            "symbol": symbols,
            "sample": self.sample,
            "row": self.row,
            "col": self.col,
            "value": self.value,
        }, columns=list(COLUMNS))


class Quantity(NamedTuple):
    """One quantity's rows of the frame, column by column, in frame order (read-only arrays)."""

    sample: np.ndarray
    row: np.ndarray
    col: np.ndarray
    value: np.ndarray


class Trace:
    """A validated trace DataFrame (`df`) plus look-ups.

    `kinks` lists the pre-activations that sit exactly at an activation's kink (relu at 0),
    where the derivative is the contract's convention rather than a limit; documents point
    them out (from `kink_rows`, the same rows without pandas). `spec` is the spec traced,
    when known. A frame whose `phase` column is plain text (read back from a CSV, say) is
    accepted and gets the ordered categorical.

    `Trace(df)` takes a DataFrame and validates it; `Trace.from_columns` takes the engine's
    `Columns` (`frame`), valid by construction, and builds `df` only when it is first read.

    >>> t = tracegen.trace(tracegen.load_example())
    >>> t
    <Trace of 'Class 3: Training by Hand': 3-2-1 network, 1 sample, 3 epochs, loss bce; 144 rows; L 0.1269 -> 0.1063>
    >>> list(t.df.sort_values("phase")["phase"].drop_duplicates())  # in training order, not alphabetical
    ['params', 'forward', 'loss', 'backward', 'update']
    """

    def __init__(self, df: pd.DataFrame, spec: Spec | None = None, kinks: pd.DataFrame | None = None) -> None:
        validate(df)
        # `df` and `kinks` are cached properties, set here from what was given
        self.df = df if df["phase"].dtype == phase_dtype() else df.assign(phase=df["phase"].astype(phase_dtype()))
        self.spec = spec
        self.kinks = kinks if kinks is not None else _kink_frame(())
        self.kink_rows = tuple(Kink(str(v), int(e), str(n), int(s), int(r))
                               for v, e, n, s, r in self.kinks[list(Kink._fields)].itertuples(index=False))

    @classmethod
    def from_columns(cls, columns: Columns, spec: Spec | None = None, kinks: Iterable[Kink] = ()) -> Trace:
        """The Trace of the engine's columns (`frame`); its DataFrame is assembled on first access of `df`."""
        trace = cls.__new__(cls)
        trace.columns, trace.spec, trace.kink_rows = columns, spec, tuple(kinks)
        return trace

    @cached_property
    def df(self) -> pd.DataFrame:
        """The trace as the contract's tidy DataFrame."""
        return self.columns.frame()

    @cached_property
    def columns(self) -> Columns:
        """The trace as arrays, which every look-up reads (from `df` for a Trace built from one)."""
        return Columns.of(self.df)

    @cached_property
    def kinks(self) -> pd.DataFrame:
        """`kink_rows` as a DataFrame: variant, epoch, name, sample, row."""
        return _kink_frame(self.kink_rows)

    def __repr__(self) -> str:
        ids = self.variants
        which = f" variant {ids[0]}" if ids and ids != [BASE] else ""
        if len(ids) > 1:
            which = f" ({len(ids)} variants; L of {ids[0]})"
        about = f" of {self.spec.title!r}{which}: {self.spec.summary()}" if self.spec is not None else which
        losses = self.losses()
        loss = f"; L {losses.iloc[0]:.4g} -> {losses.iloc[-1]:.4g}" if len(losses) else ""
        return f"<Trace{about}; {len(self.df)} rows{loss}>"

    def losses(self, variant: str | None = None) -> pd.Series:
        """The batch loss L per epoch (of the first variant by default); empty if the frame has no L.

        >>> tracegen.trace(tracegen.load_example()).losses().round(4).tolist()
        [0.1269, 0.1159, 0.1063]
        """
        import pandas as pd

        df = self.df
        if variant is None:
            variant = self._first_variant if len(df) else BASE
        rows = df[(df["name"] == "L") & (df["variant"] == variant)]
        return pd.Series(rows["value"].to_numpy(), index=pd.Index(rows["epoch"].to_numpy(), name="epoch"), name="L")

    def _repr_html_(self) -> str:
        """Jupyter's view: what was traced, the loss per epoch (first variant) and the first rows."""
        spec = self.spec
        rows = [("traced", html.escape(f"{spec.title}: {spec.summary()}" if spec is not None else "a trace table")),
                ("table", f"{len(self.df)} rows × {len(self.df.columns)} columns; "
                          f"{len(self.variants)} variant{'s' if len(self.variants) != 1 else ''}")]
        losses = self.losses()
        loss = losses.to_frame(f"L ({self.variants[0]})").T if len(losses) else None  # to_html escapes the label
        return (table(rows, "Trace")
                + ("" if loss is None else "<p><b>Loss per epoch</b></p>"
                   + loss.to_html(max_cols=LOSS_EPOCHS, float_format="{:.6g}".format))
                + f"<p><b>First {TRACE_ROWS} rows</b> of <code>.df</code></p>"
                + self.df.head(TRACE_ROWS).to_html(index=False))

    @property
    def epochs(self) -> int:
        return int(self.columns.epoch.max())

    @property
    def variants(self) -> list[str]:
        """Variant ids in order of their first row."""
        codes, first = np.unique(self.columns.variant, return_index=True)
        return [self.columns.variants[code] for code in codes[np.argsort(first)]]

    @cached_property
    def quantities(self) -> dict[str, dict[tuple[int, str, str], Quantity]]:
        """variant -> (epoch, phase, name) -> that quantity's rows, both in order of first row; one pass.

        Documents make hundreds of look-ups; slicing the DataFrame per look-up cost ~1 ms each.
        """
        c = self.columns
        pairs: dict[tuple[str, str], int] = {}  # (phase, name) -> code: labels that differ in symbol only are one
        pair_of = np.array([pairs.setdefault(label[:2], len(pairs)) for label in c.labels], dtype=np.intp)
        epochs, epoch_code = np.unique(c.epoch, return_inverse=True)
        keys = np.ravel_multi_index((c.variant, epoch_code, pair_of[c.quantity]),
                                    (max(len(c.variants), 1), max(len(epochs), 1), max(len(pairs), 1)))
        _, first, group, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
        rows = np.argsort(group, kind="stable")  # each group's rows together, in frame order
        starts = np.cumsum(counts) - counts
        phase_names = list(pairs)
        out: dict[str, dict[tuple[int, str, str], Quantity]] = {}
        for g in np.argsort(first):  # groups in order of their first row
            take = rows[starts[g]:starts[g] + counts[g]]
            arrays = [column[take] for column in (c.sample, c.row, c.col, c.value)]
            for array in arrays:
                array.flags.writeable = False  # shared by every look-up
            head = take[0]
            phase, name = phase_names[pair_of[c.quantity[head]]]
            out.setdefault(c.variants[c.variant[head]], {})[(int(c.epoch[head]), phase, name)] = Quantity(*arrays)
        return out

    @cached_property
    def _first_variant(self) -> str:
        """The default variant of look-ups, kept because `variants` scans the whole frame."""
        return self.variants[0]

    def _quantity(self, name: str, epoch: int, phase: str | None, variant: str | None) -> Quantity:
        variant = self._first_variant if variant is None else variant
        phase = phase or _default_phase(name)
        quantity = self.quantities.get(variant, {}).get((epoch, phase, name))
        if quantity is None:
            raise KeyError(f"no quantity {name!r} in phase {phase!r} of epoch {epoch} (variant {variant!r})")
        return quantity

    def value(self, name: str, epoch: int = 1, *, phase: str | None = None, sample: int | None = None,
              row: int = 0, col: int = 0, variant: str | None = None) -> float:
        """One scalar. `W1`/`b1` default to the params phase (start of the epoch).

        >>> t = tracegen.trace(tracegen.load_example())
        >>> round(t.value("y_hat"), 6), round(t.value("W2", epoch=1, phase="update", col=0), 6)
        (0.880797, 1.023841)
        """
        q = self._quantity(name, epoch, phase, variant)
        if sample is None:
            sample = int(q.sample[0])
        hit = np.flatnonzero((q.sample == sample) & (q.row == row) & (q.col == col))
        if not hit.size:
            raise KeyError(f"{name}[sample={sample}, row={row}, col={col}] is not in epoch {epoch}")
        return float(q.value[hit[0]])

    def matrix(self, name: str, epoch: int = 1, *, phase: str | None = None, sample: int | None = None,
               variant: str | None = None) -> np.ndarray:
        """A quantity in its own shape, as a read-only view of the trace's values.

        W/dW: (units, inputs); b/db: (units,); L: a 0-d array. Per-sample quantities
        (x, z, h, y_hat, y, delta): (units,) for one sample (or when `sample` is given),
        else (samples, units), one row per sample as in `data.x`. The array shares memory
        with the trace (no copy per look-up), so writing to it raises; take `.copy()` to
        work on the numbers.

        >>> t = tracegen.trace(tracegen.load_example())
        >>> t.matrix("z1", epoch=1)
        array([2., 0.])
        >>> t.matrix("W1", epoch=2).round(3)
        array([[ 1.012, -1.   ,  1.012],
               [-2.   ,  0.   ,  1.   ]])
        >>> t.matrix("W1").flags.writeable
        False
        """
        q = self._quantity(name, epoch, phase, variant)
        kind, _ = split(name)
        per_sample = bool((q.sample >= 0).any())
        if per_sample and sample is not None:
            keep = q.sample == sample
            q = Quantity(*(column[keep] for column in q))
        values = q.value.view()
        values.flags.writeable = False  # as before, from `to_numpy()` of pandas' copy-on-write frame
        if kind in ("W", "dW"):
            return values.reshape(int(q.row.max()) + 1, int(q.col.max()) + 1)
        if name == "L":
            return values.reshape(())
        if per_sample and sample is None and q.sample.max() > 0:
            return values.reshape(int(q.sample.max()) + 1, -1)
        return values

    def pivot(self, name: str, *, phase: str | None = None, variant: str | None = None) -> pd.DataFrame:
        """One quantity across epochs: a row per epoch, a column per entry, as `matrix` indexes it.

        The question "how does dW1 change over training?" in one call; columns are named
        by the entry's index in `matrix(name, epoch)` (`dW1[0,2]`, `b1[1]`; `L` for a
        scalar), so `t.pivot("L").plot()` draws the loss curve.

        >>> t = tracegen.trace(tracegen.load_example())
        >>> t.pivot("dW1").round(4)
               dW1[0,0]  dW1[0,1]  dW1[0,2]  dW1[1,0]  dW1[1,1]  dW1[1,2]
        epoch
        1       -0.1192       0.0   -0.1192       0.0       0.0       0.0
        2       -0.1121       0.0   -0.1121       0.0       0.0       0.0
        3       -0.1055       0.0   -0.1055       0.0       0.0       0.0
        >>> t.pivot("L").round(4)
                    L
        epoch
        1      0.1269
        2      0.1159
        3      0.1063
        """
        import pandas as pd

        epochs = range(1, self.epochs + 1)
        arrays = [self.matrix(name, epoch, phase=phase, variant=variant) for epoch in epochs]
        labels = [f"{name}[{','.join(map(str, index))}]" if index else name for index in np.ndindex(arrays[0].shape)]
        return pd.DataFrame(np.stack([array.reshape(-1) for array in arrays]), columns=labels,
                            index=pd.Index(list(epochs), name="epoch"))

    def blanks(self) -> pd.DataFrame:
        """The rows a worksheet leaves blank, with a `blank` id column (`order.blank_id`: `e1:z1:0:1:0`).

        Everything computed is a blank: forward, loss, backward and update quantities.
        Givens (x, y and the first epoch's parameters) are not, and neither are the params
        of later epochs, which repeat the previous epoch's update (so `e1:W1:...` is
        always the W1 after epoch 1's update). With one sample, its loss is L itself, so
        `sample_loss` is a blank only in batches.

        >>> tracegen.trace(tracegen.load_example()).blanks()["blank"].head(3).tolist()
        ['e1:z1:0:0:0', 'e1:z1:0:1:0', 'e1:h1:0:0:0']
        """
        df = self.df
        rows = df[[self._is_blank(phase, name) for phase, name in zip(df["phase"].tolist(), df["name"].tolist(),
                                                                      strict=True)]]
        ids = [blank_id(*key) for key in zip(*(rows[c].tolist() for c in ("epoch", "name", "sample", "row", "col")),
                                             strict=True)]
        return rows.assign(blank=ids)

    def answer_row(self) -> tuple[tuple[str, ...], tuple[float, ...]]:
        """`blanks()`'s blank ids and values, in its order, read from the columns without building the DataFrame:
        a batch writes them for every variant (answers.csv), and the DataFrame cost fifteen times the trace."""
        c = self.columns
        kept = np.array([self._is_blank(phase, name) for phase, name, _ in c.labels], dtype=bool)
        rows = np.flatnonzero(kept[c.quantity]) if len(kept) else np.empty(0, dtype=np.intp)
        names = [label[1] for label in c.labels]
        keys = zip(c.epoch[rows].tolist(), c.quantity[rows].tolist(), c.sample[rows].tolist(), c.row[rows].tolist(),
                   c.col[rows].tolist(), strict=True)
        return (tuple(blank_id(epoch, names[code], sample, row, col) for epoch, code, sample, row, col in keys),
                tuple(c.value[rows].tolist()))

    def answers(self) -> set[tuple[int, str, str]]:
        """(epoch, phase, name) of every quantity with rows in `blanks`, without building its ids."""
        return {key for per_variant in self.quantities.values() for key in per_variant
                if self._is_blank(key[1], key[2])}

    def _is_blank(self, phase: str, name: str) -> bool:
        """Whether a worksheet leaves a quantity of `phase` and `name` blank (`blanks` says which)."""
        return phase != "params" and name not in self._not_blank

    @cached_property
    def _not_blank(self) -> tuple[str, ...]:
        """Names never blanked: the data, and `sample_loss` when there is one sample (it equals L)."""
        batch = bool((self.columns.sample > 0).any())
        return GIVENS if batch else (*GIVENS, "sample_loss")

    def export(self, fmt: str) -> bytes:
        """The DataFrame as csv, json (records) or parquet, values at full precision; `phase` as plain text.

        >>> tracegen.trace(tracegen.load_example()).export("csv").decode().splitlines()[1]
        'base,1,0,params,W1,W^{(1)},-1,0,0,1.0'
        """
        df = self.df.assign(phase=self.df["phase"].astype(str))
        if fmt == "csv":
            return df.to_csv(index=False, lineterminator="\n").encode("utf-8")
        if fmt == "json":
            return (json.dumps(df.to_dict(orient="records"), ensure_ascii=False) + "\n").encode("utf-8")
        if fmt == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise TracegenError("parquet export needs pyarrow: pip install 'tracegen[parquet]'") from None
            buffer = io.BytesIO()
            df.to_parquet(buffer, index=False)
            return buffer.getvalue()
        raise OptionError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")


def _default_phase(name: str) -> str:
    kind, _ = split(name)
    if kind in ("W", "b"):
        return "params"
    if kind in ("delta", "dW", "db"):
        return "backward"
    return "loss" if name in ("L", "y", "sample_loss") else "forward"


def validate(df: pd.DataFrame) -> None:
    """Check the contract schema; raise ValueError on any deviation.

    For frames from outside (`Trace(df)`); the engine's traces are valid by construction.
    """
    if tuple(df.columns) != COLUMNS:
        raise ValueError(f"trace columns must be {list(COLUMNS)}, got {list(df.columns)}")
    if df["value"].dtype != np.float64:
        raise ValueError(f"trace column 'value' must be float64, got {df['value'].dtype}")
    bad = set(df["phase"].unique()) - set(PHASES)
    if bad:
        raise ValueError(f"unknown phase(s) {sorted(bad)}; expected {list(PHASES)}")
    if not _key_is_unique(df):
        dup = df[df.duplicated(list(KEY), keep=False)].iloc[0]
        key = tuple(v.item() if isinstance(v, np.generic) else v for v in dup[list(KEY)])
        raise ValueError(f"duplicate trace key {key}")


def _key_is_unique(df: pd.DataFrame) -> bool:
    """Whether no two rows share a KEY, via one int64 per row (10x faster than df.duplicated).

    Each key column becomes small codes (integers offset from their minimum, anything else
    factorized) and the codes are combined into one number per row; a hash check of those
    numbers decides. Falls back to pandas when the combined range would not fit in int64.
    """
    import pandas as pd

    codes, sizes = [], []
    for col in KEY:
        values = df[col]
        if values.dtype.kind == "i" and len(values):
            low = int(values.min())
            codes.append(values.to_numpy() - low)
            sizes.append(int(values.max()) - low + 1)
            continue
        col_codes, uniques = pd.factorize(values, use_na_sentinel=False)
        codes.append(col_codes)
        sizes.append(max(len(uniques), 1))
    if math.prod(sizes) > np.iinfo(np.int64).max:
        return not df.duplicated(list(KEY)).any()
    return bool(pd.Index(np.ravel_multi_index(codes, sizes)).is_unique)


def _layout(record: Record) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(variant index, sample, row, col) for each entry of a record's value, C order."""
    shape = record.value.shape
    if record.per_sample:  # (samples, units)
        sample, row = np.indices(shape).reshape(2, -1)
        col = np.zeros_like(row)
    elif len(shape) == 2:  # W / dW
        row, col = np.indices(shape).reshape(2, -1)
        sample = np.full_like(row, -1)
    else:  # b, db (units,) or L ()
        row = np.arange(int(np.prod(shape)))
        sample, col = np.full_like(row, -1), np.zeros_like(row)
    return np.zeros(row.size, dtype=np.int64), sample, row, col


def frame(records: Iterable[Record], variant: str = BASE) -> tuple[Columns, tuple[Kink, ...]]:
    """Engine records of one variant -> (the trace's columns, its kinks), built once from arrays."""
    parts: dict[str, list] = {k: [] for k in ("v", "sample", "row", "col", "value")}
    labels: list[tuple[str, str, str]] = []
    kinks: list[Kink] = []
    layouts: dict[tuple, tuple] = {}  # the same shapes recur every epoch: lay each out once
    epochs, steps = [], []
    step, epoch = 0, 0
    for record in records:
        if record.epoch != epoch:
            epoch, step = record.epoch, 0
        shape_key = (record.value.shape, record.per_sample)
        if shape_key not in layouts:
            layouts[shape_key] = _layout(record)
        _, sample, row, col = layouts[shape_key]
        for name, array in zip(("v", "sample", "row", "col"), layouts[shape_key], strict=True):
            parts[name].append(array)
        parts["value"].append(np.asarray(record.value, dtype=np.float64).reshape(-1))
        epochs.append(record.epoch)
        steps.append(step)
        labels.append((record.phase, record.name, symbol(record.name)))
        if record.kinks is not None and record.kinks.any():
            hit = record.kinks.reshape(-1)
            kinks.extend(Kink(variant, record.epoch, record.name, s, r)
                         for s, r in zip(sample[hit].tolist(), row[hit].tolist(), strict=True))
        step += 1
    cols = {k: np.concatenate(a) for k, a in parts.items()}
    counts = [a.size for a in parts["v"]]
    per_record = {"epoch": epochs, "step": steps, "quantity": range(len(labels))}
    cols.update({k: np.repeat(np.array(a, dtype=np.int64), counts) for k, a in per_record.items()})
    cols["value"] += 0.0  # -0.0 (relu of a negative, 0 * negative) -> 0.0
    cols.update({k: a.astype(np.int64, copy=False) for k, a in cols.items() if k != "value"})
    for array in cols.values():
        array.flags.writeable = False  # shared by every Trace look-up
    return Columns((variant,), tuple(labels), cols.pop("v"), **cols), tuple(kinks)


def _kink_frame(kinks: Iterable[Kink]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(list(kinks), columns=list(Kink._fields))


def trace(spec: SpecLike, params: Params | None = None, variant: str | None = None) -> Trace:
    """Train `spec` (or the given params) and return its validated Trace.

    `spec` is a Spec, a spec file's path or the spec as plain data (a dict), as
    `load_spec` reads them. The trace's variant id is `variant`, else the spec's own
    (a drawn variant's), else "base". Training that diverges (a value overflows to
    inf/NaN) is refused with one SpecError naming the quantity, the epoch and the key to
    change (`culprit`), rather than numpy warnings and a table of NaN.

    >>> t = tracegen.trace({"network": {"layers": [{"units": 1, "activation": "sigmoid", "W": [[2]], "b": [0]}]},
    ...                     "loss": "bce", "data": {"x": [1], "y": 1}})
    >>> round(t.value("y_hat"), 4)
    0.8808
    """
    spec = load_spec(spec)
    if variant is None:
        variant = spec.variant or BASE
    with np.errstate(over="ignore", invalid="ignore"):  # reported once, below
        columns, kinks = frame(train(spec, params), variant)
    finite = np.isfinite(columns.value)
    if not finite.all():
        first = int(np.argmin(finite))
        phase, name, _ = columns.labels[columns.quantity[first]]
        raise SpecError(*culprit(spec, f"{name} overflows (beyond ±1.8e308)", name, int(columns.epoch[first]), phase),
                        spec.source)
    return Trace.from_columns(columns, spec=spec, kinks=kinks)


HUGE = 1e150  # a value whose square overflows float64


def culprit(spec: Spec, problem: str, name: str, epoch: int, phase: str) -> tuple[str, str]:
    """(the spec key to change, a line saying `problem`, when and what to try) for quantity `name`
    of `epoch` and `phase` grown out of range: before the first update the givens are too large
    (the parameters, data or loss scale), from the first update on the steps are."""
    if epoch > 1 or phase == "update":
        done = "its update" if phase == "update" else "the updates before it"
        return "training.learning_rate", (f"training diverged: {problem} in epoch {epoch}, after {done}; "
                                          "use a smaller learning rate or fewer epochs")
    digits = re.search(r"\d+$", name)
    layer = int(digits.group()) if digits else len(spec.layers)  # W2, z2, delta2, dW2 -> 2; y_hat, L -> the last
    if name in ("x", "y"):
        key = f"data.{name}"
    elif phase == "loss":
        key = ("data.y" if np.abs(spec.y).max() > HUGE else
               "loss.scale" if spec.loss.scale > 1 else f"network.layers[{len(spec.layers) - 1}]")
    elif phase == "params":
        key = f"network.layers[{layer - 1}].{name[0]}"
    else:
        key = f"network.layers[{layer - 1}]"
    return key, f"{problem} in epoch 1, before any update: the values it is computed from are too large; use smaller " \
                "ones"
