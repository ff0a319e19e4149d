"""``zcfast.evolve``: the user-facing entry point of the GP engine."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from zcfast import _core
from zcfast._expression import FUNCTIONS, Expression
from zcfast._validate import Table, as_table, as_targets, is_two_dimensional
from zcfast.datasets import replace_missing
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
)

__all__ = ["DEFAULT_FUNCTIONS", "EvolveResult", "evolve"]

#: Functions used when ``functions=None``: the set of the published GP proxy searches plus sqrt.
DEFAULT_FUNCTIONS: tuple[str, ...] = ("add", "sub", "mul", "div", "neg", "log", "sqrt")

FITNESSES = ("spearman", "kendall", "pearson")
AGGREGATES = ("mean", "min")
MISSING_POLICIES = ("raise", "drop_columns", "drop_rows", "sentinel")


@dataclass
class EvolveResult:
    """What :func:`evolve` returns.

    Attributes
    ----------
    best : Expression
        The reported best expression: highest validation fitness when ``validation_fraction``
        was set, else highest parsimony-penalised training fitness.
    front : list of Expression
        Pareto front of training fitness against size, smallest first: each entry is
        strictly fitter than every smaller one.
    history : polars.DataFrame
        One row per generation: best/mean fitness, sizes, invalid share, evaluations, time.
    seed : int
        The seed used (drawn at random when ``seed=None``), to reproduce the run.
    interrupted : bool
        True when the run was stopped early by Ctrl-C.
    stop_reason : str
        ``"generations"``, ``"time_limit"``, ``"target_fitness"``, ``"callback"`` or
        ``"interrupted"``.
    task_fitness : list of float or None
        Training fitness of ``best`` on each task (one entry per task).
    validation_rows : list of numpy.ndarray or None
        Row indices (into the rows passed in) held out for validation, per task.
    elapsed : float
        Wall-clock seconds.
    settings : dict
        Every setting of the run, for the record.
    """

    best: Expression
    front: list[Expression]
    history: pl.DataFrame
    seed: int
    interrupted: bool
    stop_reason: str
    task_fitness: list[float | None]
    validation_rows: list[np.ndarray] | None
    elapsed: float
    settings: dict[str, Any] = field(repr=False)

    def summary(self) -> str:
        """A few readable lines: formula, fitness, size, generations, time."""
        lines = [
            f"best:     {self.best}",
            f"fitness:  {self.best.fitness:.4f} ({self.settings['fitness']}, training)",
        ]
        if self.best.validation_fitness is not None:
            lines.append(f"validation: {self.best.validation_fitness:.4f}")
        lines.append(
            f"size:     {self.best.size}   generations: {self.history.height}"
            f"   time: {self.elapsed:.2f} s   seed: {self.seed}"
        )
        return "\n".join(lines)

    def plot_history(self, ax: Any = None) -> Any:
        """Plots best and mean training fitness per generation (needs matplotlib).

        Returns the matplotlib Axes.
        """
        from zcfast.plot import plot_history

        return plot_history(self, ax=ax)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable) describing the run."""
        return {
            "best": self.best.to_dict(),
            "front": [e.to_dict() for e in self.front],
            "history": self.history.to_dicts(),
            "seed": self.seed,
            "interrupted": self.interrupted,
            "stop_reason": self.stop_reason,
            "task_fitness": self.task_fitness,
            "elapsed": self.elapsed,
            "settings": self.settings,
        }


def evolve(
    matrix: object,
    targets: object,
    *,
    feature_names: Sequence[str] | None = None,
    fitness: Literal["spearman", "kendall", "pearson"] = "spearman",
    population_size: int = 4000,
    generations: int = 100,
    seed: int | None = None,
    n_threads: int | None = None,
    functions: Sequence[str] | None = None,
    max_size: int = 31,
    max_depth: int = 12,
    parsimony: float = 0.001,
    tournament_size: int = 7,
    crossover: float = 0.7,
    subtree_mutation: float = 0.1,
    hoist_mutation: float = 0.05,
    point_mutation: float = 0.1,
    point_replace: float = 0.1,
    init_depth: tuple[int, int] = (1, 4),
    elitism: int = 2,
    constants: tuple[float, float] | None = None,
    validation_fraction: float | None = None,
    aggregate: Literal["mean", "min"] = "mean",
    missing: Literal["raise", "drop_columns", "drop_rows", "sentinel"] = "raise",
    time_limit: float | None = None,
    target_fitness: float | None = None,
    callback: Callable[[dict[str, Any]], bool | None] | None = None,
    progress: bool = False,
) -> EvolveResult:
    """Evolves an expression over metric columns whose output ranks architectures like their
    trained accuracy.

    Parameters
    ----------
    matrix : array-like (n_archs, n_metrics), polars/pandas DataFrame, or a list of them
        Metric values per architecture. A list of 2-D matrices (all with the same columns)
        evolves one expression for several tasks at once.
    targets : array-like (n_archs,), or a list of them (one per matrix)
        Trained accuracies.
    feature_names : sequence of str, optional
        Column names; default: the DataFrame's columns, else ``x0, x1, ...``.
    fitness : {"spearman", "kendall", "pearson"}
        Correlation maximised (Kendall is τ-b).
    population_size, generations : int
        Population size, and number of generations (the initial population counts as one).
    seed : int, optional
        Same seed, same result, for any ``n_threads``. ``None`` draws one (see ``result.seed``).
    n_threads : int, optional
        Worker threads; default all cores.
    functions : sequence of str, optional
        Subset of :data:`zcfast.FUNCTIONS`; default :data:`DEFAULT_FUNCTIONS`.
    max_size, max_depth : int
        Largest expression (nodes) and tree depth.
    parsimony : float
        Selection uses ``fitness - parsimony * size``.
    tournament_size, crossover, subtree_mutation, hoist_mutation, point_mutation, point_replace
        Selection pressure and operator probabilities (the rest is reproduction);
        ``point_replace`` is the per-node probability inside a point mutation.
    init_depth : (int, int)
        Depth range of the ramped half-and-half initial population.
    elitism : int
        Best individuals copied unchanged into the next generation.
    constants : (float, float), optional
        Range of ephemeral random constants; default none (constants rarely matter for a rank
        correlation, and leaving them out keeps formulas readable).
    validation_fraction : float, optional
        Share of each task's rows held out; the reported best is the candidate (generation
        bests and front) with the highest validation fitness.
    aggregate : {"mean", "min"}
        How per-task fitness values combine when there are several tasks.
    missing : {"raise", "drop_columns", "drop_rows", "sentinel"}
        What to do with null/NaN/inf in the matrix: raise an error naming the columns
        (default), drop those columns, drop those rows (architectures), or replace them with
        the NAS-Bench-Suite-Zero sentinel as :func:`zcfast.datasets.replace_missing` does
        (null/NaN/-inf -> -1e8, +inf -> +1e8), which keeps every row and column.
    time_limit : float, optional
        Seconds; the run stops after the generation in which the limit is passed.
    target_fitness : float, optional
        Stop as soon as the best training fitness reaches this value.
    callback : callable, optional
        Called with each generation's statistics (a dict); returning True stops the run.
    progress : bool
        Show a progress bar. Ctrl-C stops the run after the current generation and returns
        the result so far with ``interrupted=True`` (a KeyboardInterrupt before the first
        generation finishes propagates).

    Returns
    -------
    EvolveResult

    Example
    -------
    >>> import zcfast
    >>> df = zcfast.datasets.load_demo()
    >>> X, y = zcfast.datasets.features_and_targets(df)
    >>> result = zcfast.evolve(X[:100], y[:100], generations=20, seed=0)
    >>> print(result.best)  # doctest: +SKIP
    log(synflow) * nwot / params
    >>> zcfast.spearman(result.best.evaluate(X[100:]), y[100:])  # doctest: +SKIP
    0.87
    """
    started = time.perf_counter()
    multi = isinstance(matrix, (list, tuple)) and len(matrix) > 0 and is_two_dimensional(matrix[0])
    matrices = list(matrix) if multi else [matrix]  # type: ignore[call-overload]
    if multi:
        if not isinstance(targets, (list, tuple)) or len(targets) != len(matrices):
            found = len(targets) if isinstance(targets, (list, tuple)) else type(targets).__name__
            raise ShapeError(
                f"targets: expected a list of {len(matrices)} target vectors (one per matrix),"
                f" found {found}"
            )
        target_list = list(targets)
    else:
        target_list = [targets]

    _check_choice("fitness", fitness, FITNESSES)
    _check_choice("aggregate", aggregate, AGGREGATES)
    _check_choice("missing", missing, MISSING_POLICIES)
    funcs = tuple(DEFAULT_FUNCTIONS if functions is None else functions)
    if isinstance(functions, str):
        raise ArgumentTypeError(
            f"functions: expected a sequence of names, found the string {functions!r}"
        )
    for f in funcs:
        _check_choice("functions", f, tuple(FUNCTIONS))
    for name, value in (
        ("population_size", population_size),
        ("generations", generations),
        ("max_size", max_size),
        ("tournament_size", tournament_size),
    ):
        _check_positive_int(name, value)
    _check_nonnegative_int("elitism", elitism)
    _check_nonnegative_int("max_depth", max_depth)
    threads = _resolve_threads(n_threads)
    run_seed = _resolve_seed(seed)
    if time_limit is not None and not (time_limit > 0):
        raise ConfigError(f"time_limit: expected a positive number of seconds, found {time_limit}")

    labels = ["matrix"] if not multi else [f"matrix[{i}]" for i in range(len(matrices))]
    tables = [as_table(m, feature_names, label) for m, label in zip(matrices, labels)]
    names = tables[0].names
    for label, t in zip(labels[1:], tables[1:]):
        if t.names != names:
            raise ShapeError(
                f"{label}: expected the same columns as matrix[0] ({list(names)}),"
                f" found {list(t.names)}"
            )
    t_labels = ["targets"] if not multi else [f"targets[{i}]" for i in range(len(matrices))]
    values, target_arrays, kept_rows, kept_cols = _apply_missing_policy(
        tables, target_list, t_labels, missing
    )

    core = _core.Evolver(
        values,
        target_arrays,
        population_size=population_size,
        tournament_size=tournament_size,
        p_crossover=crossover,
        p_subtree_mutation=subtree_mutation,
        p_hoist_mutation=hoist_mutation,
        p_point_mutation=point_mutation,
        p_point_replace=point_replace,
        max_size=max_size,
        max_depth=max_depth,
        init_depth=(int(init_depth[0]), int(init_depth[1])),
        parsimony=parsimony,
        elitism=elitism,
        functions=list(funcs),
        constants=None if constants is None else (float(constants[0]), float(constants[1])),
        fitness=fitness,
        aggregate=aggregate,
        validation_fraction=validation_fraction,
        seed=run_seed,
        n_threads=threads,
    )

    history: list[dict[str, Any]] = []
    stop_reason = "generations"
    bar = _progress_bar(generations) if progress else None
    try:
        while len(history) < generations:
            t0 = time.perf_counter()
            stats = core.step(1)[0]
            stats["seconds"] = time.perf_counter() - t0
            history.append(stats)
            if bar is not None:
                bar.set_postfix(
                    best=f"{stats['best_fitness']:.4f}", size=stats["best_size"], refresh=False
                )
                bar.update(1)
            if target_fitness is not None and stats["best_fitness"] >= target_fitness:
                stop_reason = "target_fitness"
                break
            if time_limit is not None and time.perf_counter() - started >= time_limit:
                stop_reason = "time_limit"
                break
            if callback is not None and callback(dict(stats)):
                stop_reason = "callback"
                break
    except KeyboardInterrupt:
        if not history:
            raise
        stop_reason = "interrupted"
        warnings.warn(
            f"evolve: interrupted after {len(history)} generation(s); returning the best so far",
            RuntimeWarning,
            stacklevel=2,
        )
    finally:
        if bar is not None:
            bar.close()

    def to_expression(d: dict[str, Any]) -> Expression:
        tokens = tuple(_remap(t, kept_cols) for t in d["tokens"])
        return Expression(
            tokens=tokens,
            feature_names=names,
            fitness=d["fitness"],
            validation_fitness=d["validation_fitness"],
            metric=fitness,
        )

    best_dict = core.best()
    if best_dict is None:
        raise InvalidValueError(
            "matrix: expected columns from which a non-constant score can be built, found that"
            " every expression evaluated was constant or non-finite on the training rows"
        )
    best = to_expression(best_dict)
    train_scores, _ = core.task_scores(best_dict["tokens"])
    validation_rows = None
    if validation_fraction is not None:
        validation_rows = [
            rows[np.asarray(v, dtype=np.int64)]
            for rows, v in zip(kept_rows, core.validation_rows())
        ]
    settings = {
        "fitness": fitness,
        "population_size": population_size,
        "generations": generations,
        "functions": list(funcs),
        "max_size": max_size,
        "max_depth": max_depth,
        "parsimony": parsimony,
        "tournament_size": tournament_size,
        "crossover": crossover,
        "subtree_mutation": subtree_mutation,
        "hoist_mutation": hoist_mutation,
        "point_mutation": point_mutation,
        "point_replace": point_replace,
        "init_depth": list(init_depth),
        "elitism": elitism,
        "constants": None if constants is None else list(constants),
        "validation_fraction": validation_fraction,
        "aggregate": aggregate,
        "missing": missing,
        "n_threads": threads,
        "n_tasks": len(tables),
        "n_rows": [len(t) for t in target_arrays],
        "feature_names": list(names),
        "dropped_columns": [n for i, n in enumerate(names) if i not in set(kept_cols)],
    }
    return EvolveResult(
        best=best,
        front=[to_expression(d) for d in core.front()],
        history=pl.DataFrame(history) if history else pl.DataFrame(),
        seed=run_seed,
        interrupted=stop_reason == "interrupted",
        stop_reason=stop_reason,
        task_fitness=list(train_scores),
        validation_rows=validation_rows,
        elapsed=time.perf_counter() - started,
        settings=settings,
    )


def _apply_missing_policy(
    tables: list[Table], targets: list[object], t_labels: list[str], missing: str
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[int]]:
    """Applies the null/NaN policy; returns the matrices and targets for the core, the kept row
    indices per task and the kept column indices (shared by all tasks)."""
    names = tables[0].names
    n_cols = len(names)
    if missing == "sentinel":
        tables = [Table(values=replace_missing(t.values), names=t.names) for t in tables]
    bad_cols = sorted(
        {int(c) for t in tables for c in np.flatnonzero(~np.isfinite(t.values).all(axis=0))}
    )
    kept_cols = list(range(n_cols))
    if bad_cols and missing == "raise":
        counts = {
            names[c]: int(sum((~np.isfinite(t.values[:, c])).sum() for t in tables))
            for c in bad_cols
        }
        detail = ", ".join(f"{n!r} ({k} rows)" for n, k in counts.items())
        raise InvalidValueError(
            f"matrix: expected finite values (no null/NaN/inf), found them in columns {detail};"
            " pass missing='drop_columns' or 'drop_rows' to leave them out, or 'sentinel' to"
            " replace them as NAS-Bench-Suite-Zero does"
        )
    if bad_cols and missing == "drop_columns":
        kept_cols = [c for c in range(n_cols) if c not in set(bad_cols)]
        if not kept_cols:
            raise InvalidValueError(
                "matrix: expected at least one column without null/NaN/inf, found none"
            )
    values: list[np.ndarray] = []
    target_arrays: list[np.ndarray] = []
    kept_rows: list[np.ndarray] = []
    for table, target, label in zip(tables, targets, t_labels):
        y = as_targets(target, table.values.shape[0], label)
        x = table.values[:, kept_cols]
        rows = np.arange(x.shape[0])
        if missing == "drop_rows":
            ok = np.isfinite(x).all(axis=1)
            rows = rows[ok]
            x, y = x[ok], y[ok]
            if len(rows) < 3:
                raise ShapeError(
                    f"{label}: expected at least 3 rows without null/NaN/inf,"
                    f" found {len(rows)} after dropping rows"
                )
            if np.all(y == y[0]):
                raise InvalidValueError(
                    f"{label}: expected values that are not all equal after dropping rows,"
                    f" found every value equal to {y[0]}"
                )
        if not np.any(x.max(axis=0) != x.min(axis=0)):
            raise InvalidValueError(
                f"{label.replace('targets', 'matrix')}: expected at least one column that is not"
                " constant, found every column constant"
            )
        values.append(np.ascontiguousarray(x))
        target_arrays.append(np.ascontiguousarray(y))
        kept_rows.append(rows)
    return values, target_arrays, kept_rows, kept_cols


def _remap(token: str, kept_cols: list[int]) -> str:
    if token.startswith("x") and token[1:].isdigit():
        return f"x{kept_cols[int(token[1:])]}"
    return token


def _check_choice(arg: str, value: object, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{arg}: expected one of {list(choices)}, found {value!r}")
    if value not in choices:
        raise UnknownNameError(f"{arg}: expected one of {list(choices)}, found {value!r}")


def _check_positive_int(arg: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ArgumentTypeError(f"{arg}: expected a positive integer, found {value!r}")
    if value <= 0:
        raise ConfigError(f"{arg}: expected a positive integer, found {value}")


def _check_nonnegative_int(arg: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ArgumentTypeError(f"{arg}: expected a non-negative integer, found {value!r}")
    if value < 0:
        raise ConfigError(f"{arg}: expected a non-negative integer, found {value}")


def _resolve_threads(n_threads: int | None) -> int:
    if n_threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)
    _check_positive_int("n_threads", n_threads)
    return int(n_threads)


def _resolve_seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ArgumentTypeError(f"seed: expected an integer or None, found {seed!r}")
    if not 0 <= seed < 2**64:
        raise ConfigError(f"seed: expected an integer in [0, 2**64), found {seed}")
    return int(seed)


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="evolve", unit="gen", leave=False)
