"""Per space and task: architectures per second with every proxy fused against the reference
style (each proxy its own passes: ``compute(fused=False)``), the same networks and batch side
by side; and a batch of architectures scored through the shared scoring job (``score_archs``)
against a per-architecture loop of build + ``compute``.

python -m pytest benches/python/test_bench_spaces.py --benchmark-only

Each space is scored at its benchmark's input size, and TransNAS-Bench-101 (every task of both
of its spaces) at 64×64 instead of 256×256 (jigsaw: nine 64×64 tiles, as in its benchmark), on
one architecture per task to keep a CPU run near five minutes; batch :data:`BATCH`.
``extra_info`` holds archs/s, peak memory (CPU: the process's peak RSS over its RSS at the
start of the case, Linux only; CUDA: ``max_memory_allocated``) and, for the pairs, the ratio.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import time
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pytest_benchmark")

from zcfast import metrics  # noqa: E402
from zcfast.spaces import get_space  # noqa: E402

BATCH = 16
#: (space, task, input size the networks are scored at, architectures scored)
CASES = [
    ("nb201", "cifar10", 32, 2),
    ("nb101", "cifar10", 32, 2),
    ("nb301", "cifar10", 32, 2),
    *(
        (space, task, 64, 1)
        for space in ("tnb101_micro", "tnb101_macro")
        for task in get_space(space).tasks
    ),
]
_seconds: dict[tuple[str, str], float] = {}


def _devices() -> list[str]:
    return ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


def _setup(
    space_name: str, task_name: str, size: int, n_archs: int = 2
) -> tuple[Any, Any, list[Any], Any, Any]:
    space = get_space(space_name)
    task = space.task(task_name).with_input_size(size)
    x, y = task.example_batch(BATCH, seed=0, source="noise")
    return space, task, space.sample(n_archs, seed=0), x, y


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def _reset_peak_rss() -> float:
    """Hands freed heap memory back to the system (glibc ``malloc_trim``, after a collection),
    resets the process's peak RSS to its current RSS (Linux ``clear_refs`` 5) and returns that
    RSS in MiB: the peak read after a case is then that case's own, not the largest of any
    case before it, and memory the allocator kept from earlier cases is not reused unseen."""
    gc.collect()
    ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return _status_mib("VmRSS")


def _peak_rss_mib() -> float:
    return _status_mib("VmHWM")


def _score_each(space: Any, task: Any, archs: list[Any], x: Any, y: Any, fused: bool, dev: str):
    proxies = list(metrics.proxies_for(task))
    for arch in archs:
        torch.manual_seed(0)
        net = space.build(arch, task).to(dev)
        metrics.compute(net, x.to(dev), y.to(dev), proxies, task=task, fused=fused)


#: The mode of each pair that should be the faster one.
_FAST = ("fused", "batched")


def _record_pair(group: str, mode: str, seconds: float, info: dict[str, Any]) -> None:
    """Keeps a pair's times and, once both are in, the speed-up of the fast mode."""
    _seconds[group, mode] = seconds
    pair = {m: s for (g, m), s in _seconds.items() if g == group}
    if len(pair) == 2:
        fast = next(s for m, s in pair.items() if m in _FAST)
        slow = next(s for m, s in pair.items() if m not in _FAST)
        info["speedup"] = round(slow / fast, 2)
        print(f"\n{group}: {pair} -> {slow / fast:.2f}x")


@pytest.mark.parametrize("device", _devices())
@pytest.mark.parametrize("mode", ["fused", "one-at-a-time"])
@pytest.mark.parametrize(("space_name", "task_name", "size", "n_archs"), CASES)
def test_all_proxies_per_architecture(
    benchmark: Any, space_name: str, task_name: str, size: int, n_archs: int, mode: str, device: str
) -> None:
    benchmark.group = f"{space_name} {task_name} at {size}px, batch {BATCH}, {device}"
    space, task, archs, x, y = _setup(space_name, task_name, size, n_archs)
    before = _reset_peak_rss()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    benchmark.pedantic(
        _score_each, args=(space, task, archs, x, y, mode == "fused", device), rounds=1
    )
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info.update(
        archs_per_second=round(n_archs / seconds, 3),
        peak_memory_mib=round(
            torch.cuda.max_memory_allocated() / 2**20
            if device == "cuda"
            else _peak_rss_mib() - before,
            1,
        ),
        threads=torch.get_num_threads(),
    )
    _record_pair(f"{space_name}-{task_name}-{device}", mode, seconds, benchmark.extra_info)


@pytest.mark.parametrize("mode", ["batched", "per-architecture"])
def test_batched_against_per_architecture_scoring(benchmark: Any, mode: str) -> None:
    """The scoring job over a batch of 8 NB201 cells (one session, the batch placed once)
    against a loop that builds and scores each cell with its own ``compute`` call."""
    benchmark.group = "nb201 8 cells, synflow+nwot+params, batch 16, cpu"
    space, task, _, x, y = _setup("nb201", "cifar10", 32)
    archs = space.sample(8, seed=1)
    proxies = ["synflow", "nwot", "params"]

    def batched() -> None:
        metrics.score_archs(
            space, archs, inputs=x, labels=y, task=task, proxies=proxies, progress=False
        )

    def each() -> None:
        for arch in archs:
            torch.manual_seed(0)
            net = space.build(arch, task)
            metrics.compute(net, x, y, proxies, task=task)

    start = time.perf_counter()
    benchmark.pedantic(batched if mode == "batched" else each, rounds=3)
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info["archs_per_second"] = round(len(archs) / seconds, 2)
    benchmark.extra_info["wall"] = round(time.perf_counter() - start, 2)
    _record_pair("nb201-batched", mode, seconds, benchmark.extra_info)
