"""Loaders for zero-cost-proxy benchmark tables.

Every loader returns a polars DataFrame with one row per architecture: an ``arch`` column (the
architecture key), one float column per metric (null where a value is missing) and
``val_accuracy``. :func:`features_and_targets` splits such a frame into what
:func:`zcfast.evolve` takes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, overload

import numpy as np
import polars as pl

from zcfast.exceptions import InvalidValueError, ShapeError, UnknownNameError

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

_DEMO_FILE = "nb201_digits.csv"
_DEMO_LAYERS_FILE = "nb201_digits_layers.parquet"
# Columns of the CSV extracts that name the same things as this module's columns.
_ALIASES = {"net": ARCH_COLUMN, "val_accs": ACCURACY_COLUMN}


def suite_zero_tasks(path: str | Path) -> list[str]:
    """Task names in a NAS-Bench-Suite-Zero JSON file (e.g. ``cifar10``, ``ImageNet16-120``)."""
    return list(_read_json_tasks(Path(path)))


def load_suite_zero(
    path: str | Path, task: str | None = None, *, accuracy_path: str | Path | None = None
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
        Default: ``nb201_val_accs.csv`` beside ``path`` when that exists.

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
    path = Path(path)
    if not path.exists():
        raise InvalidValueError(f"path: expected an existing file, found no file at {str(path)!r}")
    if path.suffix.lower() == ".json":
        return _load_json(path, task)
    if path.suffix.lower() == ".csv":
        if task is not None:
            raise InvalidValueError(
                f"task: expected None for a CSV file (one task per file), found {task!r}"
            )
        return _load_csv(path, accuracy_path)
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
    path = Path(path)
    readers = {
        ".parquet": pl.read_parquet,
        ".csv": lambda p: pl.read_csv(p, infer_schema_length=None),
        ".arrow": pl.read_ipc,
        ".ipc": pl.read_ipc,
        ".feather": pl.read_ipc,
    }
    if path.suffix.lower() not in readers:
        raise InvalidValueError(f"path: expected a {', '.join(readers)} file, found {path.name!r}")
    if not path.is_file():
        raise InvalidValueError(f"path: expected an existing file, found no file at {str(path)!r}")
    try:
        return readers[path.suffix.lower()](path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InvalidValueError(
            f"path: expected a readable table in {path.name}, found {exc}"
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
    df = df.rename({k: v for k, v in _ALIASES.items() if k in df.columns and v not in df.columns})
    target = ACCURACY_COLUMN if target is None else target
    for col in (ARCH_COLUMN, target):
        if col not in df.columns:
            raise UnknownNameError(
                f"targets: expected columns {ARCH_COLUMN!r} (or 'net') and {target!r},"
                f" found {df.columns}"
            )
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
    if target not in df.columns:
        raise UnknownNameError(
            f"target: expected one of the columns {df.columns}, found {target!r}"
        )
    if features is None:
        features = [c for c, dt in zip(df.columns, df.dtypes) if c != target and dt.is_numeric()]
    else:
        unknown = [f for f in features if f not in df.columns]
        if unknown:
            raise UnknownNameError(
                f"features: expected columns of the table {df.columns}, found unknown {unknown}"
            )
    if not features:
        raise ShapeError("features: expected at least one numeric metric column, found none")
    return df.select(list(features)), df.get_column(target)


@overload
def replace_missing(data: pl.DataFrame, sentinel: float = ...) -> pl.DataFrame: ...
@overload
def replace_missing(data: np.ndarray, sentinel: float = ...) -> np.ndarray: ...


def replace_missing(data: pl.DataFrame | np.ndarray, sentinel: float = SENTINEL) -> Any:
    """Replaces null, NaN and -inf with ``-sentinel`` and +inf with ``+sentinel``.

    This is the NAS-Bench-Suite-Zero convention (a proxy that fails scores -1e8), made
    order-preserving for +inf. Applies to float columns of a DataFrame, or to a float array;
    returns a new object and leaves the input untouched.

    Example
    -------
    >>> replace_missing(np.array([1.0, np.nan, -np.inf, np.inf]))
    array([ 1.e+00, -1.e+08, -1.e+08,  1.e+08])
    """
    if isinstance(data, pl.DataFrame):
        return data.with_columns(
            pl.when(pl.col(c).is_null() | pl.col(c).is_nan() | (pl.col(c) == -np.inf))
            .then(-sentinel)
            .when(pl.col(c) == np.inf)
            .then(sentinel)
            .otherwise(pl.col(c))
            .alias(c)
            for c, dt in zip(data.columns, data.dtypes)
            if dt.is_float()
        )
    arr = np.array(data, dtype=np.float64, copy=True)
    arr[np.isnan(arr) | (arr == -np.inf)] = -sentinel
    arr[arr == np.inf] = sentinel
    return arr


def _read_json_tasks(path: Path) -> dict[str, dict[str, dict[str, object]]]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InvalidValueError(
            f"path: expected JSON in {path.name}, found invalid JSON ({exc})"
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
    return data


def _load_json(path: Path, task: str | None) -> pl.DataFrame:
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
    proxies: dict[str, None] = {}
    for record in rows.values():
        for k, v in record.items():
            if k != ACCURACY_COLUMN and (isinstance(v, dict) or isinstance(v, (int, float))):
                if k not in ("idx",):
                    proxies.setdefault(k, None)
    columns: dict[str, list[object]] = {ARCH_COLUMN: []}
    for p in proxies:
        columns[p] = []
    columns[ACCURACY_COLUMN] = []
    for arch, record in rows.items():
        columns[ARCH_COLUMN].append(arch)
        for p in proxies:
            v = record.get(p)
            if isinstance(v, dict):
                v = v.get("score")
            columns[p].append(None if v is None else float(v))  # type: ignore[arg-type]
        acc = record.get(ACCURACY_COLUMN)
        columns[ACCURACY_COLUMN].append(None if acc is None else float(acc))  # type: ignore[arg-type]
    schema = {
        ARCH_COLUMN: pl.String,
        **{p: pl.Float64 for p in proxies},
        ACCURACY_COLUMN: pl.Float64,
    }
    return _normalise(pl.DataFrame(columns, schema=schema), source=f"{path.name}:{task}")


def _load_csv(path: Path, accuracy_path: str | Path | None) -> pl.DataFrame:
    df = pl.read_csv(path, infer_schema_length=None)
    df = df.rename({k: v for k, v in _ALIASES.items() if k in df.columns})
    if ACCURACY_COLUMN not in df.columns:
        acc_path = Path(accuracy_path) if accuracy_path else path.with_name("nb201_val_accs.csv")
        if not acc_path.exists():
            raise InvalidValueError(
                f"accuracy_path: {path.name} has no accuracy column ('val_accs' or"
                f" '{ACCURACY_COLUMN}'), so expected a CSV of accuracies, found no file at"
                f" {str(acc_path)!r}"
            )
        acc = pl.read_csv(acc_path, infer_schema_length=None)
        acc = acc.rename({k: v for k, v in _ALIASES.items() if k in acc.columns})
        if ARCH_COLUMN not in acc.columns or ACCURACY_COLUMN not in acc.columns:
            raise InvalidValueError(
                f"accuracy_path: expected columns 'net' and 'val_accs' in {acc_path.name},"
                f" found {acc.columns}"
            )
        df = df.join(acc.select(ARCH_COLUMN, ACCURACY_COLUMN), on=ARCH_COLUMN, how="left")
    elif accuracy_path is not None:
        raise InvalidValueError(
            f"accuracy_path: expected None, since {path.name} has its own accuracy column,"
            f" found {str(accuracy_path)!r}"
        )
    return _normalise(df, source=path.name)


def _normalise(df: pl.DataFrame, source: str) -> pl.DataFrame:
    """Puts ``arch`` first and ``val_accuracy`` last, metrics as Float64 in between."""
    if ACCURACY_COLUMN not in df.columns:
        raise InvalidValueError(
            f"{source}: expected a '{ACCURACY_COLUMN}' column, found {df.columns}"
        )
    metric_cols = [
        c
        for c, dt in zip(df.columns, df.dtypes)
        if c not in (ARCH_COLUMN, ACCURACY_COLUMN) and dt.is_numeric()
    ]
    text_cols = [
        c
        for c, dt in zip(df.columns, df.dtypes)
        if c not in (ARCH_COLUMN, ACCURACY_COLUMN) and not dt.is_numeric()
    ]
    front = [ARCH_COLUMN] if ARCH_COLUMN in df.columns else []
    return df.select(
        *front,
        *text_cols,
        *[pl.col(c).cast(pl.Float64) for c in metric_cols],
        pl.col(ACCURACY_COLUMN).cast(pl.Float64),
    )
