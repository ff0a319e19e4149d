"""Layer-wise proxy discovery: the GP part and the per-layer primitives, timed.

* ``evolve_layerwise`` with default settings on 100 architectures of the embedded per-layer
  table (NB201 cells, 15 weight layers each on average), wall and CPU seconds, with the ratio
  to EZNAS's published ~24 CPU-hours per search in ``extra_info`` (a published figure, not
  measured here). The real 1,000-cell experiment (``scripts/layerwise_experiment.py report``)
  times the same GP on full NB201 networks (~44 layers).
* ``layer_primitives_many`` throughput (architectures per second) on full NB201 networks at
  batch 64, beside ``score_archs`` of all 14 proxies on the same cells and batch; on CPU, and
  on CUDA when there is a GPU.

python -m pytest benches/python/test_bench_layerwise.py --benchmark-only
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import zcfast

EZNAS_CPU_SECONDS = 24 * 3600
ARCHS = ["(2, 2, 0, 4, 2, 0)", "(4, 0, 3, 1, 4, 3)", "(3, 3, 2, 2, 3, 0)", "(2, 2, 2, 2, 2, 2)"]
BATCH = 64


def test_evolve_layerwise_default_settings_100_archs(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "evolve-layerwise-defaults-100-archs"
    table = zcfast.LayerTable.from_frame(zcfast.datasets.load_demo_layers())
    accuracy = zcfast.datasets.accuracy_by_arch(zcfast.datasets.load_demo())
    y = np.array([accuracy[a] for a in table.archs])
    train = np.zeros(table.n_archs, dtype=bool)
    train[np.random.default_rng(0).permutation(table.n_archs)[:100]] = True
    cpu: list[float] = []

    def run() -> zcfast.EvolveResult:
        start = time.process_time()
        result = zcfast.evolve_layerwise(table.select_archs(train), y[train], seed=0)
        cpu.append(time.process_time() - start)
        return result

    result = benchmark.pedantic(run, rounds=3, iterations=1)
    held_out = zcfast.spearman(result.best.evaluate(table.select_archs(~train)), y[~train])
    benchmark.extra_info.update(
        held_out_spearman=held_out,
        cpu_seconds=float(np.median(cpu)),
        eznas_cpu_ratio=round(EZNAS_CPU_SECONDS / float(np.median(cpu))),
        layers=int(table.layer_counts()[train].sum()),
    )


@pytest.fixture(scope="module")
def batch():  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    return torch.randn(BATCH, 3, 32, 32, generator=g), torch.randint(0, 10, (BATCH,), generator=g)


def _devices() -> list[str]:
    try:
        import torch
    except ImportError:  # pragma: no cover - the test extra has torch
        return []
    return ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.mark.parametrize("device", _devices())
@pytest.mark.parametrize("library", ["zcfast", "score_archs"])
def test_layer_primitives_many_throughput(benchmark, batch, device: str, library: str) -> None:  # type: ignore[no-untyped-def]
    """``library="zcfast"``: the layer table; ``"score_archs"``: the 14 proxies alone."""
    from zcfast import metrics

    benchmark.group = f"nb201 {len(ARCHS)} archs per call, batch {BATCH}, {device}"
    x, y = batch
    run = metrics.layer_primitives_many if library == "zcfast" else metrics.score_archs
    out = benchmark.pedantic(
        run,
        args=("nb201", ARCHS),
        kwargs={"inputs": x, "labels": y, "num_classes": 10, "device": device, "progress": False},
        rounds=3,
        iterations=1,
        warmup_rounds=1,
    )
    assert out["error"].null_count() == out.height
    benchmark.extra_info.update(
        archs_per_second=round(len(ARCHS) / benchmark.stats.stats.median, 2), device=device
    )
