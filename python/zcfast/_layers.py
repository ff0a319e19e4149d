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
from zcfast._params import Choice, check, fail, found_type
from zcfast._validate import as_array, as_table, describe_shape, require_columns
from zcfast.exceptions import ArgumentTypeError, ShapeError, UnknownNameError

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
            expected = "a 2-D float64 array (use LayerTable.from_arrays for other input)"
            raise fail("values", expected, describe_value(values), ArgumentTypeError)
        if (
            not isinstance(offsets, np.ndarray)
            or offsets.ndim != 1
            or offsets.dtype.kind not in "iu"
            or len(offsets) == 0
        ):
            expected = (
                "a 1-D integer array of n_archs + 1 row positions (use LayerTable.from_arrays"
                " for other input)"
            )
            raise fail("offsets", expected, describe_value(offsets), ArgumentTypeError)
        if offsets[0] != 0 or offsets[-1] != values.shape[0] or (np.diff(offsets) <= 0).any():
            expected = (
                f"strictly increasing offsets from 0 to the number of rows ({values.shape[0]})"
            )
            raise fail("offsets", expected, describe_value(offsets.tolist()))
        names = check_names(self.names)
        if len(names) != values.shape[1]:
            expected = f"one per column of values ({values.shape[1]})"
            raise fail("names", expected, str(len(names)), ShapeError)
        object.__setattr__(self, "names", names)
        if isinstance(self.archs, (str, bytes)) or not isinstance(self.archs, Sequence):
            expected = "a sequence of architecture keys"
            raise fail("archs", expected, describe_value(self.archs), ArgumentTypeError)
        if len(self.archs) != len(offsets) - 1:
            expected = f"one key per architecture ({len(offsets) - 1})"
            raise fail("archs", expected, str(len(self.archs)), ShapeError)
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
        keys = tuple(range(len(off) - 1)) if archs is None else tuple(archs)
        off.setflags(write=False)
        out = cls(values=table.values, offsets=off, names=table.names, archs=keys)
        _check_unique_archs(keys)
        return out

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
        check("arch_column", arch_column, Choice(*df.columns, note="the table's columns"))
        df = _explode_lists(df, arch_column)
        names = _feature_columns(df, arch_column, features)
        archs, offsets = _group(df.get_column(arch_column))
        table = as_table(df.select(names), None, "layers", min_rows=1)
        offsets.setflags(write=False)
        return cls(values=table.values, offsets=offsets, names=table.names, archs=archs)

    def select(self, features: Sequence[str]) -> LayerTable:
        """The table restricted to the named feature columns, in that order."""
        features = list(check_names(features, "features"))
        require_columns("layers", features, self.names)
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
            expected = f"a boolean mask with one entry per architecture ({self.n_archs})"
            found = f"{describe_shape(keep)} of dtype {keep.dtype}"
            raise fail("keep", expected, found, ShapeError)
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
    expected = (
        f"a long table (polars/pandas DataFrame or Arrow table with an {arch_column!r} column),"
        " a zcfast.LayerTable or a (values, offsets) pair of arrays"
    )
    raise fail("layers", expected, found_type(layers), ArgumentTypeError)


def layer_targets(targets: object, table: LayerTable, arg: str = "targets") -> np.ndarray:
    """Targets in the table's architecture order: from an array in that order, or a mapping
    ``arch -> accuracy`` that must name every architecture of the table."""
    if isinstance(targets, Mapping):
        missing = [a for a in table.archs if a not in targets]
        if missing:
            shown = ", ".join(repr(a) for a in missing[:5])
            found = (
                f"none for {len(missing)} of them ({shown}{', ...' if len(missing) > 5 else ''})"
            )
            raise fail(
                arg, "an accuracy for every architecture of the table", found, UnknownNameError
            )
        values = [targets[a] for a in table.archs]
        for a, v in zip(table.archs, values):
            if isinstance(v, (bool, np.bool_)) or not isinstance(
                v, (int, float, np.integer, np.floating)
            ):
                expected = "a number as the accuracy of every architecture"
                found = f"{describe_value(v)} for {describe_value(a)}"
                raise fail(arg, expected, found, ArgumentTypeError)
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
            raise fail("layers", "unique column names", str(columns))
        return pl.from_pandas(frame)
    raise fail("layers", "a DataFrame or Arrow table", found_type(frame), ArgumentTypeError)


def _explode_lists(df: pl.DataFrame, arch_column: str) -> pl.DataFrame:
    if isinstance(df.schema[arch_column], pl.List | pl.Array):
        found = f"a column of {df.schema[arch_column]}"
        raise fail(arch_column, "one architecture key per row", found, ArgumentTypeError)
    lists = [c for c, dt in zip(df.columns, df.dtypes) if isinstance(dt, pl.List | pl.Array)]
    if not lists:
        return df
    lengths = df.select(pl.col(c).list.len() for c in lists)
    short = lengths.select(pl.min_horizontal(pl.all().fill_null(0))).to_series()
    if (short == 0).any():
        row = int(np.argmax((short == 0).to_numpy()))
        expected = f"at least one layer in every list of list columns {lists}"
        found = f"an empty or null list for architecture {df[arch_column][row]!r}"
        raise fail("layers", expected, found, ShapeError)
    if lengths.width > 1 and not all(
        lengths[c].equals(lengths[lists[0]], check_names=False) for c in lists[1:]
    ):
        expected = f"list columns {lists} of equal length in every row (one entry per layer)"
        raise fail("layers", expected, "rows where they differ", ShapeError)
    return df.select(arch_column, *lists).explode(lists)


def _feature_columns(
    df: pl.DataFrame, arch_column: str, features: Sequence[str] | None
) -> list[str]:
    if features is None:
        names = [c for c, dt in zip(df.columns, df.dtypes) if c != arch_column and dt.is_numeric()]
        if not names:
            expected = f"at least one numeric column besides {arch_column!r}"
            raise fail("layers", expected, f"columns {df.columns}", ShapeError)
        return names
    features = list(check_names(features, "features"))
    if not features:
        raise fail("features", "at least one column name", "an empty list", ShapeError)
    if arch_column in features:
        expected = f"columns other than arch_column ({arch_column!r})"
        raise fail("features", expected, "it among them")
    unknown = [f for f in features if f not in df.columns]
    if unknown:
        expected = f"columns of the table {df.columns}"
        raise fail("features", expected, f"unknown {unknown}", UnknownNameError)
    return list(features)


def _group(arch: pl.Series) -> tuple[tuple[Any, ...], np.ndarray]:
    """Architecture keys in order of appearance and the offsets of their runs of rows."""
    if arch.null_count():
        found = f"{arch.null_count()} nulls"
        raise fail(arch.name, "an architecture key on every row", found)
    n = arch.len()
    if n == 0:
        raise fail("layers", "at least one row", "an empty table", ShapeError)
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
        expected = "hashable architecture keys (str, int, tuple, ...)"
        found = f"{describe_value(bad)} of type {type(bad).__name__}"
        raise fail(arg, expected, found, ArgumentTypeError) from None
    if distinct == len(keys):
        return
    seen: set[Any] = set()
    repeated = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    expected = "each architecture's rows to be contiguous (one group per architecture)"
    found = f"{repeated!r} in more than one group; sort the table by {arg!r} first"
    raise fail(arg, expected, found)


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
        found = type(offsets).__name__
        raise fail("offsets", "a 1-D array of integers", found, ArgumentTypeError) from None
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        found = f"{describe_shape(arr)} of dtype {arr.dtype}"
        raise fail("offsets", "a 1-D array of integers", found, ArgumentTypeError)
    if len(arr) < 2:
        raise fail("offsets", "n_archs + 1 >= 2 values", str(len(arr)), ShapeError)
    last = f"a last offset equal to the number of rows ({n_rows})"
    if arr.dtype == np.uint64 and arr.max() > np.iinfo(np.int64).max:
        found = f"offsets up to {describe_value(int(arr.max()))}"
        raise fail("offsets", last, found, ShapeError)
    off = arr.astype(np.int64)
    if off[0] != 0:
        raise fail("offsets", "offsets that start at 0", str(off[0]))
    steps = np.diff(off)
    if (steps <= 0).any():
        a = int(np.argmax(steps <= 0))
        expected = "strictly increasing offsets (every architecture has at least one layer)"
        found = f"offsets[{a}] = {off[a]}, offsets[{a + 1}] = {off[a + 1]}"
        raise fail("offsets", expected, found)
    if off[-1] != n_rows:
        raise fail("offsets", last, str(off[-1]), ShapeError)
    return off
