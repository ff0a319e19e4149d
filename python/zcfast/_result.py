"""``EvolveResult``: what an evolution returns, built from the core's state after the run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from zcfast import _core
from zcfast._ensemble import Ensemble, reference_quantiles
from zcfast._expression import Expression
from zcfast._prepare import Prepared
from zcfast._run import RunLog
from zcfast._settings import Settings
from zcfast._stats import measure
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
        Per task, the rows (flat tables) or architectures (layer tables: positions in the
        table's architecture order) held out for validation, as indices into what was
        passed in.
    elapsed : float
        Wall-clock seconds.
    settings : Settings
        Every setting of the run, with the seed and thread count it used:
        ``zcfast.evolve(matrix, targets, result.settings)`` repeats it.
    data : dict
        What was evolved on: tasks, architectures and units per task, feature names, columns
        dropped by the ``missing`` policy.
    members : list of EvolveResult or None
        With ``ensemble > 1``, the result of each bootstrap run (its ``validation_rows`` hold
        the architectures the run did not see).
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

    def summary(self) -> str:
        """A few readable lines: formula, fitness, size, generations, time."""
        lines = [
            f"best:     {self.best}",
            f"fitness:  {self.best.fitness:.4f} ({self.settings.fitness}, training)",
        ]
        if self.best.validation_fitness is not None:
            what = "out-of-bag" if isinstance(self.best, Ensemble) else "validation"
            lines.append(f"{what}: {self.best.validation_fitness:.4f}")
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
            "settings": self.settings.to_dict(),
            "data": self.data,
            "members": None if self.members is None else [m.to_dict() for m in self.members],
        }


def build_result(
    core: _core.Evolver, log: RunLog, settings: Settings, prepared: Prepared
) -> EvolveResult:
    """The result of a finished run of ``core``."""

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
    return EvolveResult(
        best=expression(best),
        front=[expression(d) for d in core.front()],
        history=pl.DataFrame(log.history) if log.history else pl.DataFrame(),
        seed=settings.seed,
        interrupted=log.interrupted,
        stop_reason=log.stop_reason,
        task_fitness=list(train_scores),
        validation_rows=validation_rows,
        elapsed=log.elapsed(),
        settings=settings,
        data=prepared.info(),
    )


def member_seed(seed: int, member: int) -> int:
    """The seed of ensemble member ``member`` of a run seeded ``seed``."""
    return int(np.random.SeedSequence([seed, member]).generate_state(1, np.uint64)[0])


def combine_members(
    members: list[EvolveResult],
    samples: list[Prepared],
    prepared: Prepared,
    settings: Settings,
    started: float,
) -> EvolveResult:
    """The ensemble result of bootstrap runs: members referenced to the full training table,
    training fitness per task, the out-of-bag estimate, every run's history."""
    reference, y = prepared.reference(0)
    ensemble = Ensemble.from_members([m.best for m in members], reference)
    per_task = []
    for t in range(len(prepared.tasks)):
        table, targets = prepared.reference(t)
        per_task.append(_fitness(settings, ensemble.evaluate(table), targets))
    fit = min(per_task) if settings.aggregate == "min" else float(np.mean(per_task))
    oob = _out_of_bag(ensemble, members, samples, prepared, settings)
    for m, sample in zip(members, samples):
        m.validation_rows = [
            np.setdiff1d(all_rows, seen) for all_rows, seen in zip(prepared.kept, sample.kept)
        ]
    history = pl.concat(
        [m.history.with_columns(pl.lit(j).alias("member")) for j, m in enumerate(members)],
        how="vertical",
    )
    return EvolveResult(
        best=replace(ensemble, fitness=fit, validation_fitness=oob, metric=settings.fitness),
        front=members[0].front,
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
    )


def _fitness(settings: Settings, scores: np.ndarray, targets: np.ndarray) -> float | None:
    try:
        return measure(settings.fitness, scores, targets, settings.top_fraction)
    except InvalidValueError:  # constant scores
        return None


def _out_of_bag(
    ensemble: Ensemble,
    members: list[EvolveResult],
    samples: list[Prepared],
    prepared: Prepared,
    settings: Settings,
) -> float | None:
    """Fitness on task 0 of each training architecture's mean quantile over the members whose
    bootstrap sample left it out."""
    table, y = prepared.reference(0)
    n = len(y)
    total, count = np.zeros(n), np.zeros(n)
    for m, ref, sample in zip(ensemble.members, ensemble.references, samples):
        unseen = np.ones(n, dtype=bool)
        unseen[np.searchsorted(prepared.kept[0], sample.kept[0])] = False
        q = reference_quantiles(m.evaluate(table), np.asarray(ref))
        total[unseen] += q[unseen]
        count[unseen] += 1
    scored = count > 0
    if scored.sum() < 3:
        return None
    return _fitness(settings, total[scored] / count[scored], y[scored])
