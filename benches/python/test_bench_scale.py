"""Scoring throughput with more workers: architectures per second for 1 and 2 workers.

The same 48 NB201 cells (full networks, a batch of 16 noise images of 32×32, five proxies) are
scored in this process, by local worker processes and by a local Ray cluster with 2 CPUs
(started here, shut down after the module), with 1 and 2 workers each.  ``archs_per_second``
in ``extra_info`` is the figure to compare.  Every call starts its workers (pool processes or
Ray actors: a fresh Python that imports torch, about 2 s on this machine), and the figures
include that.  A Ray worker computes with one torch thread, a pool of W processes on C cores
with C // W threads each, the in-process loop with all of them.

python -m pytest benches/python/test_bench_scale.py --benchmark-only
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

torch = pytest.importorskip("torch")
from zcfast import metrics  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

ARCHS = nb201.sample(48, seed=0)
PROXIES = ["synflow", "params", "nwot", "snip", "grad_norm"]
HAS_RAY = importlib.util.find_spec("ray") is not None


@pytest.fixture(scope="module")
def ray_cluster() -> Any:
    if not HAS_RAY:
        pytest.skip("Ray is not installed (pip install 'zcfast[ray]')")
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


@pytest.mark.parametrize(
    ("executor", "workers"),
    [("inline", None), ("processes", 1), ("processes", 2), ("ray", 1), ("ray", 2)],
)
def test_score_archs_throughput(benchmark, request, executor: str, workers: int | None) -> None:  # type: ignore[no-untyped-def]
    if executor == "ray":
        request.getfixturevalue("ray_cluster")
    benchmark.group = f"score_archs, {len(ARCHS)} NB201 cells, batch 16, CPU"
    x, y = metrics.example_batch(16, 32, source="noise")
    kwargs = {
        "inputs": x,
        "labels": y,
        "num_classes": 10,
        "proxies": PROXIES,
        "progress": False,
        "executor": executor,
        "workers": workers,
    }
    df = benchmark.pedantic(
        metrics.score_archs, args=("nb201", ARCHS), kwargs=kwargs, rounds=2, iterations=1
    )
    assert df["error"].null_count() == df.height
    benchmark.extra_info.update(
        executor=executor,
        workers=workers or 1,
        archs_per_second=round(len(ARCHS) / benchmark.stats.stats.median, 2),
    )
