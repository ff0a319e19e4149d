"""Cost-aware proxies on NAS-Bench-201 CIFAR-10: held-out quality against the cost of computing
the proxies a formula reads.

For 10 splits (``numpy.random.default_rng(split)``) of the NAS-Bench-Suite-Zero NB201 CIFAR-10
sample into 100 training cells and 625 held-out ones: ``zcfast.evolve`` with default settings
and ``costs=``, seconds per architecture: by default the median stored ``time`` of each proxy
in ``zc_nasbench201.json`` (NASLib's one-pass-per-proxy CPU times, summed over the proxies a
formula reads); with ``--live-costs``, what ``zcfast.metrics.proxy_costs`` measures on this
machine for full CIFAR-10 NB201 networks at ``--batch`` (fused proxies share passes, so a
formula costs the passes its proxies need); or a JSON file, ``{proxy: seconds}`` or what
``ProxyCosts.to_json`` writes. Then:

* the cost front (``result.cost_front``): each formula's cost, its out-of-bag estimate and its
  held-out Spearman (split 0 in full; for all splits, how far the estimates are from the
  held-out figures);
* the formula ``cost_tolerance=0.01`` returns (the cheapest whose estimate is within 0.01 of
  the best estimate) against the best-estimate formula and against what ``evolve`` returns
  without a cost setting: cost and held-out Spearman, median over the splits.

python scripts/cost_experiment.py [--costs seconds.json] [--splits 10]
python scripts/cost_experiment.py --live-costs [--batch 64]            # needs zcfast[torch]
python scripts/cost_experiment.py --write-costs naslib_seconds.json   # the default costs
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NB201 = ROOT.parent / "shared" / "data" / "naslib" / "zc_nasbench201.json"
TOLERANCE = 0.01


def naslib_seconds(task: str = "cifar10") -> dict[str, float]:
    """Median stored ``time`` (seconds per architecture) of every proxy of a NASLib task."""
    records = json.loads(NB201.read_text())[task].values()
    names = {k for r in records for k, v in r.items() if isinstance(v, dict) and "time" in v}
    return {
        n: float(np.median([r[n]["time"] for r in records if isinstance(r.get(n), dict)]))
        for n in sorted(names)
    }


def live_seconds(batch: int) -> Any:
    """``ProxyCosts`` of full CIFAR-10 NB201 networks (4 random cells) at ``batch`` digits."""
    from zcfast import metrics
    from zcfast.spaces import nb201

    x, y = metrics.example_batch(batch, 32, source="digits")
    cells = nb201.sample(4, seed=1)
    return metrics.proxy_costs("nb201", cells, inputs=x, labels=y, task="cifar10")


def load_costs(path: Path) -> Any:
    """A ``{proxy: seconds}`` mapping, or ``ProxyCosts`` when the file holds ``passes``."""
    from zcfast.metrics import ProxyCosts

    text = path.read_text()
    return ProxyCosts.from_json(text) if "passes" in json.loads(text) else json.loads(text)


def run(split: int, X: Any, y: np.ndarray, costs: Any) -> dict[str, Any]:
    """One split: the front with held-out figures, the tolerance pick, the best estimate and
    the cost-blind choice."""
    import polars as pl
    import zcfast
    from zcfast._costs import as_cost_model, pick

    order = np.random.default_rng(split).permutation(len(y))
    train, test = order[:100], order[100:]
    result = zcfast.evolve(X[train], y[train], seed=split, costs=costs)
    front = result.cost_front
    assert front is not None
    assert result.cost_predictors is not None
    held = [zcfast.spearman(p.evaluate(X[test]), y[test]) for p in result.cost_predictors]
    front = front.with_columns(pl.Series("held_out", held))
    row, _ = pick(front, TOLERANCE, None)
    assert row is not None
    best = int(np.argmax(front["estimate"].to_numpy()))
    blind = result.best
    out = {
        "split": split,
        "front": front.to_dicts(),
        "picked": {
            "cost": front["cost"][row],
            "held_out": held[row],
            "formula": front["formula"][row],
        },
        "best_estimate": {"cost": front["cost"][best], "held_out": held[best]},
        "cost_blind": {
            "cost": as_cost_model(costs, blind.features).of(blind.features),
            "held_out": zcfast.spearman(blind.evaluate(X[test]), y[test]),
        },
    }
    if split == 0:  # the setting picks the same formula from the same run
        again = zcfast.evolve(X[train], y[train], seed=split, costs=costs, cost_tolerance=TOLERANCE)
        assert str(again.best) == out["picked"]["formula"], (str(again.best), out["picked"])
    return out


def report(runs: list[dict[str, Any]]) -> str:
    lines = ["cost front of split 0 (cheapest first):", ""]
    lines.append("| kind | formula | proxies | cost (s/arch) | estimate | held-out Spearman |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for r in runs[0]["front"]:
        formula = r["formula"] if len(r["formula"]) <= 60 else r["formula"][:57] + "..."
        lines.append(
            f"| {r['kind']} | `{formula}` | {', '.join(r['proxies'])} | {r['cost']:.3f} |"
            f" {r['estimate']:.3f} | {r['held_out']:.3f} |"
        )
    errors = [e["estimate"] - e["held_out"] for r in runs for e in r["front"]]
    sizes = [len(r["front"]) for r in runs]
    lines += [
        "",
        f"front entries per split: median {np.median(sizes):.0f} (min {min(sizes)},"
        f" max {max(sizes)}); estimate - held-out over all entries: mean {np.mean(errors):+.3f},"
        f" mean absolute {np.mean(np.abs(errors)):.3f}",
        "",
        f"| returned formula ({len(runs)} splits) | cost (s/arch), median | held-out Spearman,"
        " median | held-out, min |",
        "| --- | --- | --- | --- |",
    ]
    for key, label in (
        ("cost_blind", "evolve without a cost setting"),
        ("best_estimate", "the front's best estimate"),
        ("picked", f"cost_tolerance={TOLERANCE}"),
    ):
        cost = [r[key]["cost"] for r in runs]
        held = [r[key]["held_out"] for r in runs]
        lines.append(
            f"| {label} | {np.median(cost):.3f} | {np.median(held):.3f} | {min(held):.3f} |"
        )
    ratio = [r["picked"]["cost"] / r["cost_blind"]["cost"] for r in runs]
    loss = [r["cost_blind"]["held_out"] - r["picked"]["held_out"] for r in runs]
    lines.append(
        f"\ncost_tolerance={TOLERANCE} against evolve without a cost setting: cost x"
        f" {np.median(ratio):.2f} (median), held-out Spearman {-np.median(loss):+.3f}"
        f" (median; worst {-max(loss):+.3f})"
    )
    lines.append("picked formulas: " + "; ".join(f"`{r['picked']['formula'][:60]}`" for r in runs))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from zcfast import datasets

    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--costs", type=Path, default=None, help="JSON {proxy: seconds per arch}")
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--write-costs", type=Path, default=None, help="write the default costs")
    ap.add_argument("--live-costs", action="store_true", help="measure costs on this machine")
    ap.add_argument("--batch", type=int, default=64, help="--live-costs: batch size (64)")
    args = ap.parse_args(argv)
    if args.write_costs is not None:
        args.write_costs.write_text(json.dumps(naslib_seconds(), indent=2) + "\n")
        return
    if args.live_costs:
        costs = live_seconds(args.batch)
    else:
        costs = naslib_seconds() if args.costs is None else load_costs(args.costs)
    df = datasets.load_suite_zero(NB201, task="cifar10")
    X, y = datasets.features_and_targets(df)
    X = datasets.replace_missing(X)
    runs = [run(s, X, y.to_numpy(), costs) for s in range(args.splits)]
    per_proxy = costs.per_proxy if hasattr(costs, "per_proxy") else costs
    print("costs (s/arch):", ", ".join(f"{k} {v:.3f}" for k, v in per_proxy.items()))
    if hasattr(costs, "passes"):
        print("passes (s/arch):", ", ".join(f"{k} {v:.3f}" for k, v in costs.passes.items()))
    print(report(runs))


if __name__ == "__main__":
    main()
