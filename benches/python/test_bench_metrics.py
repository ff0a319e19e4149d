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

# grasp needs an exact Hessian-vector product (a double backward), which costs more than all the
# other proxies together and is the same work fused or not; the second group shows the rest.
PROXY_SETS = {
    "all": tuple(metrics.PROXIES),
    "without-grasp": tuple(p for p in metrics.PROXIES if p != "grasp"),
}

_means: dict[tuple[str, str], float] = {}
_infos: dict[tuple[str, str], dict] = {}


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    net = nb201.build(ARCH, 10)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (BATCH,), generator=g)
    return net, x, y


def _record(benchmark, which: str, library: str) -> None:
    _means[which, library] = benchmark.stats.stats.mean
    _infos[which, library] = benchmark.extra_info
    benchmark.extra_info.update(
        arch=ARCH, batch=BATCH, proxies=which, threads=torch.get_num_threads(), device="cpu"
    )
    if (which, "zcfast") in _means and (which, "one-at-a-time") in _means:
        fused, separate = _means[which, "zcfast"], _means[which, "one-at-a-time"]
        ratio = separate / fused
        for lib in ("zcfast", "one-at-a-time"):
            _infos[which, lib]["speedup"] = round(ratio, 2)
        print(
            f"\n{which}: zcfast fused {fused:.3f}s vs one proxy at a time {separate:.3f}s "
            f"(means): {ratio:.2f}x"
        )


@pytest.mark.parametrize("which", list(PROXY_SETS))
@pytest.mark.parametrize("library", ["zcfast", "one-at-a-time"])
def test_proxies(benchmark, setup, which: str, library: str) -> None:
    """``library="zcfast"``: fused ``compute``; ``"one-at-a-time"``: ``compute(fused=False)``."""
    benchmark.group = f"nb201 {ARCH} {which} proxies, batch {BATCH}"
    net, x, y = setup
    fused = library == "zcfast"
    out = benchmark.pedantic(
        metrics.compute,
        args=(net, x, y, PROXY_SETS[which]),
        kwargs={"fused": fused},
        rounds=5 if fused else 3,
        iterations=1,
        warmup_rounds=1,
    )
    assert set(out) == set(PROXY_SETS[which])
    _record(benchmark, which, library)


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
