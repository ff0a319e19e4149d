"""Bagged ensembles, their out-of-bag estimate, and model selection against simple baselines."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest
import zcfast
from zcfast import Ensemble, Expression
from zcfast._ensemble import reference_quantiles
from zcfast.exceptions import InvalidValueError, ShapeError

SMALL = {"population_size": 300, "generations": 10}


def synthetic(n: int = 150, seed: int = 0, noise: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.abs(rng.normal(size=(n, 5))) + 0.1
    y = np.log(X[:, 0] * X[:, 1]) / X[:, 2] + rng.normal(scale=noise, size=n)
    return X, y


def test_reference_quantiles_keep_order_and_bound_the_tails() -> None:
    ref = np.array([1.0, 2.0, 3.0, 4.0])
    q = reference_quantiles(np.array([0.0, 1.0, 2.5, 4.0, 5.0, 1e300, -1e300]), ref)
    assert list(q[:4]) == [-np.tanh(1 / 3) / 4, 0.125, 0.5, 0.875]
    assert 1.0 < q[4] < q[5] <= 1.25 and -0.25 <= q[6] < q[0] < 0
    assert np.all(np.diff(reference_quantiles(np.linspace(-10, 10, 101), ref)) >= 0)


def test_ensemble_evaluates_prints_and_round_trips() -> None:
    X, y = synthetic()
    r = zcfast.evolve(X, y, seed=1, ensemble=4, baselines=False, **SMALL)
    e = r.best
    assert isinstance(e, Ensemble) and len(e.members) == 4 and len(r.members) == 4
    assert str(e).startswith("rank_mean(") and e.size == sum(m.size for m in e.members)
    s = e.evaluate(X)
    means = np.mean(
        [
            reference_quantiles(m.evaluate(X), np.array(ref))
            for m, ref in zip(e.members, e.references)
        ],
        axis=0,
    )
    np.testing.assert_array_equal(s, means)
    assert e.fitness == pytest.approx(zcfast.spearman(s, y))
    for copy in (Ensemble.from_json(e.to_json()), pickle.loads(pickle.dumps(e))):
        assert copy == e and np.array_equal(copy.evaluate(X), s)
    # a row degenerate for any member (a sentinel in a column it reads) ranks last
    bad = X.copy()
    bad[0, :] = -1e8
    assert e.evaluate(bad)[0] == zcfast.DEGENERATE_SCORE
    assert r.history["member"].unique().sort().to_list() == [0, 1, 2, 3]


def test_ensemble_runs_are_deterministic_across_threads() -> None:
    X, y = synthetic(120, 2)
    a = zcfast.evolve(X, y, seed=3, ensemble=3, n_threads=1, **SMALL)
    b = zcfast.evolve(X, y, seed=3, ensemble=3, n_threads=2, **SMALL)
    assert str(a.best) == str(b.best) and a.best.fitness == b.best.fitness
    assert a.validation.equals(b.validation)


def test_out_of_bag_estimates_track_held_out_quality() -> None:
    X, y = synthetic(1100, 4, noise=0.3)
    r = zcfast.evolve(X[:100], y[:100], seed=0, ensemble=8, **SMALL)
    held = zcfast.spearman(r.best.evaluate(X[100:]), y[100:])
    assert abs(r.best.validation_fitness - held) < 0.08
    v = r.validation
    assert v["procedure"].to_list() == ["evolved ensemble", "best single proxy"]
    assert (
        v["chosen"].sum() == 1
        and v.filter(pl.col("chosen"))["estimate"].item() == r.best.validation_fitness
    )
    assert "out-of-bag" in r.summary()


def test_a_proxy_that_dominates_comes_back_unchanged() -> None:
    rng = np.random.default_rng(5)
    X = np.abs(rng.normal(size=(400, 6))) + 0.1
    y = X[:, 3] + rng.normal(scale=0.01, size=400)  # accuracy is x3, nothing more to find
    r = zcfast.evolve(X[:100], y[:100], seed=0, ensemble=6, **SMALL)
    chosen = r.validation.filter(pl.col("chosen"))["procedure"].item()
    held = zcfast.spearman(r.best.evaluate(X[100:]), y[100:])
    assert held >= zcfast.spearman(X[100:, 3], y[100:]) - 0.002, (chosen, str(r.best))


def test_ensemble_input_errors() -> None:
    e = Expression.parse("a", ["a"])
    with pytest.raises(ShapeError, match="members"):
        Ensemble((), ())
    with pytest.raises(ShapeError, match="references"):
        Ensemble((e,), ())
    with pytest.raises(InvalidValueError, match="sorted"):
        Ensemble((e,), ((2.0, 1.0),))
    with pytest.raises(InvalidValueError, match="format"):
        Ensemble.from_json('{"format": "zcfast.expression/1"}')
    with pytest.raises(InvalidValueError, match="degenerate"):
        Ensemble.from_members([e], np.full((5, 1), -1e8))
