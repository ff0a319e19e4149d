"""Input preparation for evolution: user tables and targets → the core's tasks.

Flat tables (one row per architecture) and layer tables (one row per layer, grouped into
architectures) end up in the same form: per task a float64 unit matrix, the offsets that group
its rows (None for a flat table) and one target per architecture; plus the bookkeeping that
maps results back to what the user passed (kept columns, kept rows or architectures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zcfast._layers import ARCH_COLUMN, LayerTable, as_layer_table, layer_targets
from zcfast._quantiles import QuantileColumn, quantile_names
from zcfast._validate import MIN_ROWS, Table, as_table, as_targets, is_two_dimensional
from zcfast.datasets import replace_missing
from zcfast.exceptions import InvalidValueError, ShapeError, UnknownNameError

__all__ = ["FLAT_MISSING", "LAYER_MISSING", "Prepared", "prepare_flat", "prepare_layers"]

#: ``missing`` policies for flat tables and for layer tables.
FLAT_MISSING = ("raise", "drop_columns", "drop_rows", "sentinel")
LAYER_MISSING = ("raise", "drop_columns", "drop_archs", "sentinel")

CoreTask = tuple[np.ndarray, np.ndarray | None, np.ndarray]


@dataclass(frozen=True)
class Prepared:
    """The core's tasks and how they relate to the user's input."""

    tasks: list[CoreTask]
    names: tuple[str, ...]
    kept_cols: list[int]
    #: Per task, the indices of the rows (flat) or architectures (layers) that were kept.
    kept: list[np.ndarray]
    layerwise: bool
    missing: str

    def remap(self, tokens: Sequence[str]) -> tuple[str, ...]:
        """Core tokens (over the kept columns) as tokens over all of ``names``."""
        return tuple(
            f"x{self.kept_cols[int(t[1:])]}" if t.startswith("x") and t[1:].isdigit() else t
            for t in tokens
        )

    def bootstrap(self, seed: int, member: int, fraction: float | None = None) -> Prepared:
        """A sample of every task's architectures, from a stream of its own per member:
        ``fraction`` of them drawn without replacement (at least :data:`MIN_ROWS`, and, where
        there are more, one fewer than all so that one is out of bag), or with
        ``fraction=None`` a bootstrap
        sample (repeats dropped: they add only ties to a rank correlation)."""
        rng = np.random.default_rng([seed, member])
        tasks, kept = [], []
        for t, ((values, offsets, y), rows) in enumerate(zip(self.tasks, self.kept)):
            n = len(y)
            size = n
            if fraction is not None and n > MIN_ROWS:
                size = min(n - 1, max(MIN_ROWS, round(fraction * n)))
            # A sample too small or degenerate to evolve on (few distinct architectures,
            # constant targets or columns: tiny tables) is drawn again from the same stream.
            for _ in range(_BOOTSTRAP_TRIES):
                if fraction is None:
                    pick = np.unique(rng.integers(0, n, size=n))
                else:
                    pick = np.sort(rng.choice(n, size=size, replace=False))
                task = _select(values, offsets, y, pick)
                if _usable(task):
                    break
            else:
                label = "matrix" if len(self.tasks) == 1 else f"matrix[{t}]"
                raise ShapeError(
                    f"{label}: expected enough distinct architectures for the samples of an"
                    f" ensemble (at least {MIN_ROWS} per sample, targets and some column not"
                    f" constant on them), found {n} architectures whose samples are not;"
                    " pass ensemble=1"
                )
            tasks.append(task)
            kept.append(rows[pick])
        return Prepared(tasks, self.names, self.kept_cols, kept, self.layerwise, self.missing)

    def with_quantile_columns(self) -> tuple[Prepared, tuple[QuantileColumn, ...]]:
        """For flat tables: every task with each kept column's quantile column appended (the
        quantiles among all tasks' architectures), and those quantile columns."""
        if self.layerwise:
            return self, ()
        q_names = quantile_names(self.names)
        columns: list[QuantileColumn] = []
        positions: list[int] = []
        for k, c in enumerate(self.kept_cols):
            values = np.concatenate([t[0][:, k] for t in self.tasks])
            q = QuantileColumn.fit(q_names[c], self.names[c], values)
            if q is not None:
                columns.append(q)
                positions.append(k)
        if not columns:
            return self, ()
        names = self.names + tuple(q.name for q in columns)
        kept_cols = self.kept_cols + list(range(len(self.names), len(names)))
        tasks: list[CoreTask] = []
        for values, offsets, y in self.tasks:
            extra = np.column_stack([q.of(values[:, k]) for q, k in zip(columns, positions)])
            tasks.append((np.ascontiguousarray(np.hstack([values, extra])), offsets, y))
        augmented = Prepared(tasks, names, kept_cols, self.kept, self.layerwise, self.missing)
        return augmented, tuple(columns)

    def reference(self, task: int = 0) -> tuple[object, np.ndarray]:
        """Task ``task``'s training table in the user's columns (dropped ones zero, as no
        expression reads them) and its targets: what its expressions evaluate on."""
        values, offsets, y = self.tasks[task]
        full = np.zeros((values.shape[0], len(self.names)))
        full[:, self.kept_cols] = values
        return (full if offsets is None else (full, offsets)), y

    def info(self) -> dict[str, Any]:
        """What was evolved on, for the result's record."""
        kept = set(self.kept_cols)
        return {
            "layerwise": self.layerwise,
            "missing": self.missing,
            "n_tasks": len(self.tasks),
            "n_archs": [len(t[2]) for t in self.tasks],
            "n_units": [int(t[0].shape[0]) for t in self.tasks],
            "feature_names": list(self.names),
            "dropped_columns": [n for i, n in enumerate(self.names) if i not in kept],
        }


#: Bootstrap draws tried per member before a table is declared too small for an ensemble.
_BOOTSTRAP_TRIES = 100


def _usable(task: CoreTask) -> bool:
    """Whether a sampled task passes the checks the whole table passed."""
    values, _, y = task
    if len(y) < MIN_ROWS or np.all(y == y[0]):
        return False
    finite = np.where(np.isfinite(values), values, 0.0)
    return bool(np.any(finite.max(axis=0) != finite.min(axis=0)))


def _select(
    values: np.ndarray, offsets: np.ndarray | None, y: np.ndarray, archs: np.ndarray
) -> CoreTask:
    """The task restricted to the architectures ``archs`` (sorted indices)."""
    if offsets is None:
        return np.ascontiguousarray(values[archs]), None, np.ascontiguousarray(y[archs])
    counts = np.diff(offsets)[archs]
    rows = np.concatenate([np.arange(offsets[a], offsets[a + 1]) for a in archs])
    new_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return np.ascontiguousarray(values[rows]), new_offsets, np.ascontiguousarray(y[archs])


def _task_lists(data: object, targets: object, is_one: Any) -> tuple[list[Any], list[Any], bool]:
    """Splits a task-or-list-of-tasks argument pair into lists (and whether there are many)."""
    if not (isinstance(data, list) and data and all(is_one(d) for d in data)):
        return [data], [targets], False
    if not isinstance(targets, (list, tuple)) or len(targets) != len(data):
        found = len(targets) if isinstance(targets, (list, tuple)) else type(targets).__name__
        raise ShapeError(
            f"targets: expected a list of {len(data)} target vectors (one per table), found {found}"
        )
    return list(data), list(targets), True


def _labels(multi: bool, n: int, base: str) -> list[str]:
    return [f"{base}[{i}]" for i in range(n)] if multi else [base]


def _check_choice(missing: str, policies: tuple[str, ...]) -> None:
    if missing not in policies:
        raise UnknownNameError(f"missing: expected one of {list(policies)}, found {missing!r}")


def _bad_columns(values: list[np.ndarray]) -> list[int]:
    return sorted({int(c) for v in values for c in np.flatnonzero(~np.isfinite(v).all(axis=0))})


def _missing_error(
    names: tuple[str, ...], values: list[np.ndarray], bad: list[int], rows: str
) -> InvalidValueError:
    counts = {names[c]: int(sum((~np.isfinite(v[:, c])).sum() for v in values)) for c in bad}
    detail = ", ".join(f"{n!r} ({k} rows)" for n, k in counts.items())
    return InvalidValueError(
        f"matrix: expected finite values (no null/NaN/inf), found them in columns {detail};"
        f" pass missing='drop_columns' or '{rows}' to leave them out, or 'sentinel' to replace"
        " them as NAS-Bench-Suite-Zero does"
    )


def _kept_columns(
    names: tuple[str, ...], values: list[np.ndarray], missing: str, rows: str
) -> list[int]:
    bad = _bad_columns(values)
    if bad and missing == "raise":
        raise _missing_error(names, values, bad, rows)
    if bad and missing == "drop_columns":
        kept = [c for c in range(len(names)) if c not in set(bad)]
        if not kept:
            raise InvalidValueError(
                "matrix: expected at least one column without null/NaN/inf, found none"
            )
        return kept
    return list(range(len(names)))


def _check_not_constant(x: np.ndarray, y: np.ndarray, label: str) -> None:
    if len(y) < MIN_ROWS:
        raise ShapeError(
            f"{label}: expected at least {MIN_ROWS} architectures without null/NaN/inf,"
            f" found {len(y)}"
        )
    if np.all(y == y[0]):
        raise InvalidValueError(
            f"{label}: expected values that are not all equal, found every value equal to {y[0]}"
        )
    if not np.any(x.max(axis=0) != x.min(axis=0)):
        raise InvalidValueError(
            f"{label.replace('targets', 'matrix')}: expected at least one column that is not"
            " constant, found every column constant"
        )


def prepare_flat(
    matrix: object, targets: object, feature_names: Sequence[str] | None, missing: str
) -> Prepared:
    """Flat tables (one row per architecture; a list of them for several tasks)."""
    _check_choice(missing, FLAT_MISSING)
    matrices, target_list, multi = _task_lists(matrix, targets, is_two_dimensional)
    labels = _labels(multi, len(matrices), "matrix")
    tables = [as_table(m, feature_names, label) for m, label in zip(matrices, labels)]
    names = tables[0].names
    for label, t in zip(labels[1:], tables[1:]):
        if t.names != names:
            raise ShapeError(
                f"{label}: expected the same columns as matrix[0] ({list(names)}),"
                f" found {list(t.names)}"
            )
    if missing == "sentinel":
        tables = [Table(values=replace_missing(t.values), names=t.names) for t in tables]
    kept_cols = _kept_columns(names, [t.values for t in tables], missing, "drop_rows")
    tasks: list[CoreTask] = []
    kept: list[np.ndarray] = []
    for table, target, label in zip(tables, target_list, _labels(multi, len(tables), "targets")):
        y = as_targets(target, table.values.shape[0], label)
        x = table.values[:, kept_cols]
        rows = np.arange(x.shape[0])
        if missing == "drop_rows":
            ok = np.isfinite(x).all(axis=1)
            rows, x, y = rows[ok], x[ok], y[ok]
        _check_not_constant(x, y, label)
        tasks.append((np.ascontiguousarray(x), None, np.ascontiguousarray(y)))
        kept.append(rows)
    return Prepared(tasks, names, kept_cols, kept, layerwise=False, missing=missing)


def _is_layer_input(x: object) -> bool:
    return isinstance(x, (LayerTable, tuple)) or hasattr(x, "columns")


def prepare_layers(
    layers: object,
    targets: object,
    arch_column: str = ARCH_COLUMN,
    features: Sequence[str] | None = None,
    missing: str = "raise",
) -> tuple[Prepared, list[LayerTable]]:
    """Layer tables (a list of them for several tasks); also returns the tables as read."""
    _check_choice(missing, LAYER_MISSING)
    inputs, target_list, multi = _task_lists(layers, targets, _is_layer_input)
    labels = _labels(multi, len(inputs), "layers")
    tables = [as_layer_table(t, arch_column, features) for t in inputs]
    names = tables[0].names
    for label, t in zip(labels[1:], tables[1:]):
        if t.names != names:
            raise ShapeError(
                f"{label}: expected the same columns as layers[0] ({list(names)}),"
                f" found {list(t.names)}"
            )
    values = [replace_missing(t.values) if missing == "sentinel" else t.values for t in tables]
    kept_cols = _kept_columns(names, values, missing, "drop_archs")
    tasks: list[CoreTask] = []
    kept: list[np.ndarray] = []
    for table, v, target, label in zip(
        tables, values, target_list, _labels(multi, len(tables), "targets")
    ):
        y = as_targets(layer_targets(target, table, label), table.n_archs, label)
        t = LayerTable(
            values=v[:, kept_cols],
            offsets=table.offsets,
            names=tuple(names[c] for c in kept_cols),
            archs=table.archs,
        )
        archs = np.arange(table.n_archs)
        if missing == "drop_archs":
            finite_rows = np.isfinite(t.values).all(axis=1)
            ok = np.logical_and.reduceat(finite_rows, table.offsets[:-1])
            t, archs, y = t.select_archs(ok), archs[ok], y[ok]
        _check_not_constant(t.values, y, label)
        tasks.append(
            (np.ascontiguousarray(t.values), np.asarray(t.offsets), np.ascontiguousarray(y))
        )
        kept.append(archs)
    return Prepared(tasks, names, kept_cols, kept, layerwise=True, missing=missing), tables
