"""Cost-aware proxies: ``evolve(..., costs=)``, ``result.cost_front``, ``cost_tolerance`` and
``cost_budget``, on the NAS-Bench-Suite-Zero NB201 CIFAR-10 sample with the seconds each proxy
took there (the ``time`` of every record) as costs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import zcfast
from zcfast import Ensemble, Expression, datasets
from zcfast.exceptions import ArgumentTypeError, ConfigError, InvalidValueError, UnknownNameError

from .conftest import NB201_JSON

SMALL = {"population_size": 300, "generations": 15, "ensemble": 5, "seed": 0}


@pytest.fixture(scope="module")
def nb201(data_dir: Path) -> tuple[pl.DataFrame, np.ndarray, dict[str, float]]:
    """NB201 CIFAR-10 proxies, accuracies, and each proxy's median stored time (seconds)."""
    df = datasets.load_suite_zero(NB201_JSON, task="cifar10")
    X, y = datasets.features_and_targets(df)
    records = json.loads(NB201_JSON.read_text())["cifar10"].values()
    seconds = {
        c: float(np.median([r[c]["time"] for r in records if isinstance(r.get(c), dict)]))
        for c in X.columns
    }
    return datasets.replace_missing(X), y.to_numpy(), seconds


class Fused:
    """A costs object like ``metrics.proxy_costs`` returns: proxies that share a pass cost
    that pass once (here every proxy but l2_norm, params and flops shares one)."""

    def __init__(self, per_proxy: dict[str, float]) -> None:
        self.per_proxy = per_proxy
        self.calls = 0

    def cost_of(self, names: Iterable[str]) -> float:
        self.calls += 1
        names = set(names)
        static = {"l2_norm", "params", "flops"}
        shared = [self.per_proxy[n] for n in names - static]
        return sum(self.per_proxy[n] for n in names & static) + (max(shared) if shared else 0.0)


def check_front(front: pl.DataFrame) -> None:
    assert front.columns == [
        "formula",
        "kind",
        "proxies",
        "cost",
        "estimate",
        "size",
        "chosen",
    ]
    costs, estimates = front["cost"].to_numpy(), front["estimate"].to_numpy()
    assert np.all(np.diff(costs) >= 0) and np.all(np.diff(estimates) > 0)  # non-dominated
    assert front["chosen"].sum() <= 1


def test_cost_front_and_cost_tolerance(nb201: tuple) -> None:
    X, y, seconds = nb201
    train, test = slice(0, 100), slice(100, None)
    plain = zcfast.evolve(X[train], y[train], **SMALL)
    assert plain.cost_front is None
    r = zcfast.evolve(X[train], y[train], costs=seconds, **SMALL)
    front = r.cost_front
    assert front is not None and front.height >= 3
    check_front(front)
    # costs alone change nothing but the front
    assert not front["chosen"].any() and str(r.best) == str(plain.best)
    assert "single column" in front["kind"].to_list()
    assert r.cost_predictors is not None and len(r.cost_predictors) == front.height
    for row, p in zip(front.iter_rows(named=True), r.cost_predictors):
        assert isinstance(p, (Expression, Ensemble)) and str(p) == row["formula"]
        assert sorted(p.features) == row["proxies"]
        assert row["cost"] == pytest.approx(sum(seconds[c] for c in row["proxies"]))
        assert np.isfinite(p.evaluate(X[test])).all()
    assert "cost" in r.summary() and r.to_dict()["cost_front"][0]["formula"] == front["formula"][0]

    picked = zcfast.evolve(X[train], y[train], costs=seconds, cost_tolerance=0.01, **SMALL)
    f = picked.cost_front
    check_front(f)
    row = f.filter(pl.col("chosen")).row(0, named=True)
    top = f["estimate"].max()
    assert row["estimate"] >= top - 0.01
    assert f.filter(pl.col("cost") < row["cost"])["estimate"].max() < top - 0.01  # the cheapest
    assert str(picked.best) == row["formula"]
    assert picked.best.validation_fitness == pytest.approx(row["estimate"])
    assert picked.best.fitness == pytest.approx(picked.best.score(X[train], y[train]))
    held = zcfast.spearman(picked.best.evaluate(X[test]), y[test])
    assert held > 0.85


def test_cost_budget_and_a_fused_costs_object(nb201: tuple) -> None:
    X, y, seconds = nb201
    fused = Fused(seconds)
    r = zcfast.evolve(X[:100], y[:100], costs=fused, cost_budget=1.0, **SMALL)
    check_front(r.cost_front)
    assert fused.calls > 0
    row = r.cost_front.filter(pl.col("chosen")).row(0, named=True)
    assert row["cost"] <= 1.0
    assert row["estimate"] == r.cost_front.filter(pl.col("cost") <= 1.0)["estimate"].max()
    assert row["cost"] == pytest.approx(fused.cost_of(r.best.features))
    with pytest.warns(RuntimeWarning, match="cost_budget"):
        cheap = zcfast.evolve(X[:100], y[:100], costs=seconds, cost_budget=1e-6, **SMALL)
    assert cheap.cost_front["chosen"][0] and str(cheap.best) == cheap.cost_front["formula"][0]


def test_single_runs_and_layerwise_tables_have_a_cost_front(nb201: tuple) -> None:
    X, y, seconds = nb201
    single = {**SMALL, "ensemble": 1, "validation_fraction": 0.3}
    r = zcfast.evolve(X[:100], y[:100], costs=seconds, cost_tolerance=0.02, **single)
    check_front(r.cost_front)
    assert isinstance(r.best, Expression) and r.best.fitness is not None
    layers = datasets.load_demo_layers()
    accuracy = datasets.accuracy_by_arch(datasets.load_demo())
    names = [c for c in layers.columns if c != "arch"]
    costs = {n: 1.0 + i for i, n in enumerate(names)}
    lw = zcfast.evolve_layerwise(
        layers, accuracy, costs=costs, population_size=200, generations=5, ensemble=3, seed=0
    )
    check_front(lw.cost_front)
    assert all(set(p) <= set(names) for p in lw.cost_front["proxies"].to_list())


def test_cost_errors(nb201: tuple) -> None:
    X, y, seconds = nb201
    args = (X[:100], y[:100])
    with pytest.raises(ConfigError, match="costs"):
        zcfast.evolve(*args, cost_tolerance=0.01, **SMALL)
    with pytest.raises(UnknownNameError, match="jacov"):
        zcfast.evolve(*args, costs={k: v for k, v in seconds.items() if k != "jacov"}, **SMALL)
    with pytest.raises(ArgumentTypeError, match="cost_of"):
        zcfast.evolve(*args, costs=[1.0, 2.0], **SMALL)
    with pytest.raises(InvalidValueError, match="seconds"):
        zcfast.evolve(*args, costs={**seconds, "nwot": -1.0}, **SMALL)
    with pytest.raises(ConfigError, match="cost_tolerance"):
        zcfast.Settings(cost_tolerance=-0.1)
    with pytest.raises(ConfigError, match="cost_budget"):
        zcfast.Settings(cost_budget=0)
