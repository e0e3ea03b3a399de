"""Exact decimal arithmetic on arrays, and intervals of it: the numbers a careful student works with.

Printed numbers are decimals, and a student rounds decimals: binary floats cannot tell
that 0.570 + 0.0525 is exactly the tie 0.6225. So the careful-student model computes in
`decimal.Decimal` (60 significant digits: sums and products of printed numbers are exact,
and e^z, log, tanh and σ are within 1e-55 of the truth, so a value that is not a tie
never looks like one), held in NumPy object arrays so whole classes compute at once.

`Ival` is an interval [lo, hi] per entry. A number a student wrote and carries is a
point (lo is hi); a full-precision student's own value behind a number they wrote
rounded is only known to ± half a unit of its last digit, an interval. Every operation
gives an interval that holds every value its inputs' intervals can give (a point stays a
point, exactly), so the values a careful student may write are those of the result's
interval.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

import numpy as np

Array = np.ndarray
CONTEXT = Context(prec=60, Emax=10**8, Emin=-10**8, traps=[])  # no traps: a wild answer gives inf or NaN, not an error
ONE, ZERO, HALF = Decimal(1), Decimal(0), Decimal("0.5")
CLIP = Decimal("1e-12")  # log's argument kept in [CLIP, 1 - CLIP], as the engine's losses keep it
ROUNDINGS = {"up": ROUND_HALF_UP, "even": ROUND_HALF_EVEN}  # half up: ties away from zero, the school rule


@contextmanager
def precise() -> Iterator[None]:
    """Decimal arithmetic at the model's precision, for the block."""
    with localcontext(CONTEXT):
        yield


def _ufunc(fn: Callable[..., object], n: int = 1) -> Callable[..., Array]:
    vector = np.frompyfunc(fn, n, 1)
    return lambda *args: np.asarray(vector(*args), dtype=object)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


decimals_of = _ufunc(_decimal)  # floats -> the decimals they print as (shortest repr: 0.1 is 0.1)
floats_of = _ufunc(float)
# e^z and log to 40 digits: their results are irrational but for e^0 and log 1, which are exact at any
# precision, so 40 digits cannot make a tie of a value that is not one; at 60 they cost 3x more.
TRANSCENDENTAL = Context(prec=40, Emax=CONTEXT.Emax, Emin=CONTEXT.Emin, traps=[])
exp = _ufunc(functools.lru_cache(maxsize=1 << 16)(lambda d: d.exp(TRANSCENDENTAL)))  # a class shares its values
_ln = _ufunc(functools.lru_cache(maxsize=1 << 16)(lambda d: d.ln(TRANSCENDENTAL)))


def ln(values: Array) -> Array:
    """Natural log, the argument clipped to [CLIP, 1 - CLIP] where it is a probability (as the engine)."""
    return _ln(values)


def constant(value: Decimal | int) -> Array:
    """A number as a 0-d object array, for NumPy's functions."""
    return np.asarray(Decimal(value), dtype=object)


def clip_probability(values: Array) -> Array:
    return np.minimum(np.maximum(values, constant(CLIP)), constant(ONE - CLIP))


def to_decimals(values: Array | float) -> Array:
    """A float array (or number) as an object array of the decimals it prints as."""
    return decimals_of(np.asarray(values, dtype=float))


def unit(decimals: int) -> Decimal:
    """One unit of the last printed digit: 0.001 for 3 decimals."""
    return Decimal(1).scaleb(-decimals)


def rounded(values: Array, decimals: int, rule: str = "up") -> Array:
    """`values` rounded to `decimals` places, ties half up (away from zero) or half to even."""
    return _rounding(decimals, rule)(values)


def is_tie(values: Array, decimals: int) -> Array:
    """Whether each value sits exactly halfway between two printed values."""
    return _tie(decimals)(values).astype(bool)


@functools.lru_cache(maxsize=64)  # made once per places: a ufunc costs more to make than a small array's rounding
def _rounding(decimals: int, rule: str) -> Callable[..., Array]:
    step, how = unit(decimals), ROUNDINGS[rule]
    return _ufunc(lambda d: d.quantize(step, how) + ZERO if d.is_finite() else d)  # + 0: no −0


@functools.lru_cache(maxsize=64)
def _tie(decimals: int) -> Callable[..., Array]:
    half = unit(decimals) / 2
    return _ufunc(lambda d: d.is_finite() and (abs(d) % (2 * half)) == half)


class Ival:
    """Per entry an interval [lo, hi] of Decimals; a point when `lo is hi` (kept so: it computes once).

    Supports what the training steps use: + − × with broadcasting, @, division by a number,
    sums over an axis, transposes and indexing; `monotone` applies an increasing function.
    """

    __slots__ = ("hi", "lo")

    def __init__(self, lo: Array, hi: Array | None = None) -> None:
        self.lo = np.asarray(lo, dtype=object)
        self.hi = self.lo if hi is None else np.asarray(hi, dtype=object)

    @classmethod
    def around(cls, centre: Array, half: Array | Decimal) -> Ival:
        return cls(centre - half, centre + half)

    @property
    def point(self) -> bool:
        return self.lo is self.hi

    @property
    def shape(self) -> tuple[int, ...]:
        return self.lo.shape

    def _map(self, fn: Callable[[Array], Array]) -> Ival:
        return Ival(fn(self.lo)) if self.point else Ival(fn(self.lo), fn(self.hi))

    def __getitem__(self, index: Any) -> Ival:  # noqa: ANN401 - NumPy's indices
        return self._map(lambda a: a[index])

    def reshape(self, *shape: int) -> Ival:
        return self._map(lambda a: a.reshape(*shape))

    @property
    def T(self) -> Ival:  # noqa: N802 - as NumPy's
        return self._map(lambda a: np.swapaxes(a, -1, -2))

    def sum(self, axis: int, keepdims: bool = False) -> Ival:
        return self._map(lambda a: a.sum(axis=axis, keepdims=keepdims))

    def monotone(self, fn: Callable[[Array], Array], increasing: bool = True) -> Ival:
        """fn applied to an interval by its ends (fn increasing, or decreasing)."""
        if self.point:
            return Ival(fn(self.lo))
        lo, hi = fn(self.lo), fn(self.hi)
        return Ival(lo, hi) if increasing else Ival(hi, lo)

    def __neg__(self) -> Ival:
        return Ival(-self.lo) if self.point else Ival(-self.hi, -self.lo)

    def __add__(self, other: Ival | Decimal | int) -> Ival:
        other = _ival(other)
        if self.point and other.point:
            return Ival(self.lo + other.lo)
        return Ival(self.lo + other.lo, self.hi + other.hi)

    __radd__ = __add__

    def __sub__(self, other: Ival | Decimal | int) -> Ival:
        return self + -_ival(other)

    def __rsub__(self, other: Decimal | int) -> Ival:
        return _ival(other) + -self

    def __mul__(self, other: Ival | Decimal | int) -> Ival:
        other = _ival(other)
        if self.point and other.point:
            return Ival(self.lo * other.lo)
        products = [a * b for a in {id(self.lo): self.lo, id(self.hi): self.hi}.values()
                    for b in {id(other.lo): other.lo, id(other.hi): other.hi}.values()]
        return Ival(_fold(np.minimum, products), _fold(np.maximum, products))

    __rmul__ = __mul__

    def __truediv__(self, number: Decimal | int) -> Ival:
        """Division by a positive number (a count of samples or outputs)."""
        return Ival(self.lo / number) if self.point else Ival(self.lo / number, self.hi / number)

    def __matmul__(self, other: Ival) -> Ival:
        if self.point and other.point:
            return Ival(self.lo @ other.lo)
        return (self[..., :, :, None] * other[..., None, :, :]).sum(axis=-2)

    def square(self) -> Ival:
        """x², exactly: 0 is the least value when the interval holds it."""
        if self.point:
            return Ival(self.lo * self.lo)
        a, b = self.lo * self.lo, self.hi * self.hi
        straddles = (self.lo <= 0) & (self.hi >= 0)
        return Ival(np.where(straddles, constant(ZERO), np.minimum(a, b)), np.maximum(a, b))

    def hull(self, other: Ival) -> Ival:
        """The least interval holding both."""
        return Ival(np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi))


def _ival(value: Ival | Decimal | int) -> Ival:
    return value if isinstance(value, Ival) else Ival(np.asarray(Decimal(value), dtype=object))


def _fold(fn: Callable[[Array, Array], Array], arrays: list[Array]) -> Array:
    out = arrays[0]
    for array in arrays[1:]:
        out = fn(out, array)
    return np.asarray(out, dtype=object)


def where(condition: Array, yes: Ival, no: Ival) -> Ival:
    if yes.point and no.point:
        return Ival(np.where(condition, yes.lo, no.lo))
    return Ival(np.where(condition, yes.lo, no.lo), np.where(condition, yes.hi, no.hi))
