"""GPU figures in one short run: what the README reports for a CUDA machine.

1. every proxy of one NB201 network at batch 64, fused, against one proxy at a time (target on
   an H100/H200: ≤ 25 ms fused);
2. live-search architectures per second on NB201 (full networks, batch 64) with one cheap
   proxy and with ``--formula`` (target ≥ 40 archs/s);
3. all 15,625 NB201 cells scored with ``--formula``'s proxies into an ``out=`` directory: the
   time (target ≤ 5 minutes) and the peak memory after 1,000 cells and at the end (flat with
   ``out=``).

Writes ``device_figures.json`` and ``device_figures.md`` to ``--out`` (the device tool's
``$OUT``).  Run through ``scripts/device_check.sh``, which also runs the CUDA tests.

python scripts/device_check.py --out results/ [--formula "nwot + log(synflow)"] [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

#: A cheap formula (forward-only proxies and synflow) used when none is given.
DEFAULT_FORMULA = "nwot + log(abs(synflow)) * params"


def _timed(fn: Any, repeats: int) -> list[float]:
    import torch

    fn()  # warm-up (cuDNN autotuning, allocator)
    out = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        out.append(time.perf_counter() - start)
    return out


def proxies_per_network(device: str, repeats: int) -> dict[str, Any]:
    import torch
    from zcfast import metrics
    from zcfast.spaces import nb201

    torch.manual_seed(0)
    net = nb201.build("(2, 2, 0, 4, 2, 0)").to(device)
    x, y = metrics.example_batch(64, 32, source="noise")
    x, y = x.to(device), y.to(device)
    fused = _timed(lambda: metrics.compute(net, x, y), repeats)
    separate = _timed(lambda: metrics.compute(net, x, y, fused=False), max(1, repeats // 3))
    return {
        "all_proxies_fused_ms": round(1000 * statistics.median(fused), 1),
        "one_at_a_time_ms": round(1000 * statistics.median(separate), 1),
        "speedup": round(statistics.median(separate) / statistics.median(fused), 2),
    }


def live_search(device: str, formula: str, budget: int) -> dict[str, Any]:
    import zcfast
    from zcfast import metrics

    x, y = metrics.example_batch(64, 32, source="noise")
    out: dict[str, Any] = {}
    for name, text in (("nwot", "nwot"), ("formula", formula)):
        proxy = zcfast.Expression.parse(text, list(metrics.PROXIES))
        r = zcfast.search(
            "nb201", proxy, inputs=x, labels=y, budget=budget, seed=0, device=device,
            progress=False,
        )  # fmt: skip
        out[name] = {"archs_per_second": round(r.evaluations / r.elapsed, 1), "budget": budget}
    return out


def all_cells(device: str, formula: str, quick: bool) -> dict[str, Any]:
    import zcfast
    from zcfast import metrics
    from zcfast.spaces import nb201

    proxy = zcfast.Expression.parse(formula, list(metrics.PROXIES))
    archs = list(nb201.enumerate_archs())[: 2000 if quick else None]
    x, y = metrics.example_batch(64, 32, source="noise")
    kw = dict(inputs=x, labels=y, proxies=list(proxy.features), device=device, progress=False)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "scores"
        start = time.perf_counter()
        metrics.score_archs("nb201", archs[:1000], out=out, **kw)
        rss_1000 = _peak_rss_mib()
        metrics.score_archs("nb201", archs, out=out, **kw)
        seconds = time.perf_counter() - start
        rows = metrics.read_scores(out).collect()
    return {
        "cells": len(archs),
        "seconds": round(seconds, 1),
        "errors": int(rows["error"].is_not_null().sum()),
        "peak_rss_mib_after_1000": round(rss_1000, 1),
        "peak_rss_mib_at_end": round(_peak_rss_mib(), 1),
        "proxies": list(proxy.features),
    }


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    import torch

    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the figures")
    ap.add_argument("--formula", default=DEFAULT_FORMULA, help="the cost-aware proxy")
    ap.add_argument("--budget", type=int, default=300, help="live-search budget (300)")
    ap.add_argument("--quick", action="store_true", help="2,000 cells instead of 15,625")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        raise SystemExit("device_check: no CUDA device; these figures need a GPU")
    figures: dict[str, Any] = {
        "device": torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "formula": args.formula,
    }
    steps = (
        ("proxies_per_network_batch64", lambda: proxies_per_network("cuda", 10)),
        ("live_search", lambda: live_search("cuda", args.formula, args.budget)),
        ("all_nb201_cells", lambda: all_cells("cuda", args.formula, args.quick)),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for name, step in steps:
        start = time.perf_counter()
        figures[name] = step()
        figures[name]["wall_seconds"] = round(time.perf_counter() - start, 1)
        print(name, json.dumps(figures[name]), flush=True)
        (args.out / "device_figures.json").write_text(json.dumps(figures, indent=2))
    lines = [f"# Device figures ({figures['device']}, torch {figures['torch']})", ""]
    lines += [f"- {k}: `{json.dumps(v)}`" for k, v in figures.items() if isinstance(v, dict)]
    (args.out / "device_figures.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
