"""Regenerate zcfast's embedded mini-benchmark ``python/zcfast/data/nb201_digits.csv``.

What it is
----------
300 NAS-Bench-201 cells, sampled uniformly without replacement from all 15,625 with
``zcfast.spaces.nb201.sample(300, seed=0)``, each

1. built with ``torch.manual_seed(0)`` (PyTorch default init) as an NB201 network with a reduced
   macro skeleton: stem C=16, one cell per stage (N=1 instead of NB201's 5, so that 300 cells
   train in minutes on a laptop CPU), 10 classes, 16×16 input like NB201's ImageNet16-120,
2. scored at initialisation with every zcfast proxy (``zcfast.metrics.compute``, float32, CPU,
   one fixed batch: the first 64 images of the training split, zen/swap seed 0), then
3. trained briefly and evaluated on held-out images.

Data: scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes; offline),
pixels scaled to [0, 1], bilinearly upsampled to 16×16, replicated to 3 channels, standardised
with the global mean/std, then corrupted once with fixed Gaussian noise (σ = 2 in standardised
units, independent per pixel and channel, generator seed 2).  Clean digits are too easy: every
connected cell reaches 97-99 % and the ranking is training noise; with the noise the accuracies
spread over roughly 75-92 % (10 % for cells whose output ignores the input) and the ranking is
a property of the cell (Spearman 0.82 between two training seeds on a 24-cell pilot).  A fixed
split (``torch.randperm`` with seed 0): 1,000 training and 797 validation images.

Training: 5 epochs, batch 64 (shuffled with a generator seeded 1), SGD with Nesterov momentum
0.9, learning rate 0.05 with per-step cosine decay to 0, weight decay 5e-4, cross-entropy, no
augmentation; validation accuracy (percent) in eval mode after the last epoch.
``torch.use_deterministic_algorithms(True)`` and one intra-op thread per worker, so a rerun on
the same PyTorch build reproduces the file (workers only change which process trains which
cell; every cell has its own fixed seeds).

Output columns: ``arch`` (NASLib 6-tuple string), ``net_str`` (official NB201 string), the 14
proxies in alphabetical order (``epe_nas fisher flops grad_norm grasp jacov l2_norm nwot params
plain snip swap synflow zen``), ``val_accuracy``.  Floats are written with ``repr`` (full
precision).  Rows are in sample order.

Training results are cached in a JSON-lines file next to the output (``--cache``) so that the
proxies can be recomputed without retraining (``--proxies-only``).

Usage (from the repository root; about 15 minutes on 2 CPU cores)::

    python scripts/make_mini_benchmark.py [--workers 2] [--n 300]

Per-layer primitives (``--layers``)
-----------------------------------
``--layers`` trains nothing and writes no CSV: it computes ``zcfast.metrics.layer_primitives``
of the same cells with exactly the networks, batch, seed and settings of their proxies (the
first 64 training images, float32, CPU, seed 0) and writes
``python/zcfast/data/nb201_digits_layers.parquet`` (``--layers-out``): ``arch`` (the CSV's key),
then the ``LAYER_COLUMNS`` (one row per weight layer of each cell, cells in sample order),
zstd-compressed.  About a minute on 2 CPU cores::

    python scripts/make_mini_benchmark.py --layers [--workers 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from pathlib import Path

from zcfast.metrics import PROXIES

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "python" / "zcfast" / "data" / "nb201_digits.csv"
DEFAULT_LAYERS_OUT = ROOT / "python" / "zcfast" / "data" / "nb201_digits_layers.parquet"
# the proxies, alphabetical: the CSV's column order
PROXY_COLUMNS = PROXIES
INPUT_SIZE = 16
N_TRAIN = 1000
EPOCHS = 5
CELLS_PER_STAGE = 1
NOISE_STD = 2.0
NOISE_SEED = 2
BATCH = 64
LR = 0.05
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
INIT_SEED = 0
SPLIT_SEED = 0
SHUFFLE_SEED = 1
PROXY_BATCH = 64


def _setup_torch() -> None:
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def load_digits_tensors():  # type: ignore[no-untyped-def]
    """Digits as ``(X, y, train_idx, val_idx)``: X ``(1797, 3, 16, 16)`` float32."""
    import torch
    import torch.nn.functional as F
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32) / 16.0
    y = torch.tensor(d.target, dtype=torch.int64)
    x = F.interpolate(
        x[:, None], size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False
    )
    x = x.repeat(1, 3, 1, 1)
    x = (x - x.mean()) / x.std()
    x = x + NOISE_STD * torch.randn(x.shape, generator=torch.Generator().manual_seed(NOISE_SEED))
    g = torch.Generator().manual_seed(SPLIT_SEED)
    perm = torch.randperm(len(x), generator=g)
    return x, y, perm[:N_TRAIN], perm[N_TRAIN:]


def build(arch: tuple[int, ...]):  # type: ignore[no-untyped-def]
    import torch
    from zcfast.spaces import nb201

    torch.manual_seed(INIT_SEED)
    return nb201.build(arch, 10, input_size=INPUT_SIZE, N=CELLS_PER_STAGE)


def train_one(arch: tuple[int, ...]) -> dict[str, object]:
    """Train one cell; returns its validation accuracy and timing."""
    import torch
    import torch.nn.functional as F

    _setup_torch()
    x, y, tr, va = load_digits_tensors()
    t0 = time.perf_counter()
    net = build(arch)
    opt = torch.optim.SGD(
        net.parameters(), lr=LR, momentum=MOMENTUM, nesterov=True, weight_decay=WEIGHT_DECAY
    )
    steps = EPOCHS * math.ceil(len(tr) / BATCH)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(SHUFFLE_SEED)
    for _ in range(EPOCHS):
        net.train()
        order = tr[torch.randperm(len(tr), generator=gen)]
        for i in range(0, len(order), BATCH):
            b = order[i : i + BATCH]
            loss = F.cross_entropy(net(x[b]), y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    with torch.no_grad():
        pred = net(x[va]).argmax(1)
    acc = float((pred == y[va]).double().mean()) * 100.0
    return {"arch": list(arch), "val_accuracy": acc, "train_s": time.perf_counter() - t0}


def proxy_batch():  # type: ignore[no-untyped-def]
    """The batch the proxies (and layer primitives) are computed on: the first 64 training
    images and their labels."""
    x, y, tr, _va = load_digits_tensors()
    return x[tr[:PROXY_BATCH]], y[tr[:PROXY_BATCH]]


def proxies_one(arch: tuple[int, ...]) -> dict[str, object]:
    """zcfast proxies of the cell at initialisation (same init as the trained network)."""
    _setup_torch()
    from zcfast import metrics

    xb, yb = proxy_batch()
    t0 = time.perf_counter()
    net = build(arch)
    scores = metrics.compute(net, xb, yb, seed=0)
    return {"arch": list(arch), **scores, "proxy_s": time.perf_counter() - t0}


def layers_one(arch: tuple[int, ...]):  # type: ignore[no-untyped-def]
    """Per-layer primitives of the cell at initialisation, with ``arch`` as the first column
    (same network, batch and seed as :func:`proxies_one`)."""
    _setup_torch()
    import polars as pl
    from zcfast import metrics

    xb, yb = proxy_batch()
    table = metrics.layer_primitives(build(arch), xb, yb, seed=0)
    return table.select(pl.lit(str(arch)).alias("arch"), pl.all())


def write_layers(archs, workers: int, out: Path, log) -> None:  # type: ignore[no-untyped-def]
    """Compute :func:`layers_one` of every cell and write them, in sample order, to ``out``."""
    import polars as pl

    t0 = time.perf_counter()
    table = pl.concat(list(_imap(layers_one, archs, workers, log, "layers")), how="vertical")
    out.parent.mkdir(parents=True, exist_ok=True)
    table.write_parquet(out, compression="zstd", compression_level=19)
    print(
        f"wrote {out} ({os.path.getsize(out)} bytes, {table.height} rows for {len(archs)} "
        f"cells, {table.width} columns) in {time.perf_counter() - t0:.0f}s",
        file=log,
    )


def _imap(fn, items, workers: int, log, label: str, *, ordered: bool = True):  # type: ignore[no-untyped-def]
    """Yields ``fn(item)`` for every item (in order unless ``ordered=False``), on ``workers``
    forked processes, logging progress every 10 items."""
    import multiprocessing as mp

    pool = mp.get_context("fork").Pool(workers) if workers > 1 else None
    if pool is None:
        it = map(fn, items)
    else:
        it = pool.imap(fn, items) if ordered else pool.imap_unordered(fn, items)
    t0 = time.perf_counter()
    try:
        for i, r in enumerate(it, 1):
            yield r
            if i % 10 == 0 or i == len(items):
                el = time.perf_counter() - t0
                print(
                    f"[{label}] {i}/{len(items)} {el:.0f}s elapsed, "
                    f"{el / i * (len(items) - i):.0f}s left",
                    file=log,
                    flush=True,
                )
    finally:
        if pool is not None:
            pool.close()
            pool.join()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0, help="architecture sample seed")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="JSON-lines cache of training results (default: <out>.train.jsonl in /tmp)",
    )
    ap.add_argument(
        "--proxies-only",
        action="store_true",
        help="reuse cached accuracies; recompute proxies only",
    )
    ap.add_argument(
        "--layers",
        action="store_true",
        help="write the per-layer primitives of the cells (no training, no CSV)",
    )
    ap.add_argument("--layers-out", type=Path, default=DEFAULT_LAYERS_OUT)
    args = ap.parse_args(argv)

    from zcfast.spaces import nb201

    archs = nb201.sample(args.n, seed=args.seed)
    if args.layers:
        write_layers(archs, args.workers, args.layers_out, sys.stderr)
        return
    cache = args.cache or Path("/tmp") / (args.out.stem + ".train.jsonl")
    log = sys.stderr
    t_start = time.perf_counter()

    done: dict[tuple[int, ...], dict[str, object]] = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            r = json.loads(line)
            done[tuple(r["arch"])] = r
    todo = [a for a in archs if a not in done]
    if todo and args.proxies_only:
        raise SystemExit(f"--proxies-only: {len(todo)} cells have no cached accuracy in {cache}")
    if todo:
        print(
            f"training {len(todo)} cells ({len(done)} cached) with {args.workers} workers",
            file=log,
            flush=True,
        )
        with open(cache, "a") as fh:
            for r in _imap(train_one, todo, args.workers, log, "train", ordered=False):
                fh.write(json.dumps(r) + "\n")
                fh.flush()
                done[tuple(r["arch"])] = r
    t_train = time.perf_counter() - t_start

    t1 = time.perf_counter()
    prox = list(_imap(proxies_one, archs, args.workers, log, "proxies"))
    t_prox = time.perf_counter() - t1

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["arch", "net_str", *PROXY_COLUMNS, "val_accuracy"])
        for a, p in zip(archs, prox):
            acc = done[a]["val_accuracy"]
            w.writerow(
                [
                    str(a),
                    nb201.to_str(a),
                    *(repr(float(p[c])) for c in PROXY_COLUMNS),
                    repr(float(acc)),
                ]
            )  # type: ignore[arg-type]

    accs = [float(done[a]["val_accuracy"]) for a in archs]  # type: ignore[arg-type]
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes, {len(archs)} rows)", file=log)
    print(
        f"accuracy: min {min(accs):.2f} max {max(accs):.2f} mean {sum(accs) / len(accs):.2f}",
        file=log,
    )
    print(f"time: training {t_train:.0f}s, proxies {t_prox:.0f}s", file=log)
    try:
        from scipy.stats import spearmanr

        for c in PROXY_COLUMNS:
            rho = spearmanr([float(p[c]) for p in prox], accs).statistic
            print(f"  spearman {c:10s} {rho:+.3f}", file=log)
    except ImportError:  # pragma: no cover
        pass


if __name__ == "__main__":
    main()
