"""NB201 variants the scale and resume tests score with (importable by worker processes).

They are real NB201 spaces with one extra behaviour each: :class:`VictimSpace` stalls on one
architecture until the test has killed the worker process building it; :class:`PoisonSpace`
kills every process that builds one architecture; :class:`CountingSpace`
records the architectures it builds (in-process executors only); :class:`RenamedSpace` is NB201
under another name.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zcfast.spaces.nb201 import NB201Space

#: How long a stalled build waits for the test to kill its process before giving up.
STALL_SECONDS = 120.0


class VictimSpace(NB201Space):
    """Building ``victim`` writes the process id to ``folder/pid`` and waits until the test
    has killed that process and written ``folder/killed``; later builds of it go through."""

    def __init__(self, victim: str, folder: str | os.PathLike[str]) -> None:
        self.victim = victim
        self.folder = str(folder)

    def build(self, arch: Any, task: Any = None, **kw: Any) -> Any:
        folder = Path(self.folder)
        if self.key(arch) == self.victim and not (folder / "killed").exists():
            tmp = folder / f"pid.{os.getpid()}.tmp"
            tmp.write_text(str(os.getpid()))
            tmp.replace(folder / "pid")
            deadline = time.monotonic() + STALL_SECONDS
            while not (folder / "killed").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        return super().build(arch, task, **kw)


class PoisonSpace(NB201Space):
    """Building ``poison`` kills the building process, every time (like a hard crash)."""

    def __init__(self, poison: str) -> None:
        self.poison = poison

    def build(self, arch: Any, task: Any = None, **kw: Any) -> Any:
        if self.key(arch) == self.poison:
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
        return super().build(arch, task, **kw)


class CountingSpace(NB201Space):
    """Records the key of every architecture it builds in ``built``."""

    def __init__(self) -> None:
        self.built: list[str] = []

    def build(self, arch: Any, task: Any = None, **kw: Any) -> Any:
        self.built.append(self.key(arch))
        return super().build(arch, task, **kw)


class RenamedSpace(NB201Space):
    """NB201 under another name (a different space, as far as a score directory knows)."""

    name = "nb201-renamed"


def kill_stalled_worker(folder: str | os.PathLike[str], timeout: float = 90.0) -> int:
    """Waits for a :class:`VictimSpace` build to stall, SIGKILLs its process, lets later
    builds through, and returns the killed process id."""
    import signal

    pid_file, deadline = Path(folder) / "pid", time.monotonic() + timeout
    while not pid_file.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no worker stalled on the victim within {timeout} s")
        time.sleep(0.02)
    pid = int(pid_file.read_text())
    assert pid != os.getpid(), "the victim was built in the test process, not in a worker"
    os.kill(pid, signal.SIGKILL)
    (Path(folder) / "killed").touch()
    return pid


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """One intra-op torch thread, as each worker of a 2-worker pool on 2 cores has: the same
    floating-point reductions as the workers, and no spinning threads on a loaded machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def noise_settings(
    proxies: list[str], *, seed: int = 0, batch: int = 8, size: int = 16
) -> dict[str, Any]:
    """The scoring keywords these tests share: a seeded noise batch and no progress bar."""
    from zcfast import metrics

    x, y = metrics.example_batch(batch, size, source="noise", seed=seed)
    return dict(inputs=x, labels=y, num_classes=10, proxies=proxies, seed=seed, progress=False)
