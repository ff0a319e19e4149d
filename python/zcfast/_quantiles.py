"""Quantile columns: each column's quantile among the training architectures, as a further
input of the evolved formulas.

With the ``quantile_columns`` setting (the default), the members of an ensemble evolve over
each column ``c`` and over ``q_c``, the quantile of the architecture's ``c`` among the
training architectures' values: a uniform scale on which sums and products of proxies are
balanced whatever each proxy's range, and which bounds what an architecture far outside the
training range can do to a formula (it reaches a quantile of at most 1). The ensemble keeps the
training values of every quantile column it reads and computes ``q_c`` from ``c`` wherever it
is evaluated, so it still takes the plain proxy columns.

The quantile is the mid-rank empirical distribution of the reference values, linearly
interpolated between them (new architectures between two reference values keep their order),
and squashed beyond the range: below the smallest reference value it falls towards 0 and
above the largest towards 1 as ``tanh`` of the distance in units of the reference range. The
missing-value marker (±1e8) and NaN pass through unchanged, so the degenerate-architecture
rule applies to ``q_c`` exactly as to ``c``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from zcfast._messages import describe_value
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ShapeError

__all__ = ["MISSING", "QuantileColumn", "column_quantiles", "quantile_knots", "quantile_names"]

#: The missing-value marker (in either sign), which quantile columns keep.
MISSING = 1e8


def column_quantiles(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Quantiles of ``values`` among the sorted ``reference`` values (see the module).

    Written as plain elementwise arithmetic (no ``np.interp``) so that the PyTorch export
    repeats it operation for operation.

    Example
    -------
    >>> column_quantiles(np.array([1.0, 1.5, 3.0, 1e8]), np.array([1.0, 2.0, 3.0]))
    array([1.66666667e-01, 3.33333333e-01, 8.33333333e-01, 1.00000000e+08])
    """
    values = np.asarray(values, dtype=np.float64)
    knots, levels, span = quantile_knots(np.asarray(reference, dtype=np.float64))
    last = len(knots) - 1
    with np.errstate(all="ignore"):
        j = np.clip(np.searchsorted(knots, values, side="right") - 1, 0, max(last - 1, 0))
        if last == 0:
            q = np.full(values.shape, levels[0])
        else:
            k0, k1, l0, l1 = knots[j], knots[j + 1], levels[j], levels[j + 1]
            q = l0 + (values - k0) / (k1 - k0) * (l1 - l0)
        low = levels[0] * (1.0 - np.tanh((knots[0] - values) / span))
        high = levels[last] + (1.0 - levels[last]) * np.tanh((values - knots[last]) / span)
    q = np.where(values < knots[0], low, q)
    q = np.where(values > knots[last], high, q)
    keep = np.isnan(values) | (np.abs(values) == MISSING)
    return np.where(keep, values, q)


def quantile_knots(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The distinct sorted reference values, their mid-rank quantiles, and the span that
    scales distances beyond the range."""
    m = len(reference)
    knots, counts = np.unique(reference, return_counts=True)
    below = np.concatenate([[0], np.cumsum(counts)[:-1]])
    levels = (below + counts / 2.0) / m
    span = float(knots[-1] - knots[0]) or 1.0
    return knots, levels, span


@dataclass(frozen=True)
class QuantileColumn:
    """A quantile column: its name in the formulas, the column it is computed from, and that
    column's sorted values on the reference (training) architectures."""

    name: str
    column: str
    reference: tuple[float, ...]

    def __post_init__(self) -> None:
        for field_name in ("name", "column"):
            value = getattr(self, field_name)
            if not isinstance(value, str) or not value:
                raise ArgumentTypeError(
                    f"quantile column {field_name}: expected a non-empty str, found"
                    f" {describe_value(value)}"
                )
        ref = self.reference
        what = (
            f"quantile column {self.name!r}: expected a non-empty sorted sequence of finite values"
        )
        if isinstance(ref, (str, bytes)) or not isinstance(ref, (list, tuple, np.ndarray)):
            raise ArgumentTypeError(f"{what}, found {describe_value(ref)}")
        try:
            r = np.asarray(ref, dtype=np.float64)
        except (TypeError, ValueError):
            raise ArgumentTypeError(f"{what}, found {describe_value(ref)}") from None
        if r.ndim != 1 or len(r) == 0:
            raise ShapeError(f"{what}, found {r.ndim} dimension(s) and {r.size} values")
        if not np.isfinite(r).all() or (np.abs(r) == MISSING).any():
            raise InvalidValueError(f"{what}, found a non-finite value or the ±1e8 marker")
        if (np.diff(r) < 0).any():
            raise InvalidValueError(f"{what}, found them unsorted")
        object.__setattr__(self, "reference", tuple(float(v) for v in r))

    @property
    def reference_array(self) -> np.ndarray:
        """The reference values as a float64 array."""
        return np.asarray(self.reference, dtype=np.float64)

    def of(self, values: np.ndarray) -> np.ndarray:
        """This column's quantiles for the values of :attr:`column`."""
        return column_quantiles(values, np.asarray(self.reference))

    @classmethod
    def fit(cls, name: str, column: str, values: np.ndarray) -> QuantileColumn | None:
        """The quantile column of ``values`` (the training architectures' values of
        ``column``; markers and non-finite values left out); None if none is left."""
        v = np.asarray(values, dtype=np.float64)
        v = np.sort(v[np.isfinite(v) & (np.abs(v) != MISSING)])
        if len(v) == 0:
            return None
        return cls(name, column, tuple(float(x) for x in v))

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "column": self.column, "reference": list(self.reference)}

    @classmethod
    def from_dict(cls, data: object) -> QuantileColumn:
        if not isinstance(data, dict) or not {"name", "column", "reference"} <= set(data):
            raise InvalidValueError(
                "quantile_columns: expected entries with 'name', 'column' and 'reference',"
                f" found {describe_value(data)}"
            )
        return cls(data["name"], data["column"], data["reference"])


def quantile_names(names: Sequence[str]) -> list[str]:
    """The name of each column's quantile column: ``q_<name>``, or with a longer prefix where
    that name is already a column.

    Example
    -------
    >>> quantile_names(["nwot", "synflow"])
    ['q_nwot', 'q_synflow']
    >>> quantile_names(["nwot", "q_nwot"])
    ['quantile_nwot', 'quantile_q_nwot']
    """
    taken = set(names)
    for prefix in ("q_", "quantile_", "column_quantile_"):
        out = [prefix + n for n in names]
        if not taken & set(out) and len(set(out)) == len(out):
            return out
    k = 0
    while True:
        out = [f"q{k}_{n}" for n in names]
        if not taken & set(out):
            return out
        k += 1
