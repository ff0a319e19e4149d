"""The scikit-learn estimator: scikit-learn's own checks, pipelines, cross-validation."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import zcfast

pytest.importorskip("sklearn")
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import check_estimator
from zcfast import ProxyEvolver


def data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.abs(rng.normal(size=(n, 4))) + 0.1
    return X, X[:, 0] / X[:, 1] + rng.normal(scale=0.05, size=n)


def test_scikit_learn_estimator_checks_pass() -> None:
    estimator = ProxyEvolver(population_size=50, generations=3, random_state=0, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:300]) for r in results if r["status"] == "failed"
    ]
    assert not failed
    assert len(results) >= 50


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


def test_dataframe_names_and_ensembles() -> None:
    pd = pytest.importorskip("pandas")
    X, y = data(120, 3)
    df = pd.DataFrame(X, columns=["synflow", "nwot", "params", "jacov"])
    model = ProxyEvolver(population_size=200, generations=5, random_state=0, ensemble=3).fit(df, y)
    assert list(model.feature_names_in_) == list(df.columns)
    assert isinstance(model.expression_, zcfast.Ensemble)
    assert set(model.expression_.features) <= set(df.columns)
    assert model.score(df, y) > 0.5


def test_params_round_trip_and_repr() -> None:
    model = ProxyEvolver(generations=7)
    params = model.get_params()
    assert params["generations"] == 7 and params["population_size"] == 2000
    assert model.set_params(population_size=50).population_size == 50
    assert "population_size=50" in repr(model) and "generations=7" in repr(model)
    with pytest.raises(ValueError, match="pop"):
        model.set_params(pop=3)
    assert ProxyEvolver(**model.get_params()).get_params() == model.get_params()


def test_unfitted_predict_is_a_clear_error() -> None:
    with pytest.raises(NotFittedError):
        ProxyEvolver().predict(np.ones((3, 2)))


def test_clone_pipeline_and_cross_validation() -> None:
    X, y = data(120, 1)
    model = ProxyEvolver(population_size=200, generations=5, random_state=1)
    assert clone(model).get_params() == model.get_params()
    scores = cross_val_score(model, X, y, cv=3)
    assert len(scores) == 3 and np.all(scores > 0.5)
    pipe = make_pipeline(
        FunctionTransformer(np.log1p),
        ProxyEvolver(population_size=200, generations=5, random_state=1),
    )
    assert pipe.fit(X, y).score(X, y) > 0.5
