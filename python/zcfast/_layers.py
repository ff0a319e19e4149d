"""``zcfast.LayerTable``: per-layer metric values grouped into architectures.

A layer table is the Arrow list layout: ``values`` (one row per layer, one column per
primitive) and ``offsets`` (``n_archs + 1`` row positions), so that architecture ``a`` owns
rows ``offsets[a]:offsets[a + 1]``. It is what :func:`zcfast.evolve_layerwise` evolves over
and what layer-wise expressions evaluate; it can be built from a long table (one row per
layer and an architecture column, as :func:`zcfast.metrics.layer_primitives_many` returns),
from an Arrow table or a table of list columns, or from the two arrays.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from zcfast._formula import check_names
from zcfast._messages import describe_value
from zcfast._validate import as_array, as_table, describe_shape
from zcfast.exceptions import (
    ArgumentTypeError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
)

__all__ = ["LayerTable", "as_layer_table", "layer_targets"]

#: Column of a long table that names each row's architecture, unless told otherwise.
ARCH_COLUMN = "arch"


@dataclass(frozen=True)
class LayerTable:
    """Per-layer values of many architectures (read-only arrays).

    Attributes
    ----------
    values : numpy.ndarray
        ``(n_layers, n_features)`` float64, the rows of all architectures one after another.
    offsets : numpy.ndarray
        ``(n_archs + 1,)`` int64: architecture ``a`` owns ``values[offsets[a]:offsets[a+1]]``.
    names : tuple of str
        Feature (column) names.
    archs : tuple
        Architecture keys, in table order: the order of every per-architecture result.

    Example
    -------
    >>> t = LayerTable.from_arrays(np.ones((5, 2)), [0, 2, 5], names=["a", "b"])
    >>> t.n_archs, t.n_layers
    (2, 5)
    """

    values: np.ndarray
    offsets: np.ndarray
    names: tuple[str, ...]
    archs: tuple[Any, ...]

    def __post_init__(self) -> None:
        # The fields are what every layer-wise evaluation trusts: check that they agree (the
        # from_* constructors build them checked; this catches a table built by hand).
        values, offsets = self.values, self.offsets
        if not isinstance(values, np.ndarray) or values.ndim != 2 or values.dtype != np.float64:
            raise ArgumentTypeError(
                "values: expected a 2-D float64 array (use LayerTable.from_arrays for other"
                f" input), found {describe_value(values)}"
            )
        if (
            not isinstance(offsets, np.ndarray)
            or offsets.ndim != 1
            or offsets.dtype.kind not in "iu"
            or len(offsets) == 0
        ):
            raise ArgumentTypeError(
                "offsets: expected a 1-D integer array of n_archs + 1 row positions (use"
                f" LayerTable.from_arrays for other input), found {describe_value(offsets)}"
            )
        if offsets[0] != 0 or offsets[-1] != values.shape[0] or (np.diff(offsets) <= 0).any():
            raise InvalidValueError(
                f"offsets: expected strictly increasing offsets from 0 to the number of rows"
                f" ({values.shape[0]}), found {describe_value(offsets.tolist())}"
            )
        names = check_names(self.names)
        if len(names) != values.shape[1]:
            raise ShapeError(
                f"names: expected one per column of values ({values.shape[1]}), found {len(names)}"
            )
        object.__setattr__(self, "names", names)
        if isinstance(self.archs, (str, bytes)) or not isinstance(self.archs, Sequence):
            raise ArgumentTypeError(
                "archs: expected a sequence of architecture keys, found"
                f" {describe_value(self.archs)}"
            )
        if len(self.archs) != len(offsets) - 1:
            raise ShapeError(
                f"archs: expected one key per architecture ({len(offsets) - 1}),"
                f" found {len(self.archs)}"
            )
        object.__setattr__(self, "archs", tuple(self.archs))

    def __reduce__(self) -> tuple[Any, ...]:
        # Unpickling goes through __init__, so a tampered pickle is validated like any input.
        return (LayerTable, (self.values, self.offsets, self.names, self.archs))

    @property
    def n_archs(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_layers(self) -> int:
        return int(self.values.shape[0])

    def layer_counts(self) -> np.ndarray:
        """Number of layers of each architecture."""
        return np.diff(self.offsets)

    @classmethod
    def from_arrays(
        cls,
        values: object,
        offsets: object,
        *,
        names: Sequence[str] | None = None,
        archs: Sequence[Any] | None = None,
    ) -> LayerTable:
        """A table from a ``(n_layers, n_features)`` array and ``n_archs + 1`` offsets.

        ``names`` default to ``x0, x1, ...``, ``archs`` to ``0 .. n_archs - 1``. NaN and inf
        are kept (the ``missing`` policy of :func:`zcfast.evolve_layerwise` deals with them).
        """
        table = as_table(values, names, "values", min_rows=1)
        off = _offsets(offsets, table.values.shape[0])
        n_archs = len(off) - 1
        keys = tuple(range(n_archs)) if archs is None else tuple(archs)
        if len(keys) != n_archs:
            raise ShapeError(
                f"archs: expected one key per architecture ({n_archs}), found {len(keys)}"
            )
        _check_unique_archs(keys)
        off.setflags(write=False)
        return cls(values=table.values, offsets=off, names=table.names, archs=keys)

    @classmethod
    def from_frame(
        cls,
        frame: object,
        arch_column: str = ARCH_COLUMN,
        features: Sequence[str] | None = None,
    ) -> LayerTable:
        """A table from a long DataFrame: one row per layer, ``arch_column`` naming the
        architecture, each architecture's rows together (in any order of architectures).

        Accepts polars (eager or lazy) and pandas DataFrames, Arrow tables, and tables with
        one row per architecture whose feature columns are lists (they are exploded).
        ``features`` default to every numeric column other than ``arch_column``.
        """
        df = _to_polars(frame)
        if not isinstance(arch_column, str):
            raise ArgumentTypeError(
                f"arch_column: expected a column name (str), found {arch_column!r}"
            )
        if arch_column not in df.columns:
            raise UnknownNameError(
                f"arch_column: expected one of the table's columns {df.columns},"
                f" found {arch_column!r}"
            )
        df = _explode_lists(df, arch_column)
        names = _feature_columns(df, arch_column, features)
        archs, offsets = _group(df.get_column(arch_column))
        table = as_table(df.select(names), None, "layers", min_rows=1)
        offsets.setflags(write=False)
        return cls(values=table.values, offsets=offsets, names=table.names, archs=archs)

    def select(self, features: Sequence[str]) -> LayerTable:
        """The table restricted to the named feature columns, in that order."""
        features = list(check_names(features, "features"))
        unknown = [f for f in features if f not in self.names]
        if unknown:
            raise UnknownNameError(
                f"layers: expected columns {list(features)} used by the expression, found no"
                f" column named {unknown} among {list(self.names)}"
            )
        cols = [self.names.index(f) for f in features]
        values = np.ascontiguousarray(self.values[:, cols])
        values.setflags(write=False)
        return LayerTable(
            values=values, offsets=self.offsets, names=tuple(features), archs=self.archs
        )

    def select_archs(self, keep: np.ndarray) -> LayerTable:
        """The table restricted to the architectures where the boolean ``keep`` is True."""
        keep = np.asarray(keep)
        if keep.dtype != np.bool_ or keep.shape != (self.n_archs,):
            raise ShapeError(
                f"keep: expected a boolean mask with one entry per architecture"
                f" ({self.n_archs}), found {describe_shape(keep)} of dtype {keep.dtype}"
            )
        counts = self.layer_counts()[keep]
        rows = np.concatenate(
            [np.arange(self.offsets[a], self.offsets[a + 1]) for a in np.flatnonzero(keep)]
            or [np.zeros(0, dtype=np.int64)]
        )
        values = np.ascontiguousarray(self.values[rows])
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        values.setflags(write=False)
        offsets.setflags(write=False)
        archs = tuple(a for a, k in zip(self.archs, keep) if k)
        return LayerTable(values=values, offsets=offsets, names=self.names, archs=archs)

    def to_frame(self, arch_column: str = ARCH_COLUMN) -> pl.DataFrame:
        """The long form: ``arch_column`` then one column per feature, one row per layer."""
        keys = np.repeat(np.arange(self.n_archs), self.layer_counts())
        arch = pl.Series(arch_column, [self.archs[i] for i in keys])
        return pl.DataFrame(
            [arch, *(pl.Series(n, self.values[:, j]) for j, n in enumerate(self.names))]
        )


def as_layer_table(
    layers: object, arch_column: str = ARCH_COLUMN, features: Sequence[str] | None = None
) -> LayerTable:
    """Any accepted layer input as a :class:`LayerTable` (see :func:`zcfast.evolve_layerwise`)."""
    if isinstance(layers, LayerTable):
        return layers if features is None else layers.select(list(features))
    if isinstance(layers, tuple) and len(layers) == 2 and not _is_frame(layers):
        table = LayerTable.from_arrays(layers[0], layers[1])
        return table if features is None else table.select(list(features))
    if _is_frame(layers):
        return LayerTable.from_frame(layers, arch_column, features)
    raise ArgumentTypeError(
        "layers: expected a long table (polars/pandas DataFrame or Arrow table with an"
        f" {arch_column!r} column), a zcfast.LayerTable or a (values, offsets) pair of arrays,"
        f" found {type(layers).__name__}"
    )


def layer_targets(targets: object, table: LayerTable, arg: str = "targets") -> np.ndarray:
    """Targets in the table's architecture order: from an array in that order, or a mapping
    ``arch -> accuracy`` that must name every architecture of the table."""
    if isinstance(targets, Mapping):
        missing = [a for a in table.archs if a not in targets]
        if missing:
            shown = ", ".join(repr(a) for a in missing[:5])
            raise UnknownNameError(
                f"{arg}: expected an accuracy for every architecture of the table, found none"
                f" for {len(missing)} of them ({shown}{', ...' if len(missing) > 5 else ''})"
            )
        values = [targets[a] for a in table.archs]
        for a, v in zip(table.archs, values):
            if isinstance(v, (bool, np.bool_)) or not isinstance(
                v, (int, float, np.integer, np.floating)
            ):
                raise ArgumentTypeError(
                    f"{arg}: expected a number as the accuracy of every architecture, found"
                    f" {describe_value(v)} for {describe_value(a)}"
                )
        return as_array(values).astype(np.float64)
    return targets  # type: ignore[return-value]  # an array-like, checked by as_targets


# -- helpers ----------------------------------------------------------------------------------


def _is_frame(x: object) -> bool:
    if isinstance(x, (pl.DataFrame, pl.LazyFrame)):
        return True
    module = type(x).__module__
    return module.startswith(("pandas", "pyarrow")) and hasattr(x, "columns")


def _to_polars(frame: object) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame
    module = type(frame).__module__
    if module.startswith("pyarrow"):
        out = pl.from_arrow(frame)
        if isinstance(out, pl.DataFrame):
            return out
    if module.startswith("pandas"):
        columns = list(frame.columns)  # type: ignore[attr-defined]
        if len(set(map(str, columns))) != len(columns):
            raise InvalidValueError(f"layers: expected unique column names, found {columns}")
        return pl.from_pandas(frame)
    raise ArgumentTypeError(
        f"layers: expected a DataFrame or Arrow table, found {type(frame).__name__}"
    )


def _explode_lists(df: pl.DataFrame, arch_column: str) -> pl.DataFrame:
    if isinstance(df.schema[arch_column], pl.List | pl.Array):
        raise ArgumentTypeError(
            f"{arch_column}: expected one architecture key per row, found a column of"
            f" {df.schema[arch_column]}"
        )
    lists = [c for c, dt in zip(df.columns, df.dtypes) if isinstance(dt, pl.List | pl.Array)]
    if not lists:
        return df
    lengths = df.select(pl.col(c).list.len() for c in lists)
    short = lengths.select(pl.min_horizontal(pl.all().fill_null(0))).to_series()
    if (short == 0).any():
        row = int(np.argmax((short == 0).to_numpy()))
        raise ShapeError(
            f"layers: expected at least one layer in every list of list columns {lists},"
            f" found an empty or null list for architecture {df[arch_column][row]!r}"
        )
    if lengths.width > 1 and not all(
        lengths[c].equals(lengths[lists[0]], check_names=False) for c in lists[1:]
    ):
        raise ShapeError(
            f"layers: expected list columns {lists} of equal length in every row (one entry per"
            " layer), found rows where they differ"
        )
    return df.select(arch_column, *lists).explode(lists)


def _feature_columns(
    df: pl.DataFrame, arch_column: str, features: Sequence[str] | None
) -> list[str]:
    if features is None:
        names = [c for c, dt in zip(df.columns, df.dtypes) if c != arch_column and dt.is_numeric()]
        if not names:
            raise ShapeError(
                f"layers: expected at least one numeric column besides {arch_column!r},"
                f" found columns {df.columns}"
            )
        return names
    features = list(check_names(features, "features"))
    if not features:
        raise ShapeError("features: expected at least one column name, found an empty list")
    if arch_column in features:
        raise InvalidValueError(
            f"features: expected columns other than arch_column ({arch_column!r}), found it"
            " among them"
        )
    unknown = [f for f in features if f not in df.columns]
    if unknown:
        raise UnknownNameError(
            f"features: expected columns of the table {df.columns}, found unknown {unknown}"
        )
    return list(features)


def _group(arch: pl.Series) -> tuple[tuple[Any, ...], np.ndarray]:
    """Architecture keys in order of appearance and the offsets of their runs of rows."""
    if arch.null_count():
        raise InvalidValueError(
            f"{arch.name}: expected an architecture key on every row, found"
            f" {arch.null_count()} nulls"
        )
    n = arch.len()
    if n == 0:
        raise ShapeError("layers: expected at least one row, found an empty table")
    starts = np.flatnonzero(
        np.concatenate([[True], (arch.slice(1) != arch.slice(0, n - 1)).to_numpy()])
    )
    keys = tuple(arch.gather(starts).to_list())
    _check_unique_archs(keys, arch.name)
    return keys, np.append(starts, n).astype(np.int64)


def _check_unique_archs(keys: tuple[Any, ...], arg: str = "archs") -> None:
    try:
        distinct = len(set(keys))
    except TypeError:
        bad = next(k for k in keys if not isinstance(k, Hashable) or _unhashable(k))
        raise ArgumentTypeError(
            f"{arg}: expected hashable architecture keys (str, int, tuple, ...), found"
            f" {describe_value(bad)} of type {type(bad).__name__}"
        ) from None
    if distinct == len(keys):
        return
    seen: set[Any] = set()
    repeated = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    raise InvalidValueError(
        f"{arg}: expected each architecture's rows to be contiguous (one group per"
        f" architecture), found {repeated!r} in more than one group; sort the table by"
        f" {arg!r} first"
    )


def _unhashable(key: object) -> bool:
    try:
        hash(key)
    except TypeError:
        return True
    return False


def _offsets(offsets: object, n_rows: int) -> np.ndarray:
    try:
        arr = np.asarray(offsets)
    except (TypeError, ValueError):
        raise ArgumentTypeError(
            f"offsets: expected a 1-D array of integers, found {type(offsets).__name__}"
        ) from None
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise ArgumentTypeError(
            f"offsets: expected a 1-D array of integers, found {describe_shape(arr)} of dtype"
            f" {arr.dtype}"
        )
    if len(arr) < 2:
        raise ShapeError(f"offsets: expected n_archs + 1 >= 2 values, found {len(arr)}")
    if arr.dtype == np.uint64 and arr.max() > np.iinfo(np.int64).max:
        raise ShapeError(
            f"offsets: expected a last offset equal to the number of rows ({n_rows}),"
            f" found offsets up to {describe_value(int(arr.max()))}"
        )
    off = arr.astype(np.int64)
    if off[0] != 0:
        raise InvalidValueError(f"offsets: expected offsets that start at 0, found {off[0]}")
    steps = np.diff(off)
    if (steps <= 0).any():
        a = int(np.argmax(steps <= 0))
        raise InvalidValueError(
            "offsets: expected strictly increasing offsets (every architecture has at least"
            f" one layer), found offsets[{a}] = {off[a]}, offsets[{a + 1}] = {off[a + 1]}"
        )
    if off[-1] != n_rows:
        raise ShapeError(
            f"offsets: expected a last offset equal to the number of rows ({n_rows}),"
            f" found {off[-1]}"
        )
    return off
