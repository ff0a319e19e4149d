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
    inputs = e.member_inputs(X)  # the columns and their quantile columns
    means = np.mean(
        [
            reference_quantiles(m.evaluate(inputs), np.array(ref))
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


def test_quantile_columns_are_computed_from_the_columns() -> None:
    from zcfast._quantiles import column_quantiles

    ref = np.array([1.0, 2.0, 2.0, 4.0])
    v = np.array([-1e300, 0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 1e300, 1e8, -1e8, np.nan])
    q = column_quantiles(v, ref)
    assert list(q[2:7]) == [0.125, 0.125 + 0.5 * 0.375, 0.5, 0.5 + 0.5 * 0.375, 0.875]
    assert 0.0 <= q[0] < q[1] < 0.125 and 0.875 < q[7] < q[8] <= 1.0  # squashed, bounded
    assert q[9] == 1e8 and q[10] == -1e8 and np.isnan(q[11])  # markers and NaN pass through
    assert np.all(np.diff(column_quantiles(np.linspace(-10, 10, 201), ref)) >= 0)


def test_ensembles_read_quantile_columns_and_take_the_plain_columns() -> None:
    X, y = synthetic()
    names = [f"p{j}" for j in range(X.shape[1])]
    r = zcfast.evolve(X, y, feature_names=names, seed=2, ensemble=5, baselines=False, **SMALL)
    e = r.best
    assert isinstance(e, Ensemble) and e.feature_names == tuple(names)
    assert e.members[0].feature_names == (*names, *(f"q_{n}" for n in names))
    assert e.used_quantile_columns and set(e.features) <= set(names)
    assert any(f.startswith("q_") for m in e.members for f in m.features), str(e)
    s = e.evaluate(X)
    frame = pl.DataFrame({n: X[:, j] for j, n in reversed(list(enumerate(names)))})
    np.testing.assert_array_equal(e.evaluate(frame.with_columns(extra=pl.lit(1.0))), s)
    np.testing.assert_array_equal(e.evaluate({n: X[:, j] for j, n in enumerate(names)}), s)
    for q in e.used_quantile_columns:
        assert q.reference == tuple(np.sort(X[:, names.index(q.column)]))
    for copy in (Ensemble.from_json(e.to_json()), pickle.loads(pickle.dumps(e))):
        assert copy == e and np.array_equal(copy.evaluate(X), s)
    moved = e.with_reference(X[:50])  # member quantiles among other architectures ...
    assert moved.quantile_columns == e.quantile_columns  # ... the columns' stay the training ones
    assert moved.references != e.references and len(moved.references[0]) <= 50
    plain = zcfast.evolve(X, y, seed=2, ensemble=3, quantile_columns=False, **SMALL).best
    assert isinstance(plain, Ensemble) and plain.quantile_columns == ()
    with pytest.raises(ShapeError, match="5 columns"):
        e.evaluate(X[:, :4])


def test_learned_predictors_are_estimated_out_of_bag_and_never_returned() -> None:
    X, y = synthetic(300, 6, noise=0.2)
    args = {"seed": 0, "ensemble": 4, **SMALL}
    plain = zcfast.evolve(X[:100], y[:100], **args)
    r = zcfast.evolve(X[:100], y[:100], learned=["forest", "kernel_ridge"], **args)
    assert str(r.best) == str(plain.best) and r.validation.height == 4
    learned = r.validation.filter(pl.col("procedure").str.starts_with("learned"))
    assert learned["formula"].to_list() == ["forest(5 columns)", "kernel_ridge(5 columns)"]
    assert not learned["chosen"].any()
    assert ((learned["estimate"] > 0.5) & (learned["estimate"] <= 1)).all()
    from zcfast._learned import LEARNED, fit_learned

    for name in LEARNED:
        p = fit_learned(name, X[:100], y[:100], seed=0)
        assert zcfast.spearman(p.evaluate(X[100:]), y[100:]) > 0.5, name


def test_members_evolve_on_subsamples() -> None:
    X, y = synthetic(100, 7)
    r = zcfast.evolve(X, y, seed=0, ensemble=3, **SMALL)
    assert [len(m.validation_rows[0]) for m in r.members] == [20, 20, 20]
    boot = zcfast.evolve(X, y, seed=0, ensemble=3, subsample=None, **SMALL)
    assert all(25 <= len(m.validation_rows[0]) <= 50 for m in boot.members)


def test_an_ensembles_front_spans_every_member_on_all_training_rows() -> None:
    X, y = synthetic()
    r = zcfast.evolve(X, y, seed=3, ensemble=4, baselines=False, **SMALL)
    assert isinstance(r.best, Ensemble)
    inputs = r.best.member_inputs(X)
    sizes = [e.size for e in r.front]
    fits = [e.fitness for e in r.front]
    assert sizes == sorted(sizes) and all(b > a for a, b in zip(fits, fits[1:]))  # type: ignore[operator]
    members = {str(e) for m in r.members for e in m.front}
    assert {str(e) for e in r.front} <= members
    assert len({str(m.front[0]) for m in r.members} & {str(e) for e in r.front}) >= 1
    for e in r.front:
        assert e.fitness == pytest.approx(zcfast.spearman(e.evaluate(inputs), y))


def test_quantile_ensembles_export_and_compute_every_quantile_column() -> None:
    X, y = synthetic()
    e = zcfast.evolve(X, y, seed=3, ensemble=4, baselines=False, **SMALL).best
    assert isinstance(e, Ensemble) and e.quantile_columns
    np.testing.assert_array_equal(e.to_function()(X), e.evaluate(X))
    frame = pl.DataFrame(X, schema=list(e.feature_names))
    np.testing.assert_array_equal(e.to_function()(frame), e.evaluate(X))
    inputs = np.asarray(e.member_inputs(X))
    names = e.members[0].feature_names
    for q in e.quantile_columns:  # read by a member or not (front formulas may read any)
        column = X[:, e.feature_names.index(q.column)]
        np.testing.assert_array_equal(inputs[:, names.index(q.name)], q.of(column))
    np.testing.assert_array_equal(np.asarray(e.member_inputs(frame)), inputs)
