"""Beyond NAS-Bench-201: live scoring, discovery and search on NB101 and DARTS/NB301.

``score``   the 500 NB101 architectures of ``naslib/zc_nasbench101.json`` and the 725 NB301
            architectures of ``spaces/nb301_params_flops.csv`` built and scored live with every
            proxy and the per-layer table (one pass per architecture), batch ``--batch`` of
            scikit-learn digits at 32×32, streamed to ``~/.cache/zcfast/spaces/`` (resumable:
            rerun to finish a killed run);
``report``  NB101: evolve on 100 architectures (10 splits), held-out Spearman/Kendall against
            ``val_accuracy`` of (a) ``evolve`` over the live proxies, (b) ``evolve_layerwise``
            over the live layer table, (c) ``evolve`` over NASLib's stored scores of the same
            architectures, (d) the best single proxy chosen on the training rows; NB301: the
            time per architecture and whether every value is finite;
``search``  a complete live search in the DARTS space (budget ``--budget``, default 500) with
            a cheap proxy evolved on the NB101 live scores (proxies NB301 networks compute
            fast), printing the DARTS genotype found and the time;
``transfer`` proxies evolved on 100 live-scored NB201 cells (flat and layer-wise; CIFAR-10
            accuracy shipped with zcfast; ``score`` also scores 300 random NB201 cells on the
            same batch) applied unchanged to the NB101 cells, next to proxies evolved on
            NB101 itself (10 splits).

python scripts/spaces_experiment.py score --batch 8   # NB101 + NB301 + NB201: ~51 min, 2 CPUs
python scripts/spaces_experiment.py report
python scripts/spaces_experiment.py search    # about 5 minutes (batch 8)
python scripts/spaces_experiment.py transfer
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CACHE = Path.home() / ".cache" / "zcfast" / "spaces"
SPLITS = range(10)
#: Proxies cheap to compute on a DARTS network (no second backward, no zen forward pair).
CHEAP = ("flops", "l2_norm", "nwot", "params", "swap", "synflow")


def nb101_table() -> Any:
    from zcfast import datasets

    return datasets.load_suite_zero(DATA / "naslib" / "zc_nasbench101.json")


def nb301_archs() -> list[str]:
    import polars as pl

    return pl.read_csv(DATA / "spaces" / "nb301_params_flops.csv")["arch"].to_list()


def score(batch: int, spaces: list[str]) -> None:
    from zcfast import metrics
    from zcfast.spaces import get_space, nb201

    archs_of = {
        "nb101": lambda: nb101_table()["arch"].to_list(),
        "nb301": nb301_archs,
        "nb201": lambda: nb201.sample(300, seed=0),
    }
    for space_name in spaces:
        archs = archs_of[space_name]()
        space = get_space(space_name)
        x, y = space.task().example_batch(batch, seed=0, source="digits")
        start = time.perf_counter()
        proxies, _ = metrics.score_archs_and_layers(
            space_name, archs, inputs=x, labels=y, out=CACHE / space_name, seed=0
        )
        seconds = time.perf_counter() - start
        n = proxies.select("arch").collect().height
        print(f"{space_name}: {n} architectures in the store ({seconds:.0f} s this run)")
        (CACHE / f"{space_name}-time.json").write_text(
            json.dumps({"seconds_this_run": seconds, "batch": batch})
        )


def scored_batch(space_name: str) -> int:
    """The batch ``score`` used for ``space_name``: a proxy evolved on those values is applied
    to values computed on a batch of the same size."""
    return int(json.loads((CACHE / f"{space_name}-time.json").read_text())["batch"])


def _live(space_name: str) -> tuple[Any, Any]:
    import polars as pl
    from zcfast import metrics

    proxies = metrics.read_scores(CACHE / space_name, "proxies").collect()
    layers = metrics.read_scores(CACHE / space_name, "layers").collect()
    ok = pl.col("error").is_null()
    return proxies.filter(ok).drop("error"), layers.filter(ok).drop("error")


def nb101_cells() -> tuple[Any, Any, Any, np.ndarray]:
    """The distinct NB101 cells of the NASLib file (500 rows hold 292 cells, some under several
    numberings): NASLib's stored scores (its first row of the cell), the live proxies, the live
    layer table, and the mean validation accuracy of the cell's rows, all in one order."""
    import polars as pl
    from zcfast import datasets, metrics
    from zcfast.spaces import get_space

    space = get_space("nb101")
    stored = nb101_table()
    stored = stored.with_columns(
        pl.col("arch").map_elements(space.key, return_dtype=pl.String).alias("cell")
    )
    accuracy = stored.group_by("cell", maintain_order=True).agg(pl.col("val_accuracy").mean())
    first = stored.unique("cell", keep="first", maintain_order=True)
    live, layers = _live("nb101")
    cells = [c for c in accuracy["cell"].to_list() if c in set(live["arch"].to_list())]
    order = pl.DataFrame({"cell": cells})
    X_stored, _ = datasets.features_and_targets(first.drop("arch"))
    X_stored = datasets.replace_missing(
        order.join(first, on="cell", how="left").select(X_stored.columns)
    )
    X_live = order.join(live.rename({"arch": "cell"}), on="cell", how="left").select(
        metrics.PROXIES
    )
    table = layer_table_of(layers, cells)
    y = order.join(accuracy, on="cell", how="left")["val_accuracy"].to_numpy()
    return X_stored, X_live, table, y


def layer_table_of(layers: Any, cells: list[str]) -> Any:
    """The layer table of ``cells``, in that order."""
    import polars as pl
    import zcfast

    position = {c: i for i, c in enumerate(cells)}
    ordered = (
        layers.filter(pl.col("arch").is_in(cells))
        .with_columns(pl.col("arch").replace_strict(position, return_dtype=pl.Int64).alias("_o"))
        .sort("_o", maintain_order=True)
        .drop("_o")
    )
    return zcfast.LayerTable.from_frame(ordered, "arch")


def report() -> None:
    import zcfast

    X_stored, X_live, table, y = nb101_cells()
    rows: dict[str, list[tuple[float, float]]] = {}
    for split in SPLITS:
        order = np.random.default_rng(split).permutation(len(y))
        train, test = np.sort(order[:100]), np.sort(order[100:])
        mask = np.zeros(len(y), dtype=bool)
        mask[train] = True
        for name, X in (("live proxies", X_live), ("NASLib's stored scores", X_stored)):
            best = zcfast.evolve(X[train], y[train], seed=split).best
            rows.setdefault(f"evolve over {name}", []).append(
                _corr(best.evaluate(X[test]), y[test])
            )
            rows.setdefault(f"best single proxy, {name}", []).append(
                _best_single(X, y, train, test)
            )
        lw = zcfast.evolve_layerwise(table.select_archs(mask), y[mask], seed=split).best
        rows.setdefault("evolve_layerwise over the live layer table", []).append(
            _corr(lw.evaluate(table.select_archs(~mask)), y[~mask])
        )
    print(
        f"NB101 CIFAR-10: {len(y)} distinct cells (the 500 rows of zc_nasbench101.json), 100"
        f" training, {len(SPLITS)} splits"
    )
    print("| method | held-out Spearman, median | Kendall τ, median |")
    print("| --- | --- | --- |")
    for name, values in rows.items():
        s, k = np.median([v[0] for v in values]), np.median([v[1] for v in values])
        print(f"| {name} | {s:.3f} | {k:.3f} |")
    if not (CACHE / "nb301").is_dir():
        print("NB301: not scored (python scripts/spaces_experiment.py score --spaces nb301)")
        return
    live301, layers301 = _live("nb301")
    numeric = live301.drop("arch").to_numpy().astype(float)
    lnum = layers301.drop("arch", "layer", "kind", "part", strict=False).to_numpy().astype(float)
    timing = json.loads((CACHE / "nb301-time.json").read_text())
    print(
        f"NB301: {live301.height} architectures scored; every proxy finite and not the"
        f" sentinel: {bool(np.isfinite(numeric).all() and (numeric != -1e8).all())};"
        f" layer table finite: {bool(np.isfinite(lnum).all())} ({layers301.height} rows);"
        f" {timing['seconds_this_run'] / max(live301.height, 1):.2f} s per architecture"
        f" (batch {timing['batch']}, last scoring run)"
    )


def _corr(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    import zcfast

    return zcfast.spearman(scores, y), zcfast.kendall(scores, y)


def _best_single(X: Any, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """The column with the largest |Spearman| on the training rows (sign kept), on test."""
    import zcfast

    M = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=float)
    best, sign = 0, 1.0
    top = -1.0
    for j in range(M.shape[1]):
        if np.ptp(M[train, j]) == 0:
            continue
        r = zcfast.spearman(M[train, j], y[train])
        if abs(r) > top:
            top, best, sign = abs(r), j, float(np.sign(r) or 1.0)
    return _corr(sign * M[test, best], y[test])


def search(budget: int, batch: int, seed: int) -> None:
    import zcfast
    from zcfast.spaces import get_space

    _, X_live, _, y = nb101_cells()
    X = X_live.select(CHEAP)
    train = np.random.default_rng(seed).permutation(len(y))[:100]
    proxy = zcfast.evolve(X[train], y[train], seed=seed).best
    print(f"proxy (evolved on 100 NB101 cells over {', '.join(CHEAP)}): {proxy}")
    darts = get_space("darts")
    x, labels = darts.task().example_batch(batch, seed=seed, source="digits")
    start = time.perf_counter()
    r = zcfast.search(
        "darts", proxy, inputs=x, labels=labels, budget=budget, seed=seed,
        out=CACHE / "darts-search",
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    print(
        f"DARTS live search: {r.evaluations} architectures in {elapsed:.0f} s"
        f" ({r.scored} scored, {r.seconds_per_arch:.2f} s each); best:"
    )
    print(darts.genotype(r.best))


def transfer() -> None:
    """NB201-evolved proxies (flat, layer-wise) on NB101 cells, beside NB101-evolved ones."""
    import polars as pl
    import zcfast
    from zcfast import metrics
    from zcfast.spaces import nb201

    live201, layers201 = _live("nb201")
    y201 = np.array([nb201.accuracy(a) for a in live201["arch"].to_list()])
    X201 = live201.select(metrics.PROXIES)
    table201 = layer_table_of(layers201, live201["arch"].to_list())
    _, X101, table101, y101 = nb101_cells()
    features = [c for c in table201.names if c in table101.names]
    rows: dict[str, list[float]] = {}
    for split in SPLITS:
        order = np.random.default_rng(split).permutation(len(y201))
        mask = np.zeros(len(y201), dtype=bool)
        mask[order[:100]] = True
        flat = zcfast.evolve(X201.filter(pl.Series(mask)), y201[mask], seed=split).best
        rows.setdefault("evolve on NB201, flat", []).append(
            zcfast.spearman(flat.evaluate(X101), y101)
        )
        lw = zcfast.evolve_layerwise(
            table201.select(features).select_archs(mask), y201[mask], seed=split
        ).best
        rows.setdefault("evolve_layerwise on NB201", []).append(
            zcfast.spearman(lw.evaluate(table101.select(features)), y101)
        )
        o101 = np.random.default_rng(split).permutation(len(y101))
        m101 = np.zeros(len(y101), dtype=bool)
        m101[o101[:100]] = True
        own = zcfast.evolve(X101.filter(pl.Series(m101)), y101[m101], seed=split).best
        rows.setdefault("evolve on NB101 itself (held-out cells)", []).append(
            zcfast.spearman(own.evaluate(X101.filter(pl.Series(~m101))), y101[~m101])
        )
        lw101 = zcfast.evolve_layerwise(
            table101.select(features).select_archs(m101), y101[m101], seed=split
        ).best
        rows.setdefault("evolve_layerwise on NB101 itself (held-out cells)", []).append(
            zcfast.spearman(lw101.evaluate(table101.select(features).select_archs(~m101)),
                            y101[~m101])
        )  # fmt: skip
    print(f"Transfer to NB101 ({len(y101)} cells), Spearman against val_accuracy, 10 splits")
    print("| proxy | median | min-max |")
    print("| --- | --- | --- |")
    for name, values in rows.items():
        print(f"| {name} | {np.median(values):.3f} | {min(values):.3f}-{max(values):.3f} |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("command", choices=["score", "report", "search", "transfer"])
    ap.add_argument(
        "--batch",
        type=int,
        default=None,
        help="samples per batch (score: 32; search: the batch NB101 was scored with)",
    )
    ap.add_argument("--budget", type=int, default=500, help="search: architectures (500)")
    ap.add_argument("--seed", type=int, default=0, help="search: seed (0)")
    ap.add_argument(
        "--spaces", default="nb101,nb301,nb201", help="score: spaces, in this order (all three)"
    )
    args = ap.parse_args(argv)
    if args.command == "score":
        score(args.batch or 32, args.spaces.split(","))
    elif args.command == "report":
        report()
    elif args.command == "transfer":
        transfer()
    else:
        search(args.budget, args.batch or scored_batch("nb101"), args.seed)


if __name__ == "__main__":
    main()
