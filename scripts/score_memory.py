"""Peak memory of scoring many NB201 cells, with ``out=`` (rows streamed to part files) and
without (rows kept in memory), for growing numbers of cells.

Each measurement is a fresh Python process that scores the cells in this process (inline) and
reports its peak resident set size, so that the figures do not carry over between runs.  With
``out=`` the peak should not grow with the number of cells.

python scripts/score_memory.py                          # params,flops; 500 and 3,000 cells
python scripts/score_memory.py --layers --cells 500 3000   # the per-layer table (heavier rows)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(n_cells: int, proxies: str, layers: bool, out: Path | None) -> dict[str, float]:
    """Scores ``n_cells`` cells here; peak RSS (MiB) and wall seconds."""
    import polars as pl
    import torch
    from zcfast import metrics
    from zcfast.spaces import nb201

    torch.set_num_threads(1)
    x, y = metrics.example_batch(4, 8, source="noise")
    kw = {"inputs": x, "labels": y, "num_classes": 10, "progress": False, "out": out}
    start = time.perf_counter()
    archs = nb201.sample(n_cells, seed=0)
    if layers:
        table = metrics.layer_primitives_many("nb201", archs, **kw)
    else:
        table = metrics.score_archs("nb201", archs, proxies=proxies.split(","), **kw)
    rows = table.select(pl.len()).collect().item() if out else table.height
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"cells": n_cells, "rows": rows, "peak_rss_mib": peak_kib / 1024, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[500, 3000])
    parser.add_argument("--proxies", default="params,flops")
    parser.add_argument("--layers", action="store_true", help="the per-layer table instead")
    parser.add_argument("--child", nargs=2, metavar=("CELLS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = None if args.child[1] == "-" else Path(args.child[1])
        print(json.dumps(measure(int(args.child[0]), args.proxies, args.layers, out)))
        return
    what = "layer table" if args.layers else f"proxies {args.proxies}"
    print(f"| cells ({what}) | rows | peak RSS with out= | peak RSS in memory |")
    print("| --- | --- | --- | --- |")
    for n in args.cells:
        with tempfile.TemporaryDirectory() as tmp:
            streamed = _child(n, str(Path(tmp) / "scores"), args)
        kept = _child(n, "-", args)
        print(
            f"| {n:,} | {streamed['rows']:,} | {streamed['peak_rss_mib']:.0f} MiB"
            f" ({streamed['seconds']:.0f} s) | {kept['peak_rss_mib']:.0f} MiB"
            f" ({kept['seconds']:.0f} s) |"
        )


def _child(n: int, out: str, args: argparse.Namespace) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", str(n), out, "--proxies", args.proxies]
    cmd += ["--layers"] if args.layers else []
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
