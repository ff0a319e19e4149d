"""Cost-aware proxies: what a formula costs per architecture, and the front of estimated
held-out quality against that cost.

A formula reads some proxies (or per-layer primitives), and computing them for a new
architecture costs time. ``evolve(..., costs=...)`` takes what each costs, either an object
with ``cost_of(names) -> float`` (seconds per architecture for computing that *set* of
proxies, as ``zcfast.metrics.proxy_costs`` measures it: fused proxies share passes, so a set
costs less than the sum of its members) or a plain mapping of per-proxy seconds (a set then
costs the sum). ``result.cost_front`` lists the formulas the run produced with their cost and
estimated quality, cheapest first, keeping only those that no cheaper one matches; the
``cost_tolerance`` and ``cost_budget`` settings make ``result.best`` the cheapest formula
within a tolerance of the best estimate, or the best one within a budget.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from zcfast._ensemble import Ensemble
from zcfast._expression import Expression
from zcfast._messages import describe_value
from zcfast._settings import Settings
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, UnknownNameError

__all__ = [
    "Candidate",
    "CostModel",
    "as_cost_model",
    "cost_front",
    "ensemble_candidates",
    "pick",
    "run_candidates",
]

Predictor = Expression | Ensemble


class CostModel:
    """Seconds per architecture for computing a set of columns, from a ``cost_of`` object or
    a mapping of per-column seconds (summed), checked for every column of the table."""

    def __init__(self, cost_of: Callable[[list[str]], Any], names: Sequence[str]) -> None:
        self._cost_of = cost_of
        self._cache: dict[tuple[str, ...], float] = {}
        for name in names:  # every column must have a cost, alone
            self.of([name])

    def of(self, columns: Iterable[str]) -> float:
        """The cost of computing ``columns`` together (0 for none)."""
        key = tuple(sorted(set(columns)))
        if not key:
            return 0.0
        if key not in self._cache:
            try:
                value = self._cost_of(list(key))
            except UnknownNameError:
                raise
            except (KeyError, LookupError) as exc:
                raise UnknownNameError(
                    f"costs: expected a cost for every column, found none for {exc}"
                ) from None
            except Exception as exc:
                raise InvalidValueError(
                    f"costs: expected cost_of({list(key)}) to return seconds per architecture,"
                    f" found that it raised {type(exc).__name__}: {exc}"
                ) from None
            self._cache[key] = _seconds(key, value)
        return self._cache[key]


def _seconds(key: tuple[str, ...], value: object) -> float:
    what = f"costs: expected a finite number >= 0 of seconds for {list(key)}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ArgumentTypeError(f"{what}, found {describe_value(value)}")
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise InvalidValueError(f"{what}, found {describe_value(value)}")
    return v


def as_cost_model(costs: object, names: Sequence[str]) -> CostModel | None:
    """``costs`` (None, a ``cost_of`` object or a mapping of per-column seconds) as a
    :class:`CostModel` over the columns ``names``.

    Example
    -------
    >>> as_cost_model({"a": 0.5, "b": 0.25}, ["a", "b"]).of(["a", "b"])
    0.75
    """
    if costs is None:
        return None
    if isinstance(costs, Mapping):
        table = dict(costs)
        missing = [n for n in names if n not in table]
        if missing:
            raise UnknownNameError(
                "costs: expected seconds per architecture for every column, found none for"
                f" {', '.join(repr(m) for m in missing[:10])}"
            )
        for n in names:
            _seconds((n,), table[n])
        return CostModel(lambda cols: sum(float(table[c]) for c in cols), names)
    cost_of = getattr(costs, "cost_of", None)
    if not callable(cost_of):
        raise ArgumentTypeError(
            "costs: expected an object with cost_of(names) (such as"
            " zcfast.metrics.proxy_costs returns) or a dict of per-proxy seconds, found"
            f" {describe_value(costs)}"
        )
    return CostModel(cost_of, names)


@dataclass(frozen=True)
class Candidate:
    """A formula the run produced, what kind it is, and its estimate of held-out quality."""

    kind: str
    predictor: Predictor
    estimate: float | None


def cost_front(
    candidates: list[Candidate], model: CostModel
) -> tuple[pl.DataFrame, list[Predictor]]:
    """The candidates no cheaper (or equally cheap) one matches in estimate, cheapest first:
    a table with columns ``formula``, ``kind``, ``proxies``, ``cost`` (seconds per
    architecture), ``estimate``, ``size`` and ``chosen`` (False; :func:`pick` marks the
    returned one), and the Expression or Ensemble of each row."""
    scored = []
    for c in candidates:
        if c.estimate is None or not math.isfinite(c.estimate):
            continue
        scored.append((model.of(c.predictor.features), -c.estimate, c.predictor.size, c))
    scored.sort(key=lambda t: (t[0], t[1], t[2]))
    front: list[tuple[float, Candidate]] = []
    seen: set[str] = set()
    best = -math.inf
    for cost, _, _, c in scored:
        assert c.estimate is not None
        formula = str(c.predictor)
        if c.estimate > best and formula not in seen:
            front.append((cost, c))
            seen.add(formula)
            best = c.estimate
    return pl.DataFrame(
        {
            "formula": [str(c.predictor) for _, c in front],
            "kind": [c.kind for _, c in front],
            "proxies": pl.Series(
                [sorted(c.predictor.features) for _, c in front], dtype=pl.List(pl.String)
            ),
            "cost": pl.Series([cost for cost, _ in front], dtype=pl.Float64),
            "estimate": pl.Series([c.estimate for _, c in front], dtype=pl.Float64),
            "size": pl.Series([c.predictor.size for _, c in front], dtype=pl.Int64),
            "chosen": [False] * len(front),
        }
    ), [c.predictor for _, c in front]


def pick(
    front: pl.DataFrame, tolerance: float | None, budget: float | None
) -> tuple[int | None, pl.DataFrame]:
    """The row of ``front`` that the cost settings choose (None when neither is set), and the
    front with that row's ``chosen`` set: within ``budget`` (seconds per architecture) the
    entries count, and among them the cheapest whose estimate is within ``tolerance`` of
    the best one (with no tolerance, the best one)."""
    if (tolerance is None and budget is None) or front.height == 0:
        return None, front
    costs = front["cost"].to_numpy()
    estimates = front["estimate"].to_numpy()
    allowed = np.ones(front.height, dtype=bool) if budget is None else costs <= budget
    if not allowed.any():
        warnings.warn(
            f"cost_budget: no formula of the run costs at most {budget:g} s per architecture"
            f" (the cheapest costs {costs.min():g} s); returning the cheapest",
            RuntimeWarning,
            stacklevel=4,
        )
        allowed[int(np.argmin(costs))] = True
    top = estimates[allowed].max()
    margin = 0.0 if tolerance is None else tolerance
    # the front is sorted by cost, so the first allowed entry within the margin is the cheapest
    row = int(np.flatnonzero(allowed & (estimates >= top - margin - 1e-12))[0])
    chosen = np.zeros(front.height, dtype=bool)
    chosen[row] = True
    return row, front.with_columns(pl.Series("chosen", chosen))


def _score(settings: Settings, scores: np.ndarray, y: np.ndarray) -> float | None:
    from zcfast._stats import measure

    if len(y) < 3:
        return None
    try:
        value = measure(settings.fitness, scores, y, settings.top_fraction)
    except InvalidValueError:  # constant on these rows
        return None
    return value if math.isfinite(value) else None


def _for_table(e: Expression, ensemble: Ensemble, table: object) -> Predictor:
    """A member formula as something that scores the user's table: the formula itself over
    the table's columns, or (if it reads quantile columns) a one-member ensemble that
    computes them."""
    raw = ensemble.feature_names
    computed = {e.feature_names.index(q.name) for q in ensemble.quantile_columns}
    if not any(t.startswith("x") and t[1:].isdigit() and int(t[1:]) in computed for t in e.tokens):
        return Expression(e.tokens, raw)
    return Ensemble.from_members([e], table, quantile_columns=ensemble.quantile_columns)


def _sources(e: Expression, ensemble: Ensemble) -> frozenset[str]:
    source = {q.name: q.column for q in ensemble.quantile_columns}
    return frozenset(source.get(f, f) for f in e.features)


def _signed(e: Expression, value: float | None) -> tuple[Expression, float | None]:
    if value is not None and value < 0:
        return Expression((*e.tokens, "neg"), e.feature_names), -value
    return e, value


#: Fewest members a cheaper ensemble needs (fewer leave most training architectures without
#: an out-of-bag score).
MIN_MEMBERS = 3


def ensemble_candidates(
    ensemble: Ensemble,
    ensemble_estimate: float | None,
    fronts: Sequence[Sequence[Expression]],
    seen: Sequence[np.ndarray],
    table: object,
    y: np.ndarray,
    singles: Sequence[Expression],
    settings: Settings,
    model: CostModel,
) -> list[Candidate]:
    """The formulas of an ensemble run with their estimates of held-out quality, all pooled
    out of bag so that they compare with the ensemble's own estimate: the ensemble; for every
    set of columns that some formula of some member's front reads, the cheaper ensemble of
    each member's fittest front formula within those columns (on the member's own sample;
    a set that at least :data:`MIN_MEMBERS` members reach), or that formula alone where the
    members agree on it; and each single column, sign included (its fitness on all training
    architectures, which chose nothing but the sign)."""
    from zcfast._select import out_of_bag

    inputs = ensemble.member_inputs(table)
    out = [Candidate("ensemble", ensemble, ensemble_estimate)]
    formulas = [
        [(e, _sources(e, ensemble), -np.inf if e.fitness is None else e.fitness) for e in front]
        for front in fronts
    ]
    scored: dict[tuple[int, str], np.ndarray] = {}
    sets = sorted(
        {cols for front in formulas for _, cols, _ in front}, key=lambda c: (model.of(c), len(c))
    )
    offered: set[tuple[str, ...]] = {tuple(str(m) for m in ensemble.members)}
    for columns in sets:
        picks = []
        for j, front in enumerate(formulas):
            inside = [(fit, e) for e, cols, fit in front if cols <= columns]
            if inside:
                picks.append((j, max(inside, key=lambda t: t[0])[1]))
        key = tuple(str(e) for _, e in picks)
        if len(picks) < MIN_MEMBERS or key in offered:
            continue
        offered.add(key)
        scores = []
        for j, e in picks:
            if (j, str(e)) not in scored:
                scored[(j, str(e))] = e.evaluate(inputs)
            scores.append(scored[(j, str(e))])
        estimate = out_of_bag(scores, [seen[j] for j, _ in picks], y, settings).estimate
        distinct = list(dict.fromkeys(e for _, e in picks))
        if len(distinct) == 1:
            out.append(Candidate("formula", _for_table(distinct[0], ensemble, table), estimate))
        else:
            cheaper = Ensemble.from_members(
                [e for _, e in picks], table, quantile_columns=ensemble.quantile_columns
            )
            out.append(Candidate("cheaper ensemble", cheaper, estimate))
    for e in singles:
        out.append(Candidate("single column", *_signed(e, _score(settings, e.evaluate(table), y))))
    return out


def run_candidates(
    front: Sequence[Expression],
    singles: Sequence[Expression],
    table: object,
    y: np.ndarray,
    settings: Settings,
) -> list[Candidate]:
    """The formulas of a single run: its front (each formula's validation fitness when the
    run held architectures out, else its training fitness) and each single column, sign
    included (training fitness)."""
    out = [
        Candidate(
            "evolved", e, e.validation_fitness if e.validation_fitness is not None else e.fitness
        )
        for e in front
    ]
    for e in singles:
        out.append(Candidate("single column", *_signed(e, _score(settings, e.evaluate(table), y))))
    return out
