"""Fused ``compute(all)`` vs one proxy at a time (each its own passes, as the reference runs
them), same NB201 network and batch of 64, side by side in one benchmark group.

Run (from the repository root)::

    python -m pytest benches/python --benchmark-only

The two runs are the ``library`` parameters ``zcfast`` (fused) and ``one-at-a-time``
(``compute(fused=False)``), so ``benches/python/report.py`` prints their ratio; the
speed-up (mean one-at-a-time / mean fused) is also stored in ``extra_info["speedup"]`` of
both.  On a CUDA machine a third benchmark times ``compute(all)`` on the GPU (target:
≤ 25 ms per network at batch 64) with the device name in ``extra_info``.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pytest_benchmark")

from zcfast import metrics  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

# A mid-sized cell (two 3×3 convs, a 1×1 conv, a pool, a skip, a none): 0.80 M params,
# 117 MFLOPs, close to the NB201 median cost.
ARCH = "(2, 2, 0, 4, 2, 0)"
BATCH = 64
GROUP = f"nb201 {ARCH} all proxies, batch {BATCH}"

_means: dict[str, float] = {}
_infos: dict[str, dict] = {}


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    net = nb201.build(ARCH, 10)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (BATCH,), generator=g)
    return net, x, y


def _record(benchmark, key: str) -> None:
    _means[key] = benchmark.stats.stats.mean
    _infos[key] = benchmark.extra_info
    benchmark.extra_info.update(
        arch=ARCH, batch=BATCH, threads=torch.get_num_threads(), device="cpu"
    )
    if len(_means) == 2:
        ratio = _means["one-at-a-time"] / _means["zcfast"]
        for info in _infos.values():
            info["speedup"] = round(ratio, 2)
        print(
            f"\nzcfast fused {_means['zcfast']:.3f}s vs one proxy at a time "
            f"{_means['one-at-a-time']:.3f}s (means): {ratio:.2f}x"
        )


@pytest.mark.benchmark(group=GROUP)
@pytest.mark.parametrize("library", ["zcfast", "one-at-a-time"])
def test_all_proxies(benchmark, setup, library: str) -> None:
    """``library="zcfast"``: fused ``compute``; ``"one-at-a-time"``: ``compute(fused=False)``."""
    net, x, y = setup
    fused = library == "zcfast"
    out = benchmark.pedantic(
        metrics.compute,
        args=(net, x, y),
        kwargs={"fused": fused},
        rounds=5 if fused else 3,
        iterations=1,
        warmup_rounds=1,
    )
    assert set(out) == set(metrics.PROXIES)
    _record(benchmark, library)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.benchmark(group=f"nb201 {ARCH} all proxies, batch {BATCH}, CUDA")
def test_fused_all_proxies_cuda(benchmark, setup) -> None:  # pragma: no cover - needs a GPU
    net, x, y = setup
    dev = torch.device("cuda")
    net = net.to(dev)
    xd, yd = x.to(dev), y.to(dev)

    def run() -> dict[str, float]:
        out = metrics.compute(net, xd, yd)
        torch.cuda.synchronize()
        return out

    benchmark.pedantic(run, rounds=20, iterations=1, warmup_rounds=3)
    benchmark.extra_info.update(
        arch=ARCH,
        batch=BATCH,
        device=torch.cuda.get_device_name(dev),
        mean_ms=round(benchmark.stats.stats.mean * 1e3, 2),
    )
