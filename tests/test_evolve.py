"""zcfast.evolve: results, determinism, multi-task, validation, stopping, missing values."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import zcfast
from zcfast import _core
from zcfast.exceptions import InvalidValueError


def synthetic(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.abs(rng.normal(size=(n, 5))) + 0.1
    y = np.log(X[:, 0] * X[:, 1]) / X[:, 2] + rng.normal(scale=0.05, size=n)
    return X, y


# One GP run: these tests look at the engine's result (ensembles have tests of their own).
SMALL = dict(population_size=300, generations=10, ensemble=1)


def test_result_contents() -> None:
    X, y = synthetic()
    r = zcfast.evolve(X, y, seed=3, **SMALL)
    assert isinstance(r.best, zcfast.Expression)
    assert r.best.fitness == pytest.approx(zcfast.spearman(r.best.evaluate(X), y), abs=1e-12)
    assert r.best.metric == "spearman" and r.seed == 3
    assert r.history.height == 10 and r.stop_reason == "generations" and not r.interrupted
    assert set(r.history.columns) >= {
        "generation",
        "best_fitness",
        "mean_fitness",
        "best_size",
        "mean_size",
        "invalid_fraction",
        "evaluations",
        "seconds",
    }
    assert r.history["generation"].to_list() == list(range(10))
    assert r.best.fitness > 0.9
    sizes = [e.size for e in r.front]
    fits = [e.fitness for e in r.front]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    assert all(a < b for a, b in zip(fits, fits[1:]))
    assert r.task_fitness == [pytest.approx(r.best.fitness)]
    assert "best:" in r.summary()
    assert r.to_dict()["best"]["postfix"] == list(r.best.tokens)


def test_feature_names_come_from_dataframes() -> None:
    X, y = synthetic()
    df = pl.DataFrame(X, schema=["synflow", "nwot", "params", "jacov", "snip"])
    r = zcfast.evolve(df, y, seed=1, **SMALL)
    assert r.best.feature_names == ("synflow", "nwot", "params", "jacov", "snip")
    assert set(r.best.features) <= set(df.columns)
    assert any(name in str(r.best) for name in df.columns)
    np.testing.assert_array_equal(r.best.evaluate(df), r.best.evaluate(X))
    r2 = zcfast.evolve(df.to_pandas(), y, seed=1, **SMALL)
    assert r2.best == r.best
    r3 = zcfast.evolve(X.tolist(), list(y), feature_names=list(df.columns), seed=1, **SMALL)
    assert r3.best == r.best


@pytest.mark.parametrize("fitness", ["spearman", "kendall", "pearson"])
def test_same_seed_same_result_for_any_thread_count(fitness: str) -> None:
    X, y = synthetic(150, 1)
    a = zcfast.evolve(X, y, seed=7, n_threads=1, fitness=fitness, **SMALL)
    b = zcfast.evolve(X, y, seed=7, n_threads=2, fitness=fitness, **SMALL)
    assert a.best == b.best and str(a.best) == str(b.best)
    assert a.best.fitness == b.best.fitness
    assert a.history.drop("seconds").equals(b.history.drop("seconds"))
    assert [e.tokens for e in a.front] == [e.tokens for e in b.front]


def test_different_seeds_explore_differently() -> None:
    X, y = synthetic(150, 2)
    runs = {
        zcfast.evolve(X, y, seed=s, **SMALL).history["mean_fitness"].to_list()[-1] for s in range(3)
    }
    assert len(runs) == 3


def test_fitness_choice_is_what_is_reported() -> None:
    X, y = synthetic()
    r = zcfast.evolve(X, y, seed=0, fitness="kendall", **SMALL)
    assert r.best.fitness == pytest.approx(zcfast.kendall(r.best.evaluate(X), y), abs=1e-12)
    r = zcfast.evolve(X, y, seed=0, fitness="pearson", **SMALL)
    assert r.best.fitness == pytest.approx(zcfast.pearson(r.best.evaluate(X), y), abs=1e-12)


def test_function_subset_is_respected() -> None:
    X, y = synthetic()
    r = zcfast.evolve(X, y, seed=0, functions=["add", "mul"], **SMALL)
    for e in [r.best, *r.front]:
        assert {t for t in e.tokens if not t.startswith("x")} <= {"add", "mul"}
    r = zcfast.evolve(
        X,
        y,
        seed=0,
        constants=(-1.0, 1.0),
        functions=["add", "mul", "max"],
        population_size=300,
        generations=5,
        ensemble=1,
    )
    assert all(t in ("add", "mul", "max") or t[0] in "xc" for t in r.best.tokens)


def test_size_limit_and_parsimony() -> None:
    X, y = synthetic()
    r = zcfast.evolve(X, y, seed=0, max_size=7, init_depth=(1, 2), **SMALL)
    assert all(e.size <= 7 for e in [r.best, *r.front])
    lean = zcfast.evolve(X, y, seed=0, parsimony=0.05, **SMALL)
    assert lean.history["mean_size"][-1] < r.history["mean_size"][-1] + 5
    assert lean.best.size <= 7


def test_multi_task_mean_and_min() -> None:
    (X1, y1), (X2, y2) = synthetic(100, 3), synthetic(80, 4)
    r = zcfast.evolve([X1, X2], [y1, y2], seed=2, **SMALL)
    per_task = [zcfast.spearman(r.best.evaluate(X), y) for X, y in ((X1, y1), (X2, y2))]
    assert r.task_fitness == pytest.approx(per_task, abs=1e-12)
    assert r.best.fitness == pytest.approx(np.mean(per_task), abs=1e-12)
    r = zcfast.evolve([X1, X2], [y1, y2], seed=2, aggregate="min", **SMALL)
    per_task = [zcfast.spearman(r.best.evaluate(X), y) for X, y in ((X1, y1), (X2, y2))]
    assert r.best.fitness == pytest.approx(min(per_task), abs=1e-12)


def test_validation_fraction_selects_on_held_out_rows() -> None:
    X, y = synthetic(200, 5)
    r = zcfast.evolve(X, y, seed=4, validation_fraction=0.25, **SMALL)
    (val_rows,) = r.validation_rows
    assert len(val_rows) == 50 and len(np.unique(val_rows)) == 50
    train_rows = np.setdiff1d(np.arange(200), val_rows)
    assert r.best.validation_fitness == pytest.approx(
        zcfast.spearman(r.best.evaluate(X[val_rows]), y[val_rows]), abs=1e-12
    )
    assert r.best.fitness == pytest.approx(
        zcfast.spearman(r.best.evaluate(X[train_rows]), y[train_rows]), abs=1e-12
    )
    candidates = [e.validation_fitness for e in r.front]
    assert r.best.validation_fitness >= max(candidates) - 1e-12


def test_stopping_rules() -> None:
    X, y = synthetic()
    # Far more generations than any machine runs in 0.2 s (a few hundred here).
    r = zcfast.evolve(
        X, y, seed=0, population_size=200, generations=10**6, time_limit=0.2, ensemble=1
    )
    assert r.stop_reason == "time_limit" and r.history.height < 10**6
    r = zcfast.evolve(
        X, y, seed=0, population_size=200, generations=50, target_fitness=0.5, ensemble=1
    )
    assert r.stop_reason == "target_fitness" and r.best.fitness >= 0.5
    seen: list[int] = []

    def stop_at_three(stats: dict) -> bool:
        seen.append(stats["generation"])
        return stats["generation"] == 2

    r = zcfast.evolve(X, y, seed=0, callback=stop_at_three, **SMALL)
    assert r.stop_reason == "callback" and seen == [0, 1, 2] and r.history.height == 3


def test_ctrl_c_returns_the_best_so_far() -> None:
    X, y = synthetic()

    def interrupt(stats: dict) -> None:
        if stats["generation"] == 3:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 4 generation"):
        r = zcfast.evolve(X, y, seed=0, callback=interrupt, **SMALL)
    assert r.interrupted and r.stop_reason == "interrupted" and r.history.height == 4
    assert r.best.fitness > 0.5


def test_progress_bar_runs(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = synthetic()
    r = zcfast.evolve(X, y, seed=0, progress=True, population_size=100, generations=3, ensemble=2)
    assert r.history.height == 6
    assert "evolve" in capsys.readouterr().err


def test_constant_and_sentinel_columns_are_accepted() -> None:
    X, y = synthetic()
    X = np.column_stack([X, np.full(len(y), 2.0), np.where(np.arange(len(y)) % 5 == 0, -1e8, 1.0)])
    r = zcfast.evolve(X, y, seed=0, **SMALL)
    assert r.best.fitness > 0.9


def test_missing_value_policies() -> None:
    X, y = synthetic()
    X = X.copy()
    X[3, 1] = np.nan
    X[7, 4] = -np.inf
    with pytest.raises(InvalidValueError) as info:
        zcfast.evolve(X, y, seed=0, **SMALL)
    msg = str(info.value)
    assert "'x1' (1 rows)" in msg and "'x4' (1 rows)" in msg and "missing=" in msg
    r = zcfast.evolve(X, y, seed=0, missing="drop_columns", **SMALL)
    assert "x1" not in r.best.features and "x4" not in r.best.features
    assert r.data["dropped_columns"] == ["x1", "x4"]
    assert np.isfinite(r.best.evaluate(np.delete(X, [3, 7], axis=0))).all()
    r = zcfast.evolve(X, y, seed=0, missing="drop_rows", **SMALL)
    assert r.data["n_archs"] == [len(y) - 2]
    r = zcfast.evolve(X, y, seed=0, missing="sentinel", **SMALL)
    assert r.data["n_archs"] == [len(y)]
    df = pl.DataFrame({"a": [1.0, None, 3.0, 4.0], "b": [4.0, 3.0, 1.0, 2.0]})
    with pytest.raises(InvalidValueError, match="'a'"):
        zcfast.evolve(df, [1, 2, 3, 4], **SMALL)


def test_inputs_are_not_mutated() -> None:
    X, y = synthetic()
    X[0, 0] = np.nan
    Xc, yc = X.copy(), y.copy()
    df = pl.DataFrame(X)
    dfc = df.clone()
    zcfast.evolve(X, y, seed=0, missing="sentinel", **SMALL)
    zcfast.evolve(df, y, seed=0, missing="drop_rows", **SMALL)
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(y, yc)
    assert df.equals(dfc)


def test_python_defaults_match_the_core() -> None:
    core = _core.default_config()
    python = zcfast.Settings().to_dict()
    assert set(python) == set(core), "zcfast.Settings and the core's Config name the same settings"
    for name in set(python) - {"seed", "n_threads"}:  # None in Python: drawn / all cores
        assert python[name] == (
            list(core[name]) if isinstance(core[name], tuple) else core[name]
        ), name
    assert list(zcfast.DEFAULT_FUNCTIONS) == core["functions"]
    assert sorted(zcfast.FUNCTIONS) == sorted(_core.function_names())
    assert sorted(zcfast.REDUCERS) == sorted(_core.reducer_names())


def test_settings_round_trip_and_repeat_a_run() -> None:
    X, y = synthetic()
    r = zcfast.evolve(X, y, **SMALL)
    assert r.settings.seed == r.seed and r.settings.n_threads is not None
    again = zcfast.evolve(X, y, r.settings)
    assert again.best == r.best and again.best.fitness == r.best.fitness
    import json

    copy = zcfast.Settings.from_dict(json.loads(json.dumps(r.settings.to_dict())))
    assert copy == r.settings
    assert zcfast.Settings(functions=["add", "mul"]).functions == ("add", "mul")
