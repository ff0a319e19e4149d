"""Check zcfast's TransNAS-Bench-101 networks against NASLib's stored params and FLOPs.

For every row of ``../shared/data/spaces/tnb101_{macro,micro}_params_flops.csv`` (columns
``arch,task,params,flops``; params in millions, flops in MFLOPs, six decimals) builds the
network on the ``meta`` device (shapes only, no memory, no arithmetic) and compares
``space.count_params(net) / 1e6`` and ``space.count_flops(net, task) / 1e6``, rounded to six
decimals, with the stored values.  Prints matches per space and task, the first mismatches,
and the time taken; exits 1 when any row differs.  A shape-only forward costs about 0.1 s on
one core, so all 9,926 rows take tens of minutes; ``--analytic`` checks the spaces'
``analytic_counts`` (per-module formulas, no network) instead, in about a second.

Usage::

    python scripts/check_tnb101_counts.py [--data DIR] [--space micro|macro] [--limit N]
                                          [--analytic]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "spaces"


def check(
    data: Path, space_name: str, limit: int | None, analytic: bool = False
) -> tuple[int, int, list[str]]:
    """``(matches, rows, first mismatches)`` for one space's file."""
    from zcfast.spaces import get_space

    space = get_space(f"tnb101_{space_name}")
    path = data / f"tnb101_{space_name}_params_flops.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if limit is not None:
        rows = rows[:limit]
    ok: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    bad: list[str] = []
    for row in rows:
        task = space.task(row["task"])
        if analytic:
            p, f = space.analytic_counts(row["arch"], task)
        else:
            import torch

            with torch.device("meta"):
                net = space.build(row["arch"], task)
            p, f = space.count_params(net), space.count_flops(net, task)
        params, flops = round(p / 1e6, 6), round(f / 1e6, 6)
        seen[task.name] += 1
        if params == round(float(row["params"]), 6) and flops == round(float(row["flops"]), 6):
            ok[task.name] += 1
        elif len(bad) < 20:
            bad.append(
                f"{space_name} {row['task']} {row['arch']}: params {params} (stored"
                f" {row['params']}), flops {flops} (stored {row['flops']})"
            )
    for name in seen:
        print(
            f"  {space.name:13s} {name:16s} {ok[name]:4d} / {seen[name]:4d} rows match",
            flush=True,
        )
    return sum(ok.values()), len(rows), bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the CSVs")
    parser.add_argument("--space", choices=("micro", "macro"), action="append")
    parser.add_argument("--limit", type=int, default=None, help="first N rows of each file")
    parser.add_argument(
        "--analytic", action="store_true", help="check analytic_counts, not built networks"
    )
    args = parser.parse_args(argv)
    total_ok = total = 0
    start = time.perf_counter()
    for name in args.space or ("micro", "macro"):
        t0 = time.perf_counter()
        ok, n, bad = check(args.data, name, args.limit, args.analytic)
        what = "analytic counts" if args.analytic else "built networks"
        print(
            f"tnb101_{name} ({what}): {ok} / {n} rows match ({time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
        for line in bad:
            print("  MISMATCH", line)
        total_ok += ok
        total += n
    print(f"total: {total_ok} / {total} rows match in {time.perf_counter() - start:.1f} s")
    return 0 if total_ok == total else 1


if __name__ == "__main__":
    sys.exit(main())
