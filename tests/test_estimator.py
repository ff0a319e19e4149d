"""The scikit-learn style estimator."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import zcfast
from zcfast import ProxyEvolver


def data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.abs(rng.normal(size=(n, 4))) + 0.1
    return X, X[:, 0] / X[:, 1] + rng.normal(scale=0.05, size=n)


def test_fit_predict_score() -> None:
    X, y = data(150, 0)
    model = ProxyEvolver(population_size=300, generations=10, random_state=0)
    assert model.fit(X[:100], y[:100]) is model
    assert model.n_features_in_ == 4
    scores = model.predict(X[100:])
    np.testing.assert_array_equal(scores, model.expression_.evaluate(X[100:]))
    assert model.score(X[100:], y[100:]) == pytest.approx(zcfast.spearman(scores, y[100:]))
    assert model.score(X[100:], y[100:]) > 0.8
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


def test_params_round_trip_and_repr() -> None:
    model = ProxyEvolver(generations=7)
    params = model.get_params()
    assert params["generations"] == 7 and params["population_size"] == 4000
    assert model.set_params(population_size=50).population_size == 50
    assert repr(model) == "ProxyEvolver(population_size=50, generations=7)"
    with pytest.raises(ValueError, match="'pop'"):
        model.set_params(pop=3)
    assert ProxyEvolver(**model.get_params()).get_params() == model.get_params()


def test_unfitted_predict_is_a_clear_error() -> None:
    with pytest.raises(AttributeError, match="fit first"):
        ProxyEvolver().predict(np.ones((3, 2)))


def test_sklearn_clone_and_cross_validation() -> None:
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    X, y = data(120, 1)
    model = ProxyEvolver(population_size=200, generations=5, random_state=1)
    assert clone(model).get_params() == model.get_params()
    scores = cross_val_score(model, X, y, cv=3)
    assert len(scores) == 3 and np.all(scores > 0.5)
    assert sklearn is not None
