"""Drawing a class's variants: hash-derived numbers, quality constraints, rejection sampling.

Every number a variant draws comes from SHAKE-256 of a per-variant digest (SHA-256 of the
seed material, or HMAC-SHA256 of it keyed with a secret), never from a library RNG stream,
so a seed gives the same variants on every NumPy and Python version. Candidates are
checked in one vectorised engine pass (a leading candidate axis) and redrawn until the
spec's `variants.constraints` hold, the fairness gates among them (tracegen.batching.fairness).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from tracegen.batching import fairness
from tracegen.batching.fairness import Profile
from tracegen.document import printable
from tracegen.engine.sgd import Params, train
from tracegen.errors import SpecError
from tracegen.spec.limits import trace_rows
from tracegen.spec.model import DEFAULT_TRIES, Constraints, Spec, ValueRange
from tracegen.spec.shapes import shapes

Array = np.ndarray
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread
ID_LENGTH = 6
DOMAIN = b"tracegen-variant-v1\0"  # versions the derivation: changing it changes every variant
MAX_CANDIDATES = 16_384  # candidates checked per vectorised round (bounds memory)
MAX_ROUND_VALUES = 1 << 22  # trace numbers of one round's candidates (32 MB of float64)
RELU_LIKE = ("relu", "leaky_relu")
# Hand-friendly ranges for a W or b the spec gives without a `variants` range to redraw it from.
DEFAULT_WEIGHTS = ValueRange((-2.0, -1.0, 0.0, 1.0, 2.0))
DEFAULT_BIASES = ValueRange((-1.0, 0.0, 1.0))


@dataclass(frozen=True, eq=False)
class Variant:
    """One drawn variant: its id, what it was derived from, and what it drew.

    `spec` (the concrete spec) is built on first use: a 10,000-variant trace needs only
    the drawn arrays.
    """

    id: str
    material: str
    attempt: int
    base: Spec
    drawn: dict[tuple[str, int], Array]

    @cached_property
    def spec(self) -> Spec:
        return replace(concrete(self.base, self.drawn), variant=self.id)


def fingerprint(secret: bytes) -> str:
    """A short public name for a secret, so a manifest says which secret was used."""
    return hmac.new(secret, b"tracegen-fingerprint", hashlib.sha256).hexdigest()[:8]


def digest(material: str, secret: bytes | None = None) -> bytes:
    """SHA-256 of the seed material, or HMAC-SHA256 keyed with the secret when given.

    With a secret, knowing the tool and the material (a student id) is not enough to
    regenerate a variant.
    """
    data = DOMAIN + material.encode("utf-8")
    if secret is None:
        return hashlib.sha256(data).digest()
    return hmac.new(secret, data, hashlib.sha256).digest()


def variant_id(seed: bytes, length: int = ID_LENGTH) -> str:
    """`length` Crockford base32 characters of the digest: short, readable, case-proof."""
    number = int.from_bytes(seed, "big")
    chars = [ALPHABET[(number >> (251 - 5 * i)) & 31] for i in range(length)]
    return "".join(chars)


def unique_ids(seeds: Sequence[bytes]) -> list[str]:
    """Variant ids in order; a later id that collides with an earlier one grows by a character."""
    taken: set[str] = set()
    ids = []
    for seed in seeds:
        length = ID_LENGTH
        while (vid := variant_id(seed, length)) in taken:
            length += 1
        taken.add(vid)
        ids.append(vid)
    return ids


# --- what a variant draws -------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """One drawn quantity: where it goes, its shape, and the range it is drawn from."""

    kind: str  # W, b, x, y
    layer: int  # layer index for W/b, -1 for x/y
    shape: tuple[int, ...]
    values: ValueRange | None  # None: not drawn (kept as given); the numbers are still consumed


def _slots(spec: Spec) -> list[_Slot]:
    """Every quantity in a fixed order, so what one kind draws never shifts another's numbers."""
    ranges = {"W": spec.weights or DEFAULT_WEIGHTS, "b": spec.biases or DEFAULT_BIASES,
              "x": spec.inputs, "y": spec.targets}
    drawn = {kind: None if kind in spec.keep else rng for kind, rng in ranges.items()}
    slots, every = [], shapes(spec)
    for i in range(len(spec.layers)):
        slots.append(_Slot("W", i, every[f"W{i + 1}"], drawn["W"]))
        slots.append(_Slot("b", i, every[f"b{i + 1}"], drawn["b"]))
    slots.append(_Slot("x", -1, spec.x.shape, drawn["x"]))
    y_shape = (spec.n_samples,) if spec.loss.name == "cross_entropy" else spec.y.shape
    slots.append(_Slot("y", -1, y_shape, drawn["y"]))
    return slots


def _stream(seed: bytes, attempt: int, count: int) -> bytes:
    return hashlib.shake_256(seed + attempt.to_bytes(4, "big")).digest(8 * count)


def numbers(seeds: Sequence[bytes], attempts: Sequence[int], count: int) -> Array:
    """(candidates, count) uint64s: attempt j of a seed reads SHAKE-256(seed || j), 8 bytes big-endian each."""
    streams = b"".join(_stream(seed, attempt, count) for seed, attempt in zip(seeds, attempts, strict=True))
    return np.frombuffer(streams, dtype=">u8").astype(np.uint64).reshape(len(seeds), count)


def _draw(spec: Spec, seeds: Sequence[bytes], attempts: Sequence[int]) -> dict[tuple[str, int], Array]:
    """Candidate arrays with a leading candidate axis, one candidate per (seed, attempt).

    A number u picks `values[u mod len(values)]` (bias below 2^-50 for any real range).
    """
    slots = _slots(spec)
    count = sum(int(np.prod(slot.shape)) for slot in slots)
    raw = numbers(seeds, attempts, count)
    out, start = {}, 0
    for slot in slots:
        size = int(np.prod(slot.shape))
        if slot.values is not None:
            values = np.array(slot.values.values)
            picked = values[(raw[:, start:start + size] % np.uint64(values.size)).astype(np.int64)]
            out[(slot.kind, slot.layer)] = picked.reshape(len(seeds), *slot.shape)
        start += size
    return out


def _arrays(spec: Spec, drawn: dict[tuple[str, int], Array], n: int) -> tuple[Params, Array, Array]:
    """Full (params, x, y) with a leading axis of n: drawn values, or the spec's own broadcast."""
    params = []
    for i, layer in enumerate(spec.layers):
        W, b = drawn.get(("W", i), layer.W), drawn.get(("b", i), layer.b)
        assert W is not None and b is not None, "missing parameters are drawn"
        params.append((np.broadcast_to(W, (n, *np.shape(W)[-2:])), np.broadcast_to(b, (n, np.shape(b)[-1]))))
    x = np.broadcast_to(drawn.get(("x", -1), spec.x), (n, *spec.x.shape))
    y = drawn.get(("y", -1), spec.y)
    if ("y", -1) in drawn and spec.loss.name == "cross_entropy":
        y = np.eye(spec.y.shape[1])[y.astype(np.int64)]
    return params, x, np.broadcast_to(y, (n, *spec.y.shape))


# --- constraints ----------------------------------------------------------------------


def violations(spec: Spec, params: Params, x: Array, y: Array, base: Profile | None = None) -> dict[str, Array]:
    """Per enabled constraint, a boolean per candidate: True where the candidate breaks it.

    `finite` is always checked: a diverging candidate, or one with a number too large to print
    (tracegen.document.printable), is redrawn (numpy's overflow warnings are silenced here, as
    tracegen.trace does) rather than failing the variant later.
    `base` is the base spec's profile, which the fairness gates compare with (None: none).
    """
    n = x.shape[0]
    half = 0.5 * 10.0 ** -spec.decimals * (1 + 1e-9)  # anything this small prints as 0 or -0
    bad = {name: np.zeros(n, dtype=bool) for name in ["finite", *_enabled(spec.constraints)]}
    losses = []
    with np.errstate(all="ignore"):
        records = list(train(spec, params, x, y))
        bad.update(fairness.gates(spec, fairness.profile(spec, records, n), base))
    for record in records:
        value = np.reshape(record.value, (n, -1))
        bad["finite"] |= ~np.isfinite(value).all(axis=1) | printable.too_large(spec, record.name, value).any(axis=1)
        if "readable" in bad:
            bad["readable"] |= ((value != 0) & (np.abs(value) < half)).any(axis=1)
        if record.name == "L":
            losses.append(record.value)
        if record.phase == "forward" and record.name.startswith("z"):
            _check_z(spec, int(record.name[1:]), record.value, bad)
    if "loss_decreases" in bad and len(losses) > 1:
        bad["loss_decreases"] = np.asarray((np.diff(np.stack(losses, axis=1), axis=1) >= 0).any(axis=1))
    return bad


def _check_z(spec: Spec, layer: int, z: Array, bad: dict[str, Array]) -> None:
    """Pre-activation rules: the output is not saturated, every sample has an active ReLU unit."""
    if layer == len(spec.layers) and "max_output_z" in bad:
        bad["max_output_z"] |= (np.abs(z) > spec.constraints.max_output_z).reshape(len(z), -1).any(axis=1)
    elif layer < len(spec.layers) and "active_hidden" in bad and spec.layers[layer - 1].activation.name in RELU_LIKE:
        bad["active_hidden"] |= ~(z > 0).any(axis=-1).all(axis=-1)


def _enabled(rules: Constraints) -> list[str]:
    names = ["active_hidden", "loss_decreases", "readable"]  # the others: fairness.gates
    enabled = [name for name in names if getattr(rules, name)]
    return enabled + (["max_output_z"] if rules.max_output_z is not None else [])


# --- rejection sampling ---------------------------------------------------------------


@dataclass
class _Search:
    """Rejection-sampling state of one variant: next attempt, the hit, failure counts."""

    seed: bytes
    material: str
    attempt: int
    limit: int
    hit: dict[tuple[str, int], Array] | None = None
    failed: dict[str, int] = field(default_factory=dict)  # constraint -> draws it rejected
    avoid: set[bytes] = field(default_factory=set)  # draws taken by earlier variants (distinct)


def base_profile(spec: Spec) -> Profile | None:
    """The base spec's profile, which the fairness gates hold variants to; None when it leaves W or b to draw."""
    if spec.missing_params():
        return None
    with np.errstate(all="ignore"):
        return fairness.profile(spec, list(train(spec)), 1)


def profiles(variants: Sequence[Variant]) -> Profile:
    """Every variant's difficulty profile, from one vectorised training pass."""
    base = variants[0].base
    with np.errstate(all="ignore"):
        return fairness.profile(base, list(train(base, *_stacked(variants))), len(variants))


def _search(spec: Spec, searches: list[_Search], base: Profile | None) -> None:
    """Advance every search to its first candidate that meets the constraints (vectorised).

    A round checks at most `width` candidates, so that their traces hold at most
    MAX_ROUND_VALUES numbers: a big network checks fewer at a time, not more memory.
    """
    pending = [s for s in searches if s.hit is None and s.attempt < s.limit]
    width = max(1, min(MAX_CANDIDATES, MAX_ROUND_VALUES // trace_rows(spec)))
    while pending:
        chunk = pending[:width]
        k = max(1, min(width // len(chunk), 256))
        seeds, attempts, owner = [], [], []
        for index, search in enumerate(chunk):
            tries = range(search.attempt, min(search.attempt + k, search.limit))
            seeds += [search.seed] * len(tries)
            attempts += list(tries)
            owner += [index] * len(tries)
        drawn = _draw(spec, seeds, attempts)
        bad = violations(spec, *_arrays(spec, drawn, len(seeds)), base)
        _settle(chunk, drawn, bad, attempts, owner)
        pending = [s for s in pending if s.hit is None and s.attempt < s.limit]


def _settle(pending: list[_Search], drawn: dict, bad: dict[str, Array], attempts: list[int], owner: list[int]) -> None:
    """Give each search its first good candidate of the round, and count why the others failed.

    Each search's candidates are contiguous rows, in attempt order.
    """
    ok = np.ones(len(attempts), dtype=bool)
    for flags in bad.values():
        ok &= ~flags
    owners, rows = np.array(owner), np.arange(len(owner))
    totals = {name: np.r_[0, np.cumsum(flags)] for name, flags in bad.items()}  # failures before each row
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    firsts = np.minimum.reduceat(np.where(ok, rows, len(rows)), starts)  # first good row, or past the end
    for search, start, end, first in zip(pending, starts, np.r_[starts[1:], len(rows)], firsts, strict=True):
        row = _first_new(search, drawn, start + np.flatnonzero(ok[start:end])) if search.avoid else first
        stop = min(row, end)
        for name, total in totals.items():
            search.failed[name] = search.failed.get(name, 0) + int(total[stop] - total[start])
        if row < end:
            search.hit, search.attempt = {key: array[row] for key, array in drawn.items()}, attempts[row]
        else:
            search.attempt = attempts[end - 1] + 1


def _first_new(search: _Search, drawn: dict, good: Array) -> int:
    """The first good row whose draw no earlier variant has taken (a huge number if none)."""
    for row in good:
        if _key({key: array[row] for key, array in drawn.items()}) not in search.avoid:
            return int(row)
        search.failed["distinct"] = search.failed.get("distinct", 0) + 1
    return np.iinfo(np.int64).max


def _fail(search: _Search, spec: Spec) -> SpecError:
    """The one-line error, keyed by the constraint that failed most often, naming the next two too."""
    tries = spec.tries
    counts = sorted(((name, count) for name, count in search.failed.items() if count), key=lambda c: -c[1])[:3]
    worst = ", ".join(f"{name} ({count} of {tries} draws)" for name, count in counts) or "distinct"
    key = f"variants.constraints.{counts[0][0]}" if counts and counts[0][0] != "finite" else "variants.constraints"
    return SpecError(key, f"variant {search.material}: no draw in {tries} tries met the constraints; most often "
                          f"failed: {worst}. Relax one under variants.constraints, widen the variants ranges or "
                          "raise variants.tries", spec.source)


def _key(hit: dict[tuple[str, int], Array]) -> bytes:
    return b"".join(hit[key].tobytes() for key in sorted(hit))


def _distinct(spec: Spec, searches: list[_Search], base: Profile | None) -> None:
    """In order, move a variant that repeats an earlier one on to its next passing draw."""
    seen: set[bytes] = set()
    for search in searches:
        if search.hit is not None and _key(search.hit) in seen:
            search.failed["distinct"] = search.failed.get("distinct", 0) + 1
            search.hit, search.attempt, search.avoid = None, search.attempt + 1, seen
            _search(spec, [search], base)
        if search.hit is None:
            raise _fail(search, spec)
        seen.add(_key(search.hit))


def drawn_kinds(spec: Spec) -> list[str]:
    """The kinds a batch draws anew for each variant: W and b unless kept, x and y if given a range."""
    return sorted({slot.kind for slot in _slots(spec) if slot.values is not None}, key="Wbxy".index)


def draw(spec: Spec, materials: Sequence[str], secret: bytes | None = None) -> list[Variant]:
    """One variant per seed material, each meeting the spec's constraints (SpecError if not)."""
    if not drawn_kinds(spec):
        raise SpecError("variants.keep", "nothing left to draw: keep fewer of W, b, or give "
                                         "variants.inputs or variants.targets", spec.source)
    seeds = [digest(material, secret) for material in materials]
    searches = [_Search(seed, material, 0, spec.tries) for seed, material in zip(seeds, materials, strict=True)]
    base = base_profile(spec)
    _search(spec, searches, base)
    for search in searches:
        if search.hit is None:
            raise _fail(search, spec)
    if spec.constraints.distinct:
        _distinct(spec, searches, base)
    ids = unique_ids(seeds)
    return [Variant(vid, s.material, s.attempt, spec, s.hit or {}) for vid, s in zip(ids, searches, strict=True)]


def acceptance(spec: Spec, material: str, sample: int = 400) -> tuple[float, int]:
    """(the share of the first `sample` candidates of `material` that meet the constraints, how many different
    ones do): how likely a batch is to find its variants, before it tries (at most variants.tries candidates,
    and as many as one round checks)."""
    count = max(1, min(sample, spec.tries, MAX_CANDIDATES, MAX_ROUND_VALUES // trace_rows(spec)))
    drawn = _draw(spec, [digest(material, None)] * count, range(count))
    bad = violations(spec, *_arrays(spec, drawn, count), base_profile(spec))
    good = ~np.any(list(bad.values()), axis=0)
    rows = np.concatenate([np.reshape(a, (count, -1)) for a in drawn.values()], axis=1)[good]
    return float(good.mean()), len({row.tobytes() for row in rows})


def concrete(spec: Spec, hit: dict[tuple[str, int], Array]) -> Spec:
    """The spec with one candidate's draws filled in and no `variants` section left."""
    params, x, y = _arrays(spec, {key: value[None] for key, value in hit.items()}, 1)
    filled = spec.with_params([(np.array(W[0]), np.array(b[0])) for W, b in params])
    return replace(filled, x=np.array(x[0]), y=np.array(y[0]), weights=None, biases=None, inputs=None,
                   targets=None, keep=(), constraints=Constraints(), tries=DEFAULT_TRIES)


def _stacked(variants: Sequence[Variant]) -> tuple[Params, Array, Array]:
    """The variants' (params, x, y) with a leading variant axis, for one training pass."""
    stacked = {key: np.stack([v.drawn[key] for v in variants]) for key in variants[0].drawn}
    return _arrays(variants[0].base, stacked, len(variants))
