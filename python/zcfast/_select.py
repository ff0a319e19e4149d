"""Model selection by an out-of-bag estimate: the evolved ensemble against simple baselines.

With ``ensemble > 1`` every member evolves on a bootstrap sample of the training
architectures, so each training architecture is out of bag for about a third of the members.
The same samples give the same estimate for the simplest procedure, picking the best single
column (largest |fitness| on the sample, sign included), so that both are judged alike: each
estimate pools, per training architecture, the reference quantiles of the formulas fitted on
the samples that left it out, and measures that pooled score against the targets (the
out-of-bag estimate of bagging). ``evolve`` returns the evolved ensemble only if its estimate
beats the single column's; otherwise the best single column, refitted on all the training
architectures.

A third candidate, the best product or ratio of two columns (about 250 formulas), was measured
and left out: choosing among that many by a noisy estimate lost to the single proxy on held-out
architectures more often (391 of 400 splits no worse, against 400 of 400 without it;
``scripts/generalisation_experiment.py``).

Learned predictors (the ``learned`` setting: random forest, gradient boosting, Gaussian-process
and kernel ridge regression, ``zcfast._learned``) are judged the same way, each fitted on every
member's bootstrap sample and scored on the architectures it left out, so that
``result.validation`` shows whether the evolved proxy beats them on the user's own data; they
are reported, never returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from zcfast._ensemble import Ensemble, reference_quantiles
from zcfast._expression import Expression
from zcfast._learned import LEARNED, column_features, feature_matrix, fit_on
from zcfast._prepare import Prepared
from zcfast._settings import Settings
from zcfast._stats import measure
from zcfast.exceptions import InvalidValueError

__all__ = ["Baseline", "OutOfBag", "baseline", "out_of_bag", "select"]


@dataclass(frozen=True)
class OutOfBag:
    """A procedure's out-of-bag estimate and the spread of its per-sample estimates."""

    estimate: float | None
    spread: float | None


def _score(settings: Settings, scores: np.ndarray, targets: np.ndarray) -> float | None:
    try:
        return measure(settings.fitness, scores, targets, settings.top_fraction)
    except InvalidValueError:  # constant on these rows
        return None


def out_of_bag(
    scores: list[np.ndarray],
    seen: list[np.ndarray],
    y: np.ndarray,
    settings: Settings,
) -> OutOfBag:
    """The pooled out-of-bag estimate of predictors fitted on the rows ``seen[j]`` of the
    training architectures (targets ``y``), ``scores[j]`` being predictor ``j``'s scores of
    all of them."""
    n = len(y)
    total, count = np.zeros(n), np.zeros(n)
    per_sample = []
    for s, rows in zip(scores, seen):
        unseen = np.ones(n, dtype=bool)
        unseen[rows] = False
        q = reference_quantiles(s, np.sort(s[np.isfinite(s)]))
        total[unseen] += q[unseen]
        count[unseen] += 1
        if unseen.sum() >= 3:
            per_sample.append(_score(settings, s[unseen], y[unseen]))
    scored = count > 0
    estimate = (
        _score(settings, total[scored] / count[scored], y[scored]) if scored.sum() >= 3 else None
    )
    valid = [v for v in per_sample if v is not None]
    return OutOfBag(estimate, float(np.std(valid)) if len(valid) > 1 else None)


@dataclass(frozen=True)
class Baseline:
    """A family of simple formulas and the best of them on some rows."""

    name: str
    candidates: list[Expression]

    def best(
        self, table: object, y: np.ndarray, rows: np.ndarray, settings: Settings
    ) -> Expression:
        """The candidate with the largest |fitness| on ``rows``, negated if it falls."""
        best, best_value = self.candidates[0], -np.inf
        for c in self.candidates:
            s = c.evaluate(table)[rows]
            value = _score(settings, s, y[rows])
            if value is not None and abs(value) > best_value:
                best, best_value = (c if value >= 0 else _negated(c)), abs(value)
        return best


def _negated(e: Expression) -> Expression:
    return Expression(tokens=(*e.tokens, "neg"), feature_names=e.feature_names)


def baseline(prepared: Prepared) -> Baseline:
    """The best single column (for a layer table: summed over each architecture's layers)."""
    names = prepared.names
    cols = [f"x{c}" for c in prepared.kept_cols]
    if prepared.layerwise:
        summed = [Expression((c, "sum_layers"), names) for c in cols]
        return Baseline("best single primitive (summed over layers)", summed)
    return Baseline("best single proxy", [Expression((c,), names) for c in cols])


def validation_table(rows: list[tuple[str, str, OutOfBag, bool]]) -> pl.DataFrame:
    """The table ``result.validation`` shows: one row per procedure."""
    return pl.DataFrame(
        {
            "procedure": [r[0] for r in rows],
            "formula": [r[1] for r in rows],
            "estimate": pl.Series([r[2].estimate for r in rows], dtype=pl.Float64),
            "spread": pl.Series([r[2].spread for r in rows], dtype=pl.Float64),
            "chosen": [r[3] for r in rows],
        }
    )


def select(
    ensemble: Ensemble,
    seen: list[np.ndarray],
    prepared: Prepared,
    settings: Settings,
    seeds: list[int] | None = None,
) -> tuple[Expression | Ensemble, pl.DataFrame]:
    """The ensemble, or the best single column where the ensemble does not beat it out of bag
    on task 0, and the table of the estimates (learned predictors' too, with the ``learned``
    setting). ``seen[j]``: training rows of member ``j``, seeded ``seeds[j]``."""
    table, y = prepared.reference(0)
    evolved = out_of_bag(ensemble.member_scores(table), seen, y, settings)
    rows = [("evolved ensemble", str(ensemble), evolved, True)]
    chosen: Expression | Ensemble = ensemble
    if settings.baselines:
        family = baseline(prepared)
        fitted = [family.best(table, y, r, settings) for r in seen]
        simple = out_of_bag([f.evaluate(table) for f in fitted], seen, y, settings)
        single = family.best(table, y, np.arange(len(y)), settings)
        keep_single = _key(simple.estimate) >= _key(evolved.estimate)
        rows = [
            ("evolved ensemble", str(ensemble), evolved, not keep_single),
            (family.name, str(single), simple, keep_single),
        ]
        chosen = single if keep_single else ensemble
    for name in settings.learned:
        rows.append(_learned_row(name, prepared, seen, seeds, settings))
    return chosen, validation_table(rows)


def _learned_row(
    name: str,
    prepared: Prepared,
    seen: list[np.ndarray],
    seeds: list[int] | None,
    settings: Settings,
) -> tuple[str, str, OutOfBag, bool]:
    """The out-of-bag estimate of the learned predictor ``name``, fitted on each member's
    sample of task 0's architectures."""
    table, y = prepared.reference(0)
    features = tuple(column_features(prepared.names, prepared.kept_cols, prepared.layerwise))
    x = feature_matrix(features, table)
    scores = []
    for j, rows in enumerate(seen):
        seed = seeds[j] if seeds is not None else j
        predictor = fit_on(name, features, x[rows], y[rows], seed)
        scores.append(predictor.predict(x))
    estimate = out_of_bag(scores, seen, y, settings)
    return f"learned: {LEARNED[name]}", f"{name}({len(features)} columns)", estimate, False


def _key(estimate: float | None) -> float:
    return -np.inf if estimate is None else estimate
