"""``EvolveResult``: what an evolution returns, built from the core's state after the run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import polars as pl

from zcfast import _core
from zcfast._costs import CostModel, cost_front, ensemble_candidates, pick, run_candidates
from zcfast._ensemble import Ensemble
from zcfast._expression import Expression
from zcfast._prepare import Prepared
from zcfast._quantiles import QuantileColumn
from zcfast._run import RunLog
from zcfast._select import baseline, select
from zcfast._settings import Settings
from zcfast._stats import measure
from zcfast._validate import MIN_ROWS
from zcfast.exceptions import InvalidValueError

__all__ = ["EvolveResult", "build_result", "combine_members", "member_seed"]


@dataclass
class EvolveResult:
    """What :func:`zcfast.evolve` and :func:`zcfast.evolve_layerwise` return.

    Attributes
    ----------
    best : Expression or Ensemble
        The reported best expression: highest validation fitness when ``validation_fraction``
        was set, else highest parsimony-penalised training fitness; with ``ensemble > 1`` the
        rank-average of the members' bests, whose ``validation_fitness`` is the out-of-bag
        estimate (each training architecture scored only by the members that did not see it).
        What its fitness figures are, exactly (``X``, ``y`` as passed in, after the
        ``missing`` policy): for a single run (``ensemble=1``), ``best.fitness`` is the
        ``settings.fitness`` measure of ``best.evaluate(X)`` on the training rows, those not
        in ``validation_rows`` (per task, combined by ``aggregate``), and
        ``best.validation_fitness`` the same measure on ``validation_rows``: e.g.
        ``best.score(X[rows], y[rows])`` with ``rows = validation_rows[0]``. With
        ``ensemble > 1``, ``best.fitness`` is measured on all training rows and
        ``best.validation_fitness`` is the pooled out-of-bag estimate of ``validation``, which
        no single set of rows gives (``validation_rows`` is None); each member's pair follows
        the single-run rule.
    front : list of Expression
        Pareto front of training fitness against size, smallest first: each entry is
        strictly fitter than every smaller one. With ``ensemble > 1``: the front over the
        formulas of every member's front, each re-measured on all training architectures
        (formulas over :meth:`Ensemble.member_inputs`, which adds any quantile columns).
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
        Per task, the rows (flat tables) or architectures (layer tables: positions in the
        table's architecture order) held out for validation, as indices into what was
        passed in: those ``best.validation_fitness`` is measured on. None without
        ``validation_fraction``, and for an ensemble's combined result.
    elapsed : float
        Wall-clock seconds.
    settings : Settings
        Every setting of the run, with the seed and thread count it used:
        ``zcfast.evolve(matrix, targets, result.settings)`` repeats it.
    data : dict
        What was evolved on: tasks, architectures and units per task, feature names, columns
        dropped by the ``missing`` policy.
    members : list of EvolveResult or None
        With ``ensemble > 1``, the result of each bootstrap run. Without
        ``validation_fraction``, a member's ``validation_rows`` are the architectures its
        bootstrap sample left out and its ``best.validation_fitness`` the fitness there; with
        it, the rows the run held out of its sample and the fitness there.
    validation : polars.DataFrame or None
        With ``ensemble > 1``: the out-of-bag estimate of held-out quality of each procedure
        ``evolve`` chose among (``procedure``, ``formula``, ``estimate``, ``spread``: the
        standard deviation of the per-sample estimates, ``chosen``); ``best`` is the chosen
        one, and its ``validation_fitness`` that estimate (unless a cost setting chose from
        ``cost_front``). With the ``learned`` setting, a row per learned predictor too
        (never chosen).
    cost_front : polars.DataFrame or None
        With ``costs=``: the formulas of the run (the ensemble, sub-ensembles of its cheaper
        members, each member's front of formulas, the single columns) that no cheaper one
        matches in estimated held-out quality, cheapest first: ``formula``, ``kind``,
        ``proxies`` (the columns it reads), ``cost`` (seconds per architecture for computing
        them), ``estimate``, ``size``, ``chosen`` (the one ``best`` is, with
        ``cost_tolerance`` or ``cost_budget``); ``cost_predictors[i]`` is row ``i``'s
        Expression or Ensemble. Estimates: out of bag for the ensemble and sub-ensembles, on
        the training architectures a member's sample left out for its formulas, on all training
        architectures for single columns; for a single run (``ensemble=1``), validation
        fitness with ``validation_fraction``, else training fitness.
    cost_predictors : list of Expression or Ensemble, or None
        The formula of each row of ``cost_front``, in its order.
    """

    best: Expression | Ensemble
    front: list[Expression]
    history: pl.DataFrame
    seed: int
    interrupted: bool
    stop_reason: str
    task_fitness: list[float | None]
    validation_rows: list[np.ndarray] | None
    elapsed: float
    settings: Settings = field(repr=False)
    data: dict[str, Any] = field(repr=False)
    members: list[EvolveResult] | None = field(default=None, repr=False)
    validation: pl.DataFrame | None = field(default=None, repr=False)
    cost_front: pl.DataFrame | None = field(default=None, repr=False)
    cost_predictors: list[Expression | Ensemble] | None = field(default=None, repr=False)

    def summary(self) -> str:
        """A few readable lines: formula, fitness, size, generations, time."""
        lines = [
            f"best:     {self.best}",
            f"fitness:  {self.best.fitness:.4f} ({self.settings.fitness}, training)",
        ]
        if self.validation is not None:
            for row in self.validation.iter_rows(named=True):
                mark = "*" if row["chosen"] else " "
                est = "  n/a" if row["estimate"] is None else f"{row['estimate']:.4f}"
                spread = "" if row["spread"] is None else f" ± {row['spread']:.3f}"
                lines.append(f"out-of-bag {mark} {est}{spread}  {row['procedure']}")
        elif self.best.validation_fitness is not None:
            lines.append(f"validation: {self.best.validation_fitness:.4f}")
        if self.cost_front is not None:
            for row in self.cost_front.iter_rows(named=True):
                mark = "*" if row["chosen"] else " "
                lines.append(
                    f"cost {mark} {row['cost']:.4g} s  estimate {row['estimate']:.4f}"
                    f"  {row['kind']}: {_shorten(row['formula'])}"
                )
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
        """Plain data (JSON-serialisable) describing the run; :func:`zcfast.load` reads it."""
        from zcfast._load import EVOLVE_RESULT_FORMAT

        return {
            "format": EVOLVE_RESULT_FORMAT,
            "best": self.best.to_dict(),
            "front": [e.to_dict() for e in self.front],
            "history": self.history.to_dicts(),
            "seed": self.seed,
            "interrupted": self.interrupted,
            "stop_reason": self.stop_reason,
            "task_fitness": self.task_fitness,
            "elapsed": self.elapsed,
            "settings": self.settings.to_dict(),
            "data": self.data,
            "members": None if self.members is None else [m.to_dict() for m in self.members],
            "validation": None if self.validation is None else self.validation.to_dicts(),
            "cost_front": (None if self.cost_front is None else self.cost_front.to_dicts()),
        }


def _shorten(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def build_result(
    core: _core.Evolver,
    log: RunLog,
    settings: Settings,
    prepared: Prepared,
    costs: CostModel | None = None,
) -> EvolveResult:
    """The result of a finished run of ``core`` (with ``costs``, its cost front too)."""

    def expression(d: dict[str, Any]) -> Expression:
        return Expression(
            tokens=prepared.remap(d["tokens"]),
            feature_names=prepared.names,
            fitness=d["fitness"],
            validation_fitness=d["validation_fitness"],
            metric=settings.fitness,
        )

    best = core.best()
    if best is None:
        raise InvalidValueError(
            "matrix: expected columns from which a non-constant score can be built, found that"
            " every expression evaluated was constant or non-finite on the training rows"
        )
    train_scores, _ = core.task_scores(best["tokens"])
    validation_rows = None
    if settings.validation_fraction is not None:
        validation_rows = [
            kept[np.asarray(v, dtype=np.int64)]
            for kept, v in zip(prepared.kept, core.validation_rows())
        ]
    assert settings.seed is not None  # resolved before the run
    front = [expression(d) for d in core.front()]
    chosen = expression(best)
    cost_table: pl.DataFrame | None = None
    predictors: list[Expression | Ensemble] | None = None
    if costs is not None:
        table, y = prepared.reference(0)
        candidates = run_candidates(
            [*front, chosen], baseline(prepared).candidates, table, y, settings
        )
        cost_table, predictors = cost_front(candidates, costs)
        row, cost_table = pick(cost_table, settings.cost_tolerance, settings.cost_budget)
        if row is not None:
            picked = cast(Expression, predictors[row])  # a single run's formulas are all flat
            if picked.tokens != chosen.tokens:
                train_scores, validation_scores = core.task_scores(_core_tokens(prepared, picked))
                chosen = replace(
                    picked,
                    fitness=_combine(settings, train_scores),
                    validation_fitness=_combine(settings, validation_scores),
                    metric=settings.fitness,
                )
    return EvolveResult(
        best=chosen,
        front=front,
        history=pl.DataFrame(log.history) if log.history else pl.DataFrame(),
        seed=settings.seed,
        interrupted=log.interrupted,
        stop_reason=log.stop_reason,
        task_fitness=list(train_scores),
        validation_rows=validation_rows,
        elapsed=log.elapsed(),
        settings=settings,
        data=prepared.info(),
        cost_front=cost_table,
        cost_predictors=predictors,
    )


def _core_tokens(prepared: Prepared, e: Expression) -> list[str]:
    """``e``'s tokens over the core's columns (the kept columns, renumbered)."""
    position = {c: k for k, c in enumerate(prepared.kept_cols)}
    return [
        f"x{position[int(t[1:])]}" if t.startswith("x") and t[1:].isdigit() else t for t in e.tokens
    ]


def _combine(settings: Settings, values: list[float | None]) -> float | None:
    """Per-task fitness values combined as the run combines them (None if any is None)."""
    if not values or any(v is None for v in values):
        return None
    known = [float(v) for v in values if v is not None]
    return min(known) if settings.aggregate == "min" else float(np.mean(known))


def member_seed(seed: int, member: int) -> int:
    """The seed of ensemble member ``member`` of a run seeded ``seed``."""
    return int(np.random.SeedSequence([seed, member]).generate_state(1, np.uint64)[0])


def combine_members(
    members: list[EvolveResult],
    samples: list[Prepared],
    prepared: Prepared,
    settings: Settings,
    started: float,
    source: Prepared | None = None,
    quantiles: tuple[QuantileColumn, ...] = (),
    costs: CostModel | None = None,
) -> EvolveResult:
    """The result of bootstrap runs: their ensemble (members referenced to the full training
    table), or the baseline that beats it out of bag; training fitness per task; the
    out-of-bag table of every procedure; every run's history. ``source`` is what the members
    evolved on (``prepared`` with the ``quantiles`` columns appended, if any)."""
    source = prepared if source is None else source
    if settings.validation_fraction is None:
        # A member's held-out rows are those its bootstrap sample left out, and its
        # validation fitness is measured on them (with validation_fraction, both stay the
        # core's: the rows it held out of its sample, and the fitness there).
        for m, sample in zip(members, samples):
            m.validation_rows = [
                np.setdiff1d(all_rows, seen) for all_rows, seen in zip(prepared.kept, sample.kept)
            ]
            oob = _rows_fitness(settings, cast(Expression, m.best), source, m.validation_rows)
            m.best = m.best.with_fitness(m.best.fitness, oob)
    reference, _ = prepared.reference(0)
    # each member is a single run (ensemble=1), so its best is an Expression
    bests = [cast(Expression, m.best) for m in members]
    ensemble = Ensemble.from_members(bests, reference, quantile_columns=quantiles)
    seen = [np.searchsorted(prepared.kept[0], s.kept[0]) for s in samples]
    seeds = [m.seed for m in members]
    best, validation = select(ensemble, seen, prepared, settings, seeds)
    estimate = validation.filter(pl.col("chosen"))["estimate"].item()
    cost_table: pl.DataFrame | None = None
    predictors: list[Expression | Ensemble] | None = None
    if costs is not None:
        table, y = prepared.reference(0)
        fronts = [[*m.front, cast(Expression, m.best)] for m in members]
        evolved_estimate = validation.filter(pl.col("procedure") == "evolved ensemble")[
            "estimate"
        ].item()
        candidates = ensemble_candidates(
            ensemble,
            evolved_estimate,
            fronts,
            seen,
            table,
            y,
            baseline(prepared).candidates,
            settings,
            costs,
        )
        cost_table, predictors = cost_front(candidates, costs)
        row, cost_table = pick(cost_table, settings.cost_tolerance, settings.cost_budget)
        if row is not None:
            best, estimate = predictors[row], cost_table["estimate"][row]
    per_task = [
        _fitness(settings, best.evaluate(table), targets)
        for table, targets in (prepared.reference(t) for t in range(len(prepared.tasks)))
    ]
    valid = [f for f in per_task if f is not None]
    fit = (min(valid) if settings.aggregate == "min" else float(np.mean(valid))) if valid else None
    history = pl.concat(
        [m.history.with_columns(pl.lit(j).alias("member")) for j, m in enumerate(members)],
        how="vertical",
    )
    return EvolveResult(
        best=replace(best, fitness=fit, validation_fitness=estimate, metric=settings.fitness),
        front=_members_front(members, source, settings),
        history=history,
        seed=settings.seed if settings.seed is not None else members[0].seed,
        interrupted=members[-1].interrupted,
        stop_reason=members[-1].stop_reason,
        task_fitness=per_task,
        validation_rows=None,
        elapsed=time.perf_counter() - started,
        settings=settings,
        data={**prepared.info(), "ensemble_members": len(members)},
        members=members,
        validation=validation,
        cost_front=cost_table,
        cost_predictors=predictors,
    )


def _members_front(
    members: list[EvolveResult], source: Prepared, settings: Settings
) -> list[Expression]:
    """The Pareto front (training fitness on all of ``source``'s architectures against size)
    over every formula of every member's front, smallest first."""
    fitter: dict[str, Expression] = {}
    for e in (e for m in members for e in m.front):
        if str(e) not in fitter:
            fit = _rows_fitness(settings, e, source, source.kept)
            if fit is not None:
                fitter[str(e)] = e.with_fitness(fit)
    front: list[Expression] = []
    for e in sorted(fitter.values(), key=lambda e: (e.size, -cast(float, e.fitness))):
        if not front or cast(float, e.fitness) > cast(float, front[-1].fitness):
            front.append(e)
    return front


def _rows_fitness(
    settings: Settings, best: Expression, prepared: Prepared, rows: list[np.ndarray]
) -> float | None:
    """The fitness of ``best`` on the given rows (user row indices, one array per task), as
    the tasks' fitness values combine; None where a task has too few rows or constant scores."""
    values = []
    for t, task_rows in enumerate(rows):
        table, y = prepared.reference(t)
        at = np.searchsorted(prepared.kept[t], task_rows)
        if len(at) < MIN_ROWS:
            return None
        value = _fitness(settings, best.evaluate(table)[at], y[at])
        if value is None:
            return None
        values.append(value)
    return min(values) if settings.aggregate == "min" else float(np.mean(values))


def _fitness(settings: Settings, scores: np.ndarray, targets: np.ndarray) -> float | None:
    try:
        return measure(settings.fitness, scores, targets, settings.top_fraction)
    except InvalidValueError:  # constant scores
        return None
