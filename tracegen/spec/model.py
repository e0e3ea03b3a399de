"""Load and validate a problem spec (YAML, JSON or TOML) into a frozen `Spec`.

Validation is total: every problem is reported as one `SpecError` naming the key path,
what was expected and what was found. No maths happens here beyond shape checks.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tracegen.errors import SpecError
from tracegen.spec.reading import parse_text, read_text, scan
from tracegen.text import one_line, plain, quote

ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear", "leaky_relu", "softmax")
LOSSES = ("bce", "mse", "cross_entropy")
PARAM_KINDS = ("W", "b")
MAX_EPOCHS = 1000
MAX_LAYERS = 64  # a worked exercise has a handful; 10,000 would cost seconds before any other limit
MAX_DECIMALS = 10
MAX_TITLE = 200  # characters; the title heads every page
DEFAULT_SLOPE = 0.01
EXAMPLE = "class3.yaml"

TOP_KEYS = ("title", "network", "loss", "data", "training", "display", "variants", "grading")
NETWORK_KEYS = ("layers",)
LAYER_KEYS = ("units", "activation", "W", "b")
ACTIVATION_KEYS = ("name", "slope")
LOSS_KEYS = ("name", "scale", "reduction", "batch")
DATA_KEYS = ("x", "y")
TRAINING_KEYS = ("learning_rate", "epochs", "optimizer", "update")
DISPLAY_KEYS = ("decimals", "working_space")
VARIANT_KEYS = ("weights", "biases", "inputs", "targets", "keep", "constraints", "tries")
RANGE_KEYS = ("values", "low", "high", "step")
DRAWN_KINDS = ("W", "b", "x", "y")
CONSTRAINT_KEYS = ("no_kinks", "active_hidden", "max_output_z", "loss_decreases", "readable", "distinct",
                   "same_branches", "no_zero_gradients", "loss_band", "no_ties")
NUMBER_CONSTRAINTS = {"max_output_z": 0.0, "loss_band": 1.0}  # a number (or null: off), above this
DEFAULT_TRIES = 1000
MAX_TRIES = 1_000_000
MAX_RANGE_VALUES = 10_000
GRADING_KEYS = ("tolerance", "marks", "carried", "quantities")
RULE_KEYS = ("tolerance", "marks")
TOLERANCE_MODES = ("decimals", "abs", "rel", "sigfig")
MAX_SIGFIG = 15
GRADED_KINDS = ("z", "h", "y_hat", "sample_loss", "L", "delta", "dW", "db", "W", "b")


@dataclass(frozen=True)
class Activation:
    """An activation by contract name, with its options (only leaky_relu has one)."""

    name: str
    slope: float = DEFAULT_SLOPE


@dataclass(frozen=True, eq=False)
class Layer:
    """One fully connected layer. `W`/`b` are None when left to `variants`."""

    units: int
    activation: Activation
    W: np.ndarray | None
    b: np.ndarray | None


@dataclass(frozen=True)
class Loss:
    """A loss and its reduction rules (docs/spec.md)."""

    name: str
    scale: float = 1.0
    reduction: str = "mean"  # over output units, mse only
    batch: str = "mean"  # over samples


@dataclass(frozen=True)
class ValueRange:
    """Where variant values are drawn from: an explicit list, or low..high by step."""

    values: tuple[float, ...]


@dataclass(frozen=True)
class Constraints:
    """What makes a drawn variant a good exercise, and a fair one; each can be relaxed in the spec.

    Batch rejection sampling (tracegen.batching.variants) redraws until all enabled ones hold.
    The last four are the fairness gates (tracegen.batching.fairness): they hold a variant to
    its base spec, so that every student of a class works the same rules about as hard.
    """

    no_kinks: bool = True  # no ReLU/leaky-ReLU pre-activation exactly at 0 (beyond the base spec's kinks)
    active_hidden: bool = True  # every sample has an active (z > 0) unit in each ReLU layer
    max_output_z: float | None = 4.0  # |z| at the output at most this (None: no limit)
    loss_decreases: bool = True  # L strictly decreases from epoch to epoch
    readable: bool = True  # no nonzero number prints as 0 (or -0) at display.decimals
    distinct: bool = True  # no two variants of a batch are identical
    same_branches: bool = True  # per epoch and layer, as many active, inactive and kinked units as the base
    no_zero_gradients: bool = True  # no layer's whole gradient is zero in an epoch unless the base's is
    loss_band: float | None = 3.0  # each epoch's L within this factor of the base's (None: no band)
    no_ties: bool = True  # no computed value halfway between two printed ones (0.6225 at 3 decimals)


@dataclass(frozen=True)
class Tolerance:
    """How far an answer may be from the value it is checked against (`tracegen grade`).

    `decimals`: half a unit of the `amount`-th decimal (None: `display.decimals`), the
    printed digit; `abs`: `amount` either side; `rel`: `amount` times the value either
    side; `sigfig`: half a unit of the `amount`-th significant figure.
    """

    mode: str = "decimals"
    amount: float | None = None


@dataclass(frozen=True)
class Rule:
    """A `grading.quantities` entry: what differs for one quantity kind (`dW`) or name (`dW1`)."""

    tolerance: Tolerance | None = None
    marks: float | None = None


@dataclass(frozen=True)
class Grading:
    """The `grading` section: tolerance and marks per blank, and the share of marks a carried answer earns."""

    tolerance: Tolerance = field(default_factory=Tolerance)
    marks: float = 1.0
    carried: float = 1.0
    quantities: tuple[tuple[str, Rule], ...] = ()


@dataclass(frozen=True, eq=False)
class Spec:
    """A validated problem spec.

    `x` is always (samples, inputs) and `y` always (samples, outputs) as float64, with
    class indices already one-hot; `flat` remembers that `data.x` was a single vector.
    `variant` is the id of a drawn variant (None for a spec as written); a trace of the
    spec carries it, so a variant's documents name it as the batch's do.

    >>> tracegen.load_example()
    <Spec 'Class 3: Training by Hand': 3-2-1 network, 1 sample, 3 epochs, loss bce>
    """

    title: str
    layers: tuple[Layer, ...]
    loss: Loss
    x: np.ndarray
    y: np.ndarray
    flat: bool
    learning_rate: float
    epochs: int
    optimizer: str = "sgd"
    update: tuple[str, ...] = PARAM_KINDS
    decimals: int = 3
    working_space: bool = True  # worksheets leave room to work under each pass (display.working_space)
    weights: ValueRange | None = None
    biases: ValueRange | None = None
    inputs: ValueRange | None = None
    targets: ValueRange | None = None
    keep: tuple[str, ...] = ()
    constraints: Constraints = field(default_factory=Constraints)
    tries: int = DEFAULT_TRIES
    grading: Grading = field(default_factory=Grading)
    source: str | None = field(default=None, compare=False)
    variant: str | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        variant = f" variant {self.variant}" if self.variant else ""
        return f"<Spec {self.title!r}{variant}: {self.summary()}>"

    def _repr_html_(self) -> str:
        """Jupyter's view: a compact table of the network, loss, data, training and variants."""
        from tracegen.spec.display import spec_html

        return spec_html(self)

    def summary(self) -> str:
        """One line: shape, samples, epochs, loss (what `tracegen check` prints).

        >>> tracegen.load_example().summary()
        '3-2-1 network, 1 sample, 3 epochs, loss bce'
        """
        shape = "-".join(map(str, self.sizes))
        samples = "1 sample" if self.n_samples == 1 else f"{self.n_samples} samples"
        epochs = "1 epoch" if self.epochs == 1 else f"{self.epochs} epochs"
        return f"{shape} network, {samples}, {epochs}, loss {self.loss.name}"

    @classmethod
    def from_dict(cls, data: Any, source: str | None = None) -> Spec:
        """Validate a parsed mapping (as loaded from YAML/JSON/TOML) into a Spec."""
        try:
            scan(data)
            return replace(_parse(data), source=source)
        except SpecError as err:
            if source is None or err.source is not None:
                raise
            raise SpecError(err.key, err.problem, source) from None

    @property
    def n_inputs(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def sizes(self) -> tuple[int, ...]:
        """Inputs, then each layer's units: (3, 2, 1) for the Class 3 network."""
        return (self.n_inputs, *(layer.units for layer in self.layers))

    @property
    def layer_inputs(self) -> tuple[int, ...]:
        """Number of inputs of each layer (the previous layer's units)."""
        return (self.n_inputs,) + tuple(layer.units for layer in self.layers[:-1])

    def missing_params(self) -> list[str]:
        """Key paths of W/b left to `variants`."""
        return [
            f"network.layers[{i}].{kind}"
            for i, layer in enumerate(self.layers)
            for kind in PARAM_KINDS
            if getattr(layer, kind) is None
        ]

    def with_params(self, params: list[tuple[np.ndarray, np.ndarray]]) -> Spec:
        """A copy with concrete (W, b) for every layer (used by variant drawing)."""
        layers = tuple(
            replace(layer, W=np.array(W, dtype=float), b=np.array(b, dtype=float))
            for layer, (W, b) in zip(self.layers, params, strict=True)
        )
        return replace(self, layers=layers)

    def with_title(self, title: str) -> Spec:
        return replace(self, title=title)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data, the form `load_spec` reads back to an equal Spec."""
        layers = []
        for layer in self.layers:
            act: Any = layer.activation.name
            if layer.activation.name == "leaky_relu":
                act = {"name": "leaky_relu", "slope": layer.activation.slope}
            entry: dict[str, Any] = {"units": layer.units, "activation": act}
            if layer.W is not None:
                entry["W"] = layer.W.tolist()
            if layer.b is not None:
                entry["b"] = layer.b.tolist()
            layers.append(entry)
        loss: dict[str, Any] = {"name": self.loss.name, "batch": self.loss.batch}
        if self.loss.name == "mse":
            loss.update(scale=self.loss.scale, reduction=self.loss.reduction)
        x: Any = self.x[0].tolist() if self.flat else self.x.tolist()
        y: Any = self.y.tolist()
        if self.flat:
            y = y[0]
        if self.y.shape[1] == 1:
            y = y[0] if self.flat else [row[0] for row in y]
        out: dict[str, Any] = {
            "title": self.title,
            "network": {"layers": layers},
            "loss": loss,
            "data": {"x": x, "y": y},
            "training": {
                "learning_rate": self.learning_rate,
                "epochs": self.epochs,
                "optimizer": self.optimizer,
                "update": list(self.update),
            },
            "display": {"decimals": self.decimals, **({} if self.working_space else {"working_space": False})},
        }
        variants = self._variants_dict()
        if variants:
            out["variants"] = variants
        if self.grading != Grading():
            out["grading"] = _grading_dict(self.grading)
        return out

    def _variants_dict(self) -> dict[str, Any]:
        """The `variants` section as plain data, defaults left out."""
        out: dict[str, Any] = {
            key: {"values": list(getattr(self, key).values)}
            for key in VARIANT_KEYS[:4]
            if getattr(self, key) is not None
        }
        if self.keep:
            out["keep"] = list(self.keep)
        default = Constraints()
        changed = {k: getattr(self.constraints, k) for k in CONSTRAINT_KEYS
                   if getattr(self.constraints, k) != getattr(default, k)}
        if changed:
            out["constraints"] = changed
        if self.tries != DEFAULT_TRIES:
            out["tries"] = self.tries
        return out


SpecLike = Spec | str | os.PathLike[str] | Mapping[str, Any]  # what every function taking a spec accepts


def load_spec(path: SpecLike) -> Spec:
    """Read a spec file; the format follows the extension (.yaml/.yml, .json, .toml).

    A mapping (the spec as plain data, e.g. a dict) is validated as it is, and a Spec is
    returned as it is, so every function that takes a spec takes any of the three. Hostile
    or oversize files are refused before they cost anything (tracegen.spec.reading).

    >>> spec = tracegen.load_spec({"network": {"layers": [{"units": 1, "activation": "sigmoid", "W": [[1, -1]],
    ...                                                    "b": [0]}]}, "loss": "bce", "data": {"x": [1, 0], "y": 1}})
    >>> spec.summary()
    '2-1 network, 1 sample, 1 epoch, loss bce'
    """
    if isinstance(path, Spec):
        return path
    if isinstance(path, Mapping):
        return Spec.from_dict(path)
    if not isinstance(path, str | os.PathLike):
        raise SpecError("", f"expected a spec file's path or the spec as a mapping, got {type(path).__name__}")
    path = Path(path)
    return Spec.from_dict(parse_text(read_text(path), path.suffix.lower(), str(path)), source=str(path))


def load_example() -> Spec:
    """The built-in Class 3 example (the seed slides' 3-2-1 network).

    >>> tracegen.load_example().layers[0].W
    array([[ 1., -1.,  1.],
           [-2.,  0.,  1.]])
    """
    text = resources.files("tracegen").joinpath("examples", EXAMPLE).read_text("utf-8")
    return Spec.from_dict(parse_text(text, ".yaml", EXAMPLE), source=EXAMPLE)


# --- validation helpers -------------------------------------------------------------


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"the text {quote(value)}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    if isinstance(value, int | float):
        return repr(value)
    return f"a value of type {type(value).__name__}"  # from Python (bytes, a date): its repr may run for pages


def _mapping(value: Any, key: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> Mapping:
    if not isinstance(value, Mapping):
        raise SpecError(key or "spec", f"expected a mapping, got {_describe(value)}")
    for name in value:
        if name not in allowed:
            where = f"{key}.{plain(name)}" if key else plain(name)
            close = difflib.get_close_matches(str(name), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; expected one of {', '.join(allowed)}"
            raise SpecError(where, f"unknown key{hint}")
    for name in required:
        if value.get(name) is None:
            raise SpecError(f"{key}.{name}" if key else name, "missing (required)")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(key, f"expected a number, got {_describe(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise SpecError(key, f"expected a finite number, got {value}")
    return number


def _integer(value: Any, key: str, low: int, high: int) -> int:
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or float(value) != int(value)):
        raise SpecError(key, f"expected a whole number from {low} to {high}, got {_describe(value)}")
    if not low <= int(value) <= high:
        raise SpecError(key, f"expected a whole number from {low} to {high}, got {int(value)}")
    return int(value)


def _choice(value: Any, key: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1) if isinstance(value, str) else []
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise SpecError(key, f"expected one of {', '.join(choices)}, got {_describe(value)}{hint}")
    return value


def _array(value: Any, key: str) -> np.ndarray:
    """Nested lists of finite numbers -> float64 array (rectangular, 0-2 dimensions)."""

    def check(item: Any, path: str) -> Any:
        if isinstance(item, list | tuple):
            return [check(v, f"{path}[{i}]") for i, v in enumerate(item)]
        return _number(item, path)

    checked = check(value, key)
    try:
        array = np.array(checked, dtype=float)
    except ValueError:
        raise SpecError(key, "expected a rectangular list of numbers (rows of equal length)") from None
    if array.ndim > 2:
        raise SpecError(key, f"expected at most 2 dimensions, got {array.ndim}")
    return array


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


# --- the sections -------------------------------------------------------------------


def _parse(data: Any) -> Spec:
    top = _mapping(data, "", TOP_KEYS, required=("network", "loss", "data"))
    title = top.get("title", "Training by Hand")
    if not isinstance(title, str) or not one_line(title):
        raise SpecError("title", f"expected non-empty text, got {_describe(title)}")
    title = one_line(title)  # printed in every page header: one line, no control characters
    if len(title) > MAX_TITLE:
        raise SpecError("title", f"expected at most {MAX_TITLE} characters, got {len(title):,}")
    network = _mapping(top["network"], "network", NETWORK_KEYS, required=("layers",))
    raw_layers = network["layers"]
    if not isinstance(raw_layers, list) or not raw_layers:
        raise SpecError("network.layers", f"expected a non-empty list of layers, got {_describe(raw_layers)}")
    if len(raw_layers) > MAX_LAYERS:
        raise SpecError("network.layers", f"expected at most {MAX_LAYERS} layers, got {len(raw_layers):,}")
    loss = _parse_loss(top["loss"])
    data_map = _mapping(top["data"], "data", DATA_KEYS, required=("x", "y"))
    x, flat = _parse_x(data_map["x"])
    layers = _parse_layers(raw_layers, x.shape[1])
    _check_pairing(layers, loss)
    y = _parse_y(data_map["y"], x.shape[0], flat, layers[-1].units, loss)
    training = _mapping(top.get("training", {}), "training", TRAINING_KEYS)
    display = _mapping(top.get("display", {}), "display", DISPLAY_KEYS)
    variants = _parse_variants(top.get("variants"), loss, layers[-1].units)
    _check_drawable(layers, variants)
    rate = _number(training.get("learning_rate", 0.1), "training.learning_rate")
    if rate <= 0:
        raise SpecError("training.learning_rate", f"expected a positive number, got {rate:g}")
    optimizer = training.get("optimizer", "sgd")
    if optimizer in ("momentum", "adam"):
        raise SpecError("training.optimizer", f"{optimizer} is not supported yet; expected sgd")
    return Spec(
        title=title,
        layers=layers,
        loss=loss,
        x=x,
        y=y,
        flat=flat,
        learning_rate=rate,
        epochs=_integer(training.get("epochs", 1), "training.epochs", 1, MAX_EPOCHS),
        optimizer=_choice(optimizer, "training.optimizer", ("sgd",)),
        update=_parse_update(training.get("update", list(PARAM_KINDS))),
        decimals=_integer(display.get("decimals", 3), "display.decimals", 0, MAX_DECIMALS),
        working_space=_flag(display.get("working_space", True), "display.working_space"),
        grading=_parse_grading(top.get("grading"), layers),
        **variants,
    )


def _parse_activation(value: Any, key: str) -> Activation:
    if isinstance(value, Mapping):
        options = _mapping(value, key, ACTIVATION_KEYS, required=("name",))
        name = _choice(options["name"], f"{key}.name", ACTIVATIONS)
        if "slope" in options:
            if name != "leaky_relu":
                raise SpecError(f"{key}.slope", f"only leaky_relu takes a slope, not {name}")
            return Activation(name, _number(options["slope"], f"{key}.slope"))
        return Activation(name)
    return Activation(_choice(value, key, ACTIVATIONS))


def _parse_layers(raw: list, n_inputs: int) -> tuple[Layer, ...]:
    layers = []
    fan_in = n_inputs
    for i, item in enumerate(raw):
        key = f"network.layers[{i}]"
        entry = _mapping(item, key, LAYER_KEYS, required=("units", "activation"))
        units = _integer(entry["units"], f"{key}.units", 1, 1024)
        activation = _parse_activation(entry["activation"], f"{key}.activation")
        W = b = None
        if entry.get("W") is not None:
            W = _array(entry["W"], f"{key}.W")
            if W.ndim == 1 and units == 1:
                W = W.reshape(1, -1)
            if W.shape != (units, fan_in):
                raise SpecError(f"{key}.W", f"expected shape {_shape((units, fan_in))}, got {_shape(W.shape)}")
        if entry.get("b") is not None:
            b = _array(entry["b"], f"{key}.b")
            if b.ndim == 0 and units == 1:
                b = b.reshape(1)
            if b.shape != (units,):
                raise SpecError(f"{key}.b", f"expected shape {_shape((units,))}, got {_shape(b.shape)}")
        layers.append(Layer(units, activation, W, b))
        fan_in = units
    return tuple(layers)


def _parse_loss(value: Any) -> Loss:
    if not isinstance(value, Mapping):
        return Loss(_choice(value, "loss", LOSSES))
    options = _mapping(value, "loss", LOSS_KEYS, required=("name",))
    name = _choice(options["name"], "loss.name", LOSSES)
    for option in ("scale", "reduction"):
        if option in options and name != "mse":
            raise SpecError(f"loss.{option}", f"only mse takes a {option}, not {name}")
    scale = _number(options.get("scale", 1.0), "loss.scale")
    if scale <= 0:
        raise SpecError("loss.scale", f"expected a positive number, got {scale:g}")
    return Loss(
        name=name,
        scale=scale,
        reduction=_choice(options.get("reduction", "mean"), "loss.reduction", ("mean", "sum")),
        batch=_choice(options.get("batch", "mean"), "loss.batch", ("mean", "sum")),
    )


def _check_pairing(layers: tuple[Layer, ...], loss: Loss) -> None:
    """Activation/loss combinations the contract allows."""
    for i, layer in enumerate(layers[:-1]):
        if layer.activation.name == "softmax":
            raise SpecError(f"network.layers[{i}].activation", "softmax is only allowed on the last layer")
    last = layers[-1]
    key = f"network.layers[{len(layers) - 1}].activation"
    if last.activation.name == "softmax":
        if loss.name != "cross_entropy":
            raise SpecError(key, f"softmax output needs loss cross_entropy, got {loss.name}")
        if last.units < 2:
            raise SpecError(f"network.layers[{len(layers) - 1}].units", "softmax needs at least 2 units, got 1")
    if loss.name == "cross_entropy" and last.activation.name != "softmax":
        raise SpecError(key, f"loss cross_entropy needs a softmax output layer, got {last.activation.name}")
    if loss.name == "bce" and last.activation.name != "sigmoid":
        raise SpecError(key, f"loss bce needs a sigmoid output layer, got {last.activation.name}")


def _check_drawable(layers: tuple[Layer, ...], variants: dict[str, Any]) -> None:
    """An omitted W or b must have a `variants` range to be drawn from, and cannot be kept."""
    for i, layer in enumerate(layers):
        for kind, source in (("W", "weights"), ("b", "biases")):
            if getattr(layer, kind) is not None:
                continue
            if variants.get(source) is None:
                raise SpecError(f"network.layers[{i}].{kind}",
                                f"missing; give it, or a variants.{source} range to draw it from")
            if kind in variants.get("keep", ()):
                raise SpecError("variants.keep", f"cannot keep {kind}: network.layers[{i}].{kind} is not given")


def _parse_x(value: Any) -> tuple[np.ndarray, bool]:
    x = _array(value, "data.x")
    if x.ndim == 0:
        raise SpecError("data.x", "expected a vector or a list of vectors, got a single number")
    if x.size == 0:
        raise SpecError("data.x", "expected at least one input value, got an empty list")
    flat = x.ndim == 1
    return (x.reshape(1, -1) if flat else x), flat


def _parse_y(value: Any, m: int, flat: bool, k: int, loss: Loss) -> np.ndarray:
    y = _array(value, "data.y")
    per_sample = "one per sample" if not flat else "for the one sample"
    # A batch of one sample may give its target like a single sample does (a number / a vector).
    single = m == 1
    if loss.name == "cross_entropy" and (y.ndim == 0 or (y.ndim == 1 and not flat and not (single and y.size == k))):
        return _one_hot(y.reshape(-1), m, k)
    if k == 1:
        if not (y.shape in ((m,), (m, 1)) or (single and y.ndim == 0)):
            count = "a number" if single else f"{m} numbers"
            raise SpecError("data.y", f"expected {count} ({per_sample}), got shape {_shape(y.shape)}")
    else:
        expected = (k,) if flat else (m, k)
        if not (y.shape == (m, k) or (single and y.shape == (k,))):
            raise SpecError("data.y", f"expected shape {_shape(expected)} ({k} targets {per_sample}), "
                                      f"got {_shape(y.shape)}")
    y = y.reshape(m, k)
    outside = y[(y < 0) | (y > 1)]
    if loss.name == "bce" and outside.size:
        raise SpecError("data.y", f"bce targets must lie in [0, 1], got {outside[0]:g}")
    if loss.name == "cross_entropy":
        if (y < 0).any() or not np.allclose(y.sum(axis=1), 1.0):
            raise SpecError("data.y", "cross_entropy targets must be class indices or one-hot (probability) vectors")
    return y


def _one_hot(labels: np.ndarray, m: int, k: int) -> np.ndarray:
    if labels.size != m:
        raise SpecError("data.y", f"expected {m} class indices (one per sample), got {labels.size}")
    if ((labels != np.round(labels)) | (labels < 0) | (labels >= k)).any():
        raise SpecError("data.y", f"class indices must be whole numbers from 0 to {k - 1}")
    return np.eye(k)[labels.astype(int)]


def _parse_update(value: Any) -> tuple[str, ...]:
    return _parse_kinds(value, "training.update", PARAM_KINDS)


def _parse_kinds(value: Any, key: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """A list of distinct names from `kinds`, returned in `kinds` order."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(key, f"expected a list drawn from {', '.join(kinds)}, got {_describe(value)}")
    for kind in value:
        _choice(kind, key, kinds)
    if len(set(value)) != len(value):
        raise SpecError(key, f"each of {', '.join(kinds)} may appear once")
    return tuple(kind for kind in kinds if kind in value)


def _parse_variants(value: Any, loss: Loss, outputs: int) -> dict[str, Any]:
    """The `variants` section as Spec keyword arguments (absent keys keep the defaults)."""
    if value is None:
        return {}
    section = _mapping(value, "variants", VARIANT_KEYS)
    out: dict[str, Any] = {
        kind: _parse_range(section[kind], f"variants.{kind}")
        for kind in VARIANT_KEYS[:4]
        if section.get(kind) is not None
    }
    if "targets" in out:
        _check_targets(out["targets"], loss, outputs)
    if section.get("keep") is not None:
        out["keep"] = _parse_kinds(section["keep"], "variants.keep", DRAWN_KINDS)
    if section.get("constraints") is not None:
        out["constraints"] = _parse_constraints(section["constraints"])
    if section.get("tries") is not None:
        out["tries"] = _integer(section["tries"], "variants.tries", 1, MAX_TRIES)
    return out


def _check_targets(targets: ValueRange, loss: Loss, outputs: int) -> None:
    """Drawn targets must be valid for the loss (class indices for cross_entropy)."""
    values = np.array(targets.values)
    if loss.name == "bce" and ((values < 0) | (values > 1)).any():
        raise SpecError("variants.targets", "bce targets must lie in [0, 1]")
    if loss.name == "cross_entropy" and ((values != np.round(values)) | (values < 0) | (values >= outputs)).any():
        raise SpecError("variants.targets",
                        f"cross_entropy targets are class indices: whole numbers from 0 to {outputs - 1}")


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(key, f"expected true or false, got {_describe(value)}")
    return value


def _parse_constraints(value: Any) -> Constraints:
    options = _mapping(value, "variants.constraints", CONSTRAINT_KEYS)
    flags: dict[str, Any] = {}
    for name, given in options.items():
        key = f"variants.constraints.{name}"
        if name in NUMBER_CONSTRAINTS:
            flags[name] = None if given is None else _number(given, key)
            floor = NUMBER_CONSTRAINTS[name]
            if flags[name] is not None and flags[name] <= floor:
                what = "a positive number" if floor == 0 else f"a number above {floor:g}"
                raise SpecError(key, f"expected {what} or null (no limit), got {given}")
        else:
            flags[name] = _flag(given, key)
    return Constraints(**flags)


def _parse_range(value: Any, key: str) -> ValueRange:
    options = _mapping(value, key, RANGE_KEYS)
    if "values" in options:
        if set(options) != {"values"}:
            raise SpecError(key, "give either values or low/high/step, not both")
        values = _array(options["values"], f"{key}.values")
        if values.ndim != 1 or values.size == 0:
            raise SpecError(f"{key}.values", "expected a non-empty list of numbers")
        return ValueRange(tuple(float(v) for v in values))
    for name in ("low", "high", "step"):
        if name not in options:
            raise SpecError(f"{key}.{name}", "missing (give values, or low, high and step)")
    low, high = _number(options["low"], f"{key}.low"), _number(options["high"], f"{key}.high")
    step = _number(options["step"], f"{key}.step")
    if step <= 0 or high < low:
        raise SpecError(key, f"expected low <= high and step > 0, got low={low:g}, high={high:g}, step={step:g}")
    with np.errstate(over="ignore"):
        span = np.float64(high) - np.float64(low)  # -1e308..1e308 is beyond float64: inf, refused below
        steps = span / np.float64(step)  # a step of 5e-324 makes even a short span inf
    if not steps < MAX_RANGE_VALUES:
        got = f"{math.floor(steps) + 1:,}" if math.isfinite(steps) else "more than float64 can count"
        raise SpecError(key, f"expected at most {MAX_RANGE_VALUES:,} values from low to high by step, got {got}")
    count = int(math.floor(steps + 1e-9)) + 1
    return ValueRange(tuple(round(low + i * step, 12) for i in range(count)))


# --- grading ------------------------------------------------------------------------


def _tolerance_dict(tolerance: Tolerance) -> Any:
    if tolerance.amount is None:
        return tolerance.mode
    amount = tolerance.amount
    return {tolerance.mode: int(amount) if tolerance.mode in ("decimals", "sigfig") else amount}


def _grading_dict(grading: Grading) -> dict[str, Any]:
    """The `grading` section as plain data, defaults left out."""
    out: dict[str, Any] = {}
    if grading.tolerance != Tolerance():
        out["tolerance"] = _tolerance_dict(grading.tolerance)
    for name in ("marks", "carried"):
        if getattr(grading, name) != 1.0:
            out[name] = getattr(grading, name)
    if grading.quantities:
        out["quantities"] = {name: {key: (_tolerance_dict(value) if key == "tolerance" else value)
                                    for key in RULE_KEYS if (value := getattr(rule, key)) is not None}
                             for name, rule in grading.quantities}
    return out


def _parse_grading(value: Any, layers: tuple[Layer, ...]) -> Grading:
    """`grading`: tolerance, marks per blank, share of marks for carried answers, per-quantity rules."""
    if value is None:
        return Grading()
    section = _mapping(value, "grading", GRADING_KEYS)
    carried = _number(section.get("carried", 1.0), "grading.carried")
    if not 0 <= carried <= 1:
        raise SpecError("grading.carried", f"expected a share of the marks from 0 to 1, got {carried:g}")
    rules = _mapping(section.get("quantities", {}), "grading.quantities", _graded_names(len(layers)))
    quantities = []
    for name, raw in rules.items():
        key = f"grading.quantities.{name}"
        rule = _mapping(raw, key, RULE_KEYS)
        tolerance = _parse_tolerance(rule["tolerance"], f"{key}.tolerance") if "tolerance" in rule else None
        marks = _marks(rule["marks"], f"{key}.marks") if "marks" in rule else None
        quantities.append((str(name), Rule(tolerance, marks)))
    return Grading(
        tolerance=_parse_tolerance(section.get("tolerance", "decimals"), "grading.tolerance"),
        marks=_marks(section.get("marks", 1.0), "grading.marks"),
        carried=carried,
        quantities=tuple(quantities),
    )


def _graded_names(n: int) -> tuple[str, ...]:
    """Kinds (`dW`) and names (`dW1`) a rule may name in an `n`-layer network."""
    layered = [f"{kind}{i}" for kind in ("z", "delta", "dW", "db", "W", "b") for i in range(1, n + 1)]
    return (*GRADED_KINDS, *layered, *(f"h{i}" for i in range(1, n)))


def _marks(value: Any, key: str) -> float:
    marks = _number(value, key)
    if marks < 0:
        raise SpecError(key, f"expected marks of 0 or more, got {marks:g}")
    return marks


def _parse_tolerance(value: Any, key: str) -> Tolerance:
    """`decimals`, or one mode with its amount: {decimals: 3}, {abs: 0.01}, {rel: 0.02}, {sigfig: 3}."""
    if value == "decimals":
        return Tolerance()
    if not isinstance(value, Mapping) or len(value) != 1:
        got = f"{len(value)} modes" if isinstance(value, Mapping) else _describe(value)
        raise SpecError(key, f"expected one of decimals, abs, rel, sigfig with its amount, e.g. {{rel: 0.01}}, "
                             f"got {got}")
    ((mode, amount),) = value.items()
    mode = _choice(mode, key, TOLERANCE_MODES)
    where = f"{key}.{mode}"
    if mode == "decimals":
        return Tolerance(mode, _integer(amount, where, 0, MAX_DECIMALS))
    if mode == "sigfig":
        return Tolerance(mode, _integer(amount, where, 1, MAX_SIGFIG))
    number = _number(amount, where)
    if number < 0:
        raise SpecError(where, f"expected a tolerance of 0 or more, got {number:g}")
    return Tolerance(mode, number)
