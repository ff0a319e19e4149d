"""Turning user input into the float64 arrays the core takes, with clear errors.

Cheap checks happen here so the message can name columns; the core checks its invariants
again. Nothing the caller passed in is modified: every array handed on is a fresh copy or a
read-only view.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zcfast._formula import check_names
from zcfast._messages import describe_value
from zcfast._params import fail
from zcfast.exceptions import ArgumentTypeError, ShapeError, UnknownNameError

MIN_ROWS = 3


def _is_polars(x: object) -> bool:
    return type(x).__module__.startswith("polars") and type(x).__name__ in (
        "DataFrame",
        "LazyFrame",
    )


def _is_pandas(x: object) -> bool:
    return type(x).__module__.startswith("pandas") and hasattr(x, "columns")


def is_dataframe(x: object) -> bool:
    return _is_polars(x) or _is_pandas(x)


def is_two_dimensional(x: object) -> bool:
    """True for DataFrames and anything NumPy sees as 2-D (used to tell one task from many)."""
    if is_dataframe(x):
        return True
    try:
        return bool(np.ndim(x) == 2)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False


def describe_shape(arr: np.ndarray) -> str:
    return f"a {arr.ndim}-D array of shape {arr.shape}"


def require_columns(
    arg: str, wanted: Sequence[str], available: Iterable[Any], user: str = "the expression uses"
) -> None:
    """The :class:`UnknownNameError` naming ``arg`` unless every column of ``wanted`` is among
    ``available`` (what every table a proxy or expression reads is checked with)."""
    available = list(available)
    missing = [w for w in wanted if w not in available]
    if missing:
        found = f"no column named {missing} among {describe_value(available[:20], 200)}"
        raise fail(arg, f"the columns {list(wanted)} {user}", found, UnknownNameError)


def check_width(arg: str, values: np.ndarray, names: Sequence[str]) -> None:
    """The :class:`ShapeError` naming ``arg`` unless ``values`` has one column per name."""
    if values.shape[1] != len(names):
        expected = f"{len(names)} columns ({', '.join(names)})"
        raise fail(arg, expected, str(values.shape[1]), ShapeError)


def _numeric(arr: np.ndarray, arg: str, hint: str = "") -> None:
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise fail(arg, "numeric values", f"dtype {arr.dtype}{hint}", ArgumentTypeError)


def _float_or_nan(v: object) -> float:
    if v is None:
        return math.nan
    try:
        return float(v)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond float's range
        return math.inf if v > 0 else -math.inf  # type: ignore[operator]


def as_array(x: object) -> np.ndarray:
    """``np.asarray(x)``, except that masked entries of a masked array become NaN and an
    object array of plain numbers (ints too large for int64, ``None`` for missing) becomes
    float64; anything NumPy cannot convert raises ``ValueError``/``TypeError`` as it does."""
    if isinstance(x, np.ma.MaskedArray):
        if x.dtype.kind in "biuf":
            return np.ma.filled(x.astype(np.float64), np.nan)
        return np.asarray(x)
    arr = np.asarray(x)
    if arr.dtype == object and arr.ndim and arr.size and all(map(_is_plain_number, arr.flat)):
        out = np.fromiter((_float_or_nan(v) for v in arr.flat), np.float64, arr.size)
        return out.reshape(arr.shape)
    return arr


def _is_plain_number(v: object) -> bool:
    if v is None:
        return True
    return not isinstance(v, (bool, np.bool_)) and isinstance(
        v, (int, float, np.integer, np.floating)
    )


@dataclass(frozen=True)
class Table:
    """A validated feature matrix: float64 values (rows x columns) and column names."""

    values: np.ndarray
    names: tuple[str, ...]


def as_table(
    matrix: object,
    feature_names: Sequence[str] | None,
    arg: str = "matrix",
    min_rows: int = MIN_ROWS,
) -> Table:
    """Converts a NumPy array, polars/pandas DataFrame or sequence of rows to a :class:`Table`.

    NaN and inf are allowed here (the missing-value policy deals with them); everything else
    that is wrong raises a zcfast exception naming ``arg``.
    """
    if is_dataframe(matrix):
        values, names = _frame_values(matrix, arg)
        if feature_names is not None:
            names = _check_names(feature_names, len(names), arg)
        else:
            names = _check_names(names, len(names), arg, what=f"{arg}: column names")
    else:
        try:
            arr = as_array(matrix)
        except (ValueError, TypeError) as exc:
            expected = "a 2-D array-like of numbers (n_archs, n_metrics)"
            found = f"{type(matrix).__name__} that NumPy cannot convert ({exc})"
            raise fail(arg, expected, found, ShapeError) from None
        if arr.dtype == object or arr.dtype.kind in "USV":
            _numeric(arr, arg, " (non-numeric entries; pass a DataFrame to see which column)")
        if arr.ndim != 2:
            expected = "a 2-D array (n_archs, n_metrics)"
            raise fail(arg, expected, describe_shape(arr), ShapeError)
        _numeric(arr, arg)
        values = arr.astype(np.float64, copy=True)
        names = (
            _check_names(feature_names, values.shape[1], arg)
            if feature_names is not None
            else tuple(f"x{i}" for i in range(values.shape[1]))
        )
    if values.shape[0] == 0 or values.shape[1] == 0:
        expected = f"at least {min_rows} row(s) and 1 column"
        raise fail(arg, expected, f"shape {values.shape}", ShapeError)
    if values.shape[0] < min_rows:
        expected = f"at least {min_rows} rows (architectures)"
        raise fail(arg, expected, str(values.shape[0]), ShapeError)
    values.setflags(write=False)
    return Table(values=values, names=names)


def _frame_values(
    frame: Any, arg: str, wanted: Sequence[str] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Columns by position (labels may repeat or be non-strings), stacked as float64; only
    the columns named ``wanted``, in that order, when given."""
    if type(frame).__name__ == "LazyFrame":
        frame = frame.collect()
    labels = [label_name(label) for label in frame.columns]
    positions = list(range(len(labels))) if wanted is None else _positions(labels, wanted, arg)
    names = tuple(labels[j] for j in positions)
    if _is_polars(frame):
        columns = [frame.to_series(j) for j in positions]
    else:
        columns = [frame.iloc[:, j] for j in positions]
    stacked = [_numeric_column(col, name, arg) for col, name in zip(columns, names)]
    values = np.column_stack(stacked) if stacked else np.empty((len(frame), 0))
    return values, names


def _positions(labels: list[str], wanted: Sequence[str], arg: str) -> list[int]:
    require_columns(arg, wanted, labels)
    repeated = [n for n in wanted if labels.count(n) > 1]
    if repeated:
        raise fail(arg, "one column per name", f"several named {repeated}")
    return [labels.index(n) for n in wanted]


def frame_columns(frame: object, names: Sequence[str], arg: str = "matrix") -> Table:
    """The columns ``names`` of a DataFrame (others are ignored), as a :class:`Table`."""
    values, found = _frame_values(frame, arg, wanted=names)
    values.setflags(write=False)
    return Table(values=values, names=found)


def label_name(label: object) -> str:
    # A pandas MultiIndex gives tuples; their levels joined read better than a tuple's repr.
    if isinstance(label, tuple):
        return ".".join(str(part) for part in label)
    return str(label)


def _numeric_column(col: Any, name: str, arg: str) -> np.ndarray:
    if type(col).__module__.startswith("polars"):
        import polars as pl

        if not (col.dtype.is_numeric() or col.dtype == pl.Boolean):
            found = f"column {name!r} of type {col.dtype}"
            raise fail(arg, "numeric columns", found, ArgumentTypeError)
        return col.cast(pl.Float64).to_numpy().astype(np.float64, copy=True)
    arr = np.asarray(col)
    if arr.dtype.kind == "c" or "complex" in str(getattr(col, "dtype", "")):
        found = f"column {name!r} of type {col.dtype}"
        raise fail(arg, "real numeric columns", found, ArgumentTypeError)
    if arr.dtype.kind not in "biuf":
        try:
            import pandas as pd

            if pd.api.types.is_numeric_dtype(col.dtype):
                return np.asarray(col.astype("float64").to_numpy(na_value=np.nan), dtype=np.float64)
        except ImportError:  # pragma: no cover - pandas input implies pandas
            pass
        found = f"column {name!r} of type {arr.dtype}"
        raise fail(arg, "numeric columns", found, ArgumentTypeError)
    return arr.astype(np.float64, copy=True)


def _check_names(
    names: object, n_cols: int, arg: str, what: str = "feature_names"
) -> tuple[str, ...]:
    out = check_names(names, what)
    if len(out) != n_cols:
        expected = f"{n_cols} names (one per column of {arg})"
        raise fail(what, expected, str(len(out)), ShapeError)
    return out


def as_targets(targets: object, n_rows: int, arg: str = "targets") -> np.ndarray:
    """A fresh float64 vector of ``n_rows`` finite, non-constant values."""
    if is_dataframe(targets):
        raise fail(arg, "a 1-D sequence of accuracies", "a DataFrame", ShapeError)
    arr = _vector(targets, arg)
    if arr.ndim != 1:
        expected = f"a 1-D array of length {n_rows}"
        raise fail(arg, expected, describe_shape(arr), ShapeError)
    if arr.shape[0] != n_rows:
        expected = f"one value per matrix row ({n_rows})"
        raise fail(arg, expected, f"{arr.shape[0]} values", ShapeError)
    out = arr.astype(np.float64, copy=True)
    bad = ~np.isfinite(out)
    if bad.any():
        i = int(np.argmax(bad))
        found = f"{out[i]} at position {i} ({int(bad.sum())} non-finite in total)"
        raise fail(arg, "finite values", found)
    if np.all(out == out[0]):
        found = f"every value equal to {out[0]}"
        raise fail(arg, "values that are not all equal", found)
    out.setflags(write=False)
    return out


def as_vector(x: object, arg: str) -> np.ndarray:
    """A float64 1-D view or copy of ``x`` for the correlation functions (no other checks)."""
    arr = x if type(x) is np.ndarray else _vector(x, arg)
    if arr.dtype != np.float64:
        _numeric(arr, arg)
        arr = arr.astype(np.float64)
    if arr.ndim != 1:
        raise fail(arg, "a 1-D array", describe_shape(arr), ShapeError)
    return arr


def _vector(x: object, arg: str) -> np.ndarray:
    """``x`` as a numeric array (of any shape) for a 1-D sequence of numbers ``arg``."""
    try:
        arr = as_array(x)
    except (ValueError, TypeError):
        found = f"{type(x).__name__} that NumPy cannot convert"
        raise fail(arg, "a 1-D sequence of numbers", found, ShapeError) from None
    _numeric(arr, arg)
    return arr
