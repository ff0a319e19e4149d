"""``EvolveResult``: what an evolution returns, built from the core's state after the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from zcfast import _core
from zcfast._expression import Expression
from zcfast._prepare import Prepared
from zcfast._run import RunLog
from zcfast._settings import Settings
from zcfast.exceptions import InvalidValueError

__all__ = ["EvolveResult", "build_result"]


@dataclass
class EvolveResult:
    """What :func:`zcfast.evolve` and :func:`zcfast.evolve_layerwise` return.

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
    settings: Settings = field(repr=False)
    data: dict[str, Any] = field(repr=False)

    def summary(self) -> str:
        """A few readable lines: formula, fitness, size, generations, time."""
        lines = [
            f"best:     {self.best}",
            f"fitness:  {self.best.fitness:.4f} ({self.settings.fitness}, training)",
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
            "settings": self.settings.to_dict(),
            "data": self.data,
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
