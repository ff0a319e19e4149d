"""How a proxy evolved on one task ranks others, unchanged.

On the NAS-Bench-Suite-Zero NB201 tasks (the same cells scored for CIFAR-10, CIFAR-100 and
ImageNet16-120) and NB101 CIFAR-10, for 10 splits (``numpy.random.default_rng(split)``) of 100
training cells, with default settings:

* trained on CIFAR-10, evaluated on the other cells of CIFAR-10, CIFAR-100, ImageNet16-120;
* trained on NB201 CIFAR-10 over the proxies NB101 also has (no nwot), evaluated on NB101;
* trained on CIFAR-10 and CIFAR-100 together (``aggregate="mean"`` and ``"min"``, the same 100
  cells of each), evaluated on held-out cells of all three (ImageNet16-120 unseen);
* for reference, each task trained on its own 100 cells, and the best single proxy chosen on
  the training cells of the training task;
* side by side, the learned predictors of ``zcfast._learned`` (random forest, gradient
  boosting, Gaussian-process and kernel ridge regression) fitted on the same training cells
  of the same task(s) and evaluated on the same held-out cells.

Reported: median held-out Spearman over the splits.

python scripts/transfer_experiment.py        # a few minutes on 2 cores
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NASLIB = ROOT.parent / "shared" / "data" / "naslib"
TASKS = ("cifar10", "cifar100", "ImageNet16-120")
SPLITS = range(10)


def load() -> dict[str, Any]:
    """Each NB201 task restricted to the cells all three share (same row order), and NB101."""
    import polars as pl
    from zcfast import datasets

    frames = {t: datasets.load_suite_zero(NASLIB / "zc_nasbench201.json", t) for t in TASKS}
    common = set.intersection(*(set(f["arch"].to_list()) for f in frames.values()))
    keys = sorted(common)
    out = {}
    for t, f in frames.items():
        f = f.filter(pl.col("arch").is_in(keys)).sort("arch")
        X, y = datasets.features_and_targets(f)
        out[t] = (datasets.replace_missing(X), y.to_numpy())
    X, y = datasets.features_and_targets(datasets.load_suite_zero(NASLIB / "zc_nasbench101.json"))
    out["nb101"] = (datasets.replace_missing(X), y.to_numpy())
    return out


def held_out(expr: Any, X: Any, y: np.ndarray, rows: np.ndarray) -> float:
    import zcfast

    return zcfast.spearman(expr.evaluate(X[rows]), y[rows])


def run(data: dict[str, Any], split: int) -> dict[str, float]:
    """Every transfer figure of one split."""
    import zcfast
    from zcfast._learned import LEARNED, fit_learned

    X10, y10 = data["cifar10"]
    n = len(y10)
    order = np.random.default_rng(split).permutation(n)
    train, test = order[:100], order[100:]
    out: dict[str, float] = {}
    c10 = zcfast.evolve(X10[train], y10[train], seed=split).best
    for t in TASKS:
        X, y = data[t]
        out[f"cifar10 -> {t}"] = held_out(c10, X, y, test)
        own = zcfast.evolve(X[train], y[train], seed=split).best
        out[f"{t} -> {t}"] = held_out(own, X, y, test)
        j, sign = _best_single(X10.to_numpy()[train], y10[train])
        single = sign * X[test].to_numpy()[:, j]
        out[f"best single (cifar10 training) -> {t}"] = zcfast.spearman(single, y[test])
    shared = [c for c in data["nb101"][0].columns if c in X10.columns]
    to101 = zcfast.evolve(X10[train].select(shared), y10[train], seed=split).best
    X101, y101 = data["nb101"]
    out["nb201 cifar10 -> nb101"] = zcfast.spearman(to101.evaluate(X101), y101)
    for name in LEARNED:
        fitted = fit_learned(name, X10[train], y10[train], seed=split)
        for t in TASKS:
            X, y = data[t]
            out[f"{name}: cifar10 -> {t}"] = held_out(fitted, X, y, test)
            own = fit_learned(name, X[train], y[train], seed=split)
            out[f"{name}: {t} -> {t}"] = held_out(own, X, y, test)
        shared_fit = fit_learned(name, X10[train].select(shared), y10[train], seed=split)
        out[f"{name}: nb201 cifar10 -> nb101"] = zcfast.spearman(
            shared_fit.evaluate(X101.select(shared)), y101
        )
    for aggregate in ("mean", "min"):
        both = zcfast.evolve(
            [data["cifar10"][0][train], data["cifar100"][0][train]],
            [data["cifar10"][1][train], data["cifar100"][1][train]],
            seed=split,
            aggregate=aggregate,
        ).best
        for t in TASKS:
            X, y = data[t]
            out[f"cifar10+cifar100 ({aggregate}) -> {t}"] = held_out(both, X, y, test)
    return out


def _best_single(X: np.ndarray, y: np.ndarray) -> tuple[int, float]:
    import zcfast

    rhos = {j: zcfast.spearman(X[:, j], y) for j in range(X.shape[1]) if np.ptp(X[:, j]) > 0}
    j = max(rhos, key=lambda k: abs(rhos[k]))
    return j, float(np.sign(rhos[j]))


def table(results: Sequence[dict[str, float]]) -> str:
    n = len(results)
    lines = [
        f"| trained on -> evaluated on | held-out Spearman, median of {n} splits |",
        "| --- | --- |",
    ]
    for key in results[0]:
        lines.append(f"| {key} | {np.median([r[key] for r in results]):.3f} |")
    return "\n".join(lines)


def main() -> None:
    data = load()
    results = [run(data, s) for s in SPLITS]
    print(table(results))


if __name__ == "__main__":
    main()
