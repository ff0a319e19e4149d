"""A complete live search on NAS-Bench-201 with a cost-aware evolved proxy, timed, judged by
the true CIFAR-10 accuracy of what it finds; and the same budget with the all-proxy ensemble
beside it for the ratio.

1. Training data: ``--train`` random cells (seed 0) built as full CIFAR-10 NB201 networks and
   scored live with every proxy on ``--batch`` scikit-learn digits images (32×32), against the
   CIFAR-10 validation accuracy zcfast ships (``zcfast.spaces.nb201.accuracy``).
2. Costs: ``zcfast.metrics.proxy_costs`` on 4 other cells with the same batch, this machine.
3. Proxies: ``zcfast.evolve(..., costs=costs, cost_tolerance=--tolerance)`` — the cheapest
   formula whose out-of-bag estimate is within the tolerance of the best — or, with
   ``--cost-budget SECONDS``, the best formula costing at most that per architecture; and the
   default ``zcfast.evolve`` (all proxies) for the comparison.
4. Searches: aging evolution over all 15,625 cells, ``--budget`` candidates, each built and
   scored live with only the proxies the formula reads, for ``--seeds`` seeds (the all-proxy
   ensemble: the first seed only, ``--baseline-budget`` candidates, by default the same); the
   accuracy percentile of the returned cell among the 15,625, and of the best of its top 10
   by the shipped accuracy (multi-fidelity, the accuracy standing in for a short training
   run; the training cells join as ``known=``).

Writes ``~/.cache/zcfast/live_search.json`` and prints a summary.

python scripts/live_search.py [--budget 1000] [--seeds 0,1,2] [--batch 32]
    [--cost-budget 0.25] [--baseline-budget 1000]   # ~30-60 min, 2 CPUs
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path.home() / ".cache" / "zcfast"


def percentile(acc: float, all_accuracies: np.ndarray) -> float:
    """Percent of the cells below ``acc`` (ties count half)."""
    return float(100 * ((all_accuracies < acc).mean() + 0.5 * (all_accuracies == acc).mean()))


def one_search(proxy: Any, x: Any, y: Any, budget: int, seed: int, known: dict) -> dict:
    import zcfast
    from zcfast.spaces import get_space, nb201

    accuracies = np.array(list(get_space("nb201").accuracies("cifar10").values()))
    start = time.perf_counter()
    r = zcfast.search(
        "nb201", proxy, inputs=x, labels=y, budget=budget, seed=seed, top_k=10,
        evaluator=nb201.accuracy, known=known, progress=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    by_proxy = r.top.sort("score", descending=True)["arch"][0]
    return {
        "seed": seed,
        "evaluations": r.evaluations,
        "seconds": round(elapsed, 1),
        "archs_per_second": round(r.evaluations / elapsed, 2),
        "seconds_per_arch_scoring": round(r.seconds_per_arch, 3),
        "returned": by_proxy,
        "accuracy": nb201.accuracy(by_proxy),
        "percentile": round(percentile(nb201.accuracy(by_proxy), accuracies), 2),
        "top10_best": r.best,
        "top10_winner": r.winner,
        "top10_percentile": round(percentile(nb201.accuracy(r.best), accuracies), 2),
    }


def main(argv: list[str] | None = None) -> None:
    import zcfast
    from zcfast import metrics
    from zcfast.spaces import nb201

    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=1000)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--train", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--tolerance", type=float, default=0.01)
    ap.add_argument("--cost-budget", type=float, default=None, help="seconds per architecture")
    ap.add_argument("--baseline-budget", type=int, default=None)
    ap.add_argument("--out", type=Path, default=CACHE / "live_search.json")
    args = ap.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    x, y = metrics.example_batch(args.batch, 32, source="digits")
    cells = nb201.sample(args.train + 4, seed=0)
    train, timed = cells[: args.train], cells[args.train :]
    table = metrics.score_archs(
        "nb201",
        train,
        inputs=x,
        labels=y,
        task="cifar10",
        out=CACHE / f"live_train_batch{args.batch}",
    ).collect()
    table = table.filter(table["error"].is_null())
    X = table.select(metrics.PROXIES).to_numpy()
    acc = np.array([nb201.accuracy(a) for a in table["arch"].to_list()])
    costs = metrics.proxy_costs("nb201", timed, inputs=x, labels=y, task="cifar10")
    names = list(metrics.PROXIES)
    choice = (
        {"cost_budget": args.cost_budget}
        if args.cost_budget is not None
        else {"cost_tolerance": args.tolerance}
    )
    cheap = zcfast.evolve(X, acc, feature_names=names, seed=0, costs=costs, **choice)
    full = zcfast.evolve(X, acc, feature_names=names, seed=0)
    known = dict(zip(table["arch"].to_list(), acc.tolist()))
    report: dict[str, Any] = {
        "batch": args.batch,
        "budget": args.budget,
        "choice": choice,
        "costs": costs.to_dict(),
        "cost_aware": {"formula": str(cheap.best), "cost": costs.cost_of(cheap.best.features)},
        "all_proxies": {"formula": str(full.best), "cost": costs.cost_of(full.best.features)},
        "cost_front": cheap.cost_front.to_dicts() if cheap.cost_front is not None else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    runs = [("cost_aware", cheap.best, args.budget, s) for s in seeds]
    runs.append(("all_proxies", full.best, args.baseline_budget or args.budget, seeds[0]))
    for name, proxy, budget, seed in runs:
        found = one_search(proxy, x, y, budget, seed, known)
        report[name].setdefault("searches", []).append(found)
        args.out.write_text(json.dumps(report, indent=2))  # each finished search is kept
        print(f"{name}, seed {seed}: {json.dumps(found)}", flush=True)
    for name in ("cost_aware", "all_proxies"):
        part = report[name]
        done = part["searches"]
        print(
            f"{name}: {part['formula']}  ({part['cost']:.3f} s/arch estimated)\n"
            f"  {len(done)} search(es) of {done[0]['evaluations']}: median"
            f" {np.median([r['seconds'] for r in done]):.0f} s,"
            f" percentile of the returned cell {np.median([r['percentile'] for r in done]):.2f}"
            f" (top-10 best {np.median([r['top10_percentile'] for r in done]):.2f})"
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
