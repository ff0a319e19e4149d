"""zcfast.search: a whole table-mode search, and live-mode architectures per second.

* table mode: 1,000 proxy evaluations of aging evolution over the 9,445-cell NB201 CIFAR-10
  table with one proxy column, beside random search with the same budget;
* live mode: full CIFAR-10 NB201 networks scored at batch 64 with a cheap proxy (nwot) and with
  every proxy, architectures per second in ``extra_info``; on CPU, and on CUDA when present
  (target there: 40 architectures/s or more at batch 64 on an H100/H200).

python -m pytest benches/python/test_bench_search.py --benchmark-only
"""

from __future__ import annotations

import pytest
import zcfast

LIVE_BUDGET = 6


@pytest.mark.parametrize("library", ["zcfast", "random"])
def test_table_search_1000_evaluations(benchmark, nb201_table, library: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "search-table-nb201-9445-cells-1000-evaluations"
    algorithm = "evolution" if library == "zcfast" else "random"
    result = benchmark.pedantic(
        zcfast.search,
        args=(
            "nb201",
            "nwot",
        ),
        kwargs={"table": nb201_table, "budget": 1000, "seed": 0, "algorithm": algorithm},
        rounds=5,
        iterations=1,
    )
    benchmark.extra_info.update(best=result.best, best_score=result.best_score)


def _devices() -> list[str]:
    try:
        import torch
    except ImportError:  # pragma: no cover
        return []
    return ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.mark.parametrize("device", _devices())
@pytest.mark.parametrize("proxies", ["nwot", "all"])
def test_live_search_architectures_per_second(benchmark, device: str, proxies: str) -> None:  # type: ignore[no-untyped-def]
    from zcfast import metrics

    benchmark.group = f"search-live-nb201-batch64-{device}"
    x, y = metrics.example_batch(64, 32, source="noise")
    formula = "nwot" if proxies == "nwot" else " + ".join(f"log(abs({p}))" for p in metrics.PROXIES)
    proxy = zcfast.Expression.parse(formula, list(metrics.PROXIES))
    result = benchmark.pedantic(
        zcfast.search,
        args=("nb201", proxy),
        kwargs={"inputs": x, "labels": y, "budget": LIVE_BUDGET, "seed": 0, "device": device},
        rounds=2,
        iterations=1,
    )
    benchmark.extra_info.update(
        archs_per_second=round(LIVE_BUDGET / benchmark.stats.stats.median, 2),
        proxies=proxies,
        device=device,
        evaluations=result.evaluations,
    )
