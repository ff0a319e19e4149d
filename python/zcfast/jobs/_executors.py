"""Where chunks of architectures are scored: this process, local worker processes, or Ray.

Every executor runs the same unit of work, ``job(archs)`` (a :class:`~zcfast.jobs.Job` call),
and only decides where: :class:`InlineExecutor` calls it here, :class:`ProcessExecutor` in a pool of
spawned processes that each received the job once (its initializer), :class:`RayExecutor` in
Ray actors that each fetched the job from the object store once.  The driver
(:mod:`zcfast.jobs._runner`) submits chunks up to ``slots`` at a time and collects
:class:`Finished` ones; a chunk whose worker died comes back with ``result=None`` for the
driver to submit again.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import pickle
import signal
import socket
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from zcfast._params import Int, Optional, check, fail, missing_dependency
from zcfast.exceptions import ConfigError, ExecutorError, ZcfastError
from zcfast.jobs._protocol import Chunk, ChunkResult, Finished, Job

__all__ = ["EXECUTORS", "Executor", "make_executor"]

#: Executor names; any other value must be a Ray address.
EXECUTORS = ("inline", "processes", "ray")
#: Seconds to wait for a Ray address to accept a connection (ray.init itself waits forever).
CONNECT_TIMEOUT = 5.0


class Executor(Protocol):
    """What the driver needs from an executor."""

    slots: int

    def start(self, job: Job, progress: Callable[[int], None]) -> None:
        """Gets workers ready for ``job``; ``progress(n)`` is called as architectures finish."""
        ...

    def submit(self, chunk: Chunk) -> None: ...

    def wait(self) -> list[Finished]:
        """Blocks until at least one submitted chunk is back."""
        ...

    def close(self, abort: bool) -> None:
        """Releases the workers; ``abort`` stops chunks still running (Ctrl-C, an error)."""
        ...


def make_executor(executor: Any, workers: Any) -> Executor:
    """The executor named by ``executor`` (``None``, a name of :data:`EXECUTORS` or a Ray
    address) with ``workers`` slots; checks the arguments, starts nothing.

    Example
    -------
    >>> make_executor("processes", 2).slots
    2
    """
    workers = check("workers", workers, Optional(Int(1)))
    if executor is None or executor == "inline":
        if workers not in (None, 1):
            expected = "None for executor='inline' (one process)"
            raise fail("workers", expected, str(workers), ConfigError)
        return InlineExecutor()
    if executor == "processes":
        if workers is not None and workers > max_process_workers():
            expected = f"at most {max_process_workers()} local worker processes (8 per core)"
            raise fail("workers", expected, str(workers), ConfigError)
        return ProcessExecutor(workers or _cpu_count())
    if executor == "ray":
        return RayExecutor(None, workers)
    if isinstance(executor, str) and _split_address(executor) is not None:
        return RayExecutor(executor, workers)
    expected = f"one of {', '.join(EXECUTORS)} or a Ray address ('host:port', 'ray://host:port')"
    raise fail("executor", expected, repr(executor), ConfigError)


class InlineExecutor:
    """Scores each chunk in this process, when the driver waits for it."""

    slots = 1

    def __init__(self) -> None:
        self._job: Job | None = None
        self._progress: Callable[[int], None] = lambda n: None
        self._queued: list[Chunk] = []

    def start(self, job: Job, progress: Callable[[int], None]) -> None:
        job.start_worker(None, None)  # a device this process lacks fails here, before writing
        self._job, self._progress = job, progress

    def submit(self, chunk: Chunk) -> None:
        self._queued.append(chunk)

    def wait(self) -> list[Finished]:
        assert self._job is not None, "start() first"
        chunk = self._queued.pop(0)
        return [Finished(chunk, self._job(chunk.archs, on_arch=self._progress))]

    def close(self, abort: bool) -> None:
        self._queued.clear()


# ----------------------------------------------------------------------------------------------
# local worker processes

#: The job of this worker process (set by its initializer).
_PROCESS_JOB: Job | None = None


def _init_process(job: Job, counter: Any, threads: int) -> None:
    global _PROCESS_JOB

    # Ctrl-C is the driver's to handle: it stops the pool, workers must not die half-way
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with counter.get_lock():
        index = int(counter.value)
        counter.value += 1
    job.start_worker(index, threads)
    _PROCESS_JOB = job


def _score_in_process(archs: list[Any]) -> ChunkResult:
    assert _PROCESS_JOB is not None, "the pool initializer sets the job"
    return _PROCESS_JOB(archs)


class ProcessExecutor:
    """A pool of ``workers`` spawned processes, each holding the job (batch included) once and
    computing with its share of the torch threads; a pool broken by a dead worker is rebuilt.
    """

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._context = multiprocessing.get_context("spawn")  # fork is unsafe with torch threads
        self._counter = self._context.Value("i", 0)
        self._initargs: tuple[Any, ...] = ()
        self._pool: cf.ProcessPoolExecutor | None = None
        # each future with its chunk and the pool it ran in (a broken pool's futures come
        # back one by one, after a fresh pool may already be running)
        self._futures: dict[cf.Future[ChunkResult], tuple[Chunk, cf.ProcessPoolExecutor]] = {}
        self._progress: Callable[[int], None] = lambda n: None

    def start(self, job: Job, progress: Callable[[int], None]) -> None:
        job.check_device()  # the workers share this machine's devices: fail here, not in each
        try:
            pickle.dumps(job)
        except Exception as exc:
            expected = "a picklable job (space, loss_fn: defined at the top level of a module)"
            raise fail("executor='processes'", expected, str(exc), ExecutorError) from None
        threads = max(1, _threads() // self.slots)
        self._initargs = (job, self._counter, threads)
        self._progress = progress

    def submit(self, chunk: Chunk) -> None:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.slots,
                mp_context=self._context,
                initializer=_init_process,
                initargs=self._initargs,
            )
        future = self._pool.submit(_score_in_process, chunk.archs)
        self._futures[future] = (chunk, self._pool)

    def wait(self) -> list[Finished]:
        ready, _ = cf.wait(list(self._futures), return_when=cf.FIRST_COMPLETED)
        finished = []
        for future in ready:
            chunk, pool = self._futures.pop(future)
            exc = future.exception()
            if isinstance(exc, BrokenProcessPool):
                if pool is self._pool:
                    self._discard_pool()  # the next submit starts a fresh one
                finished.append(Finished(chunk, None))
            elif exc is not None:
                raise _worker_failed("executor='processes'", repr(exc)) from exc
            else:
                result = future.result()
                self._progress(result.n_done)
                finished.append(Finished(chunk, result))
        return finished

    def close(self, abort: bool) -> None:
        if abort:
            self._futures.clear()
            self._discard_pool()
        elif self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # kill the workers rather than wait for chunks nobody will read; Python >= 3.14 has
        # terminate_workers(), earlier versions keep the processes in a private mapping
        terminate = getattr(pool, "terminate_workers", None)
        if terminate is not None:
            terminate()
        else:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)


def max_process_workers() -> int:
    """The most local worker processes :func:`make_executor` starts (8 per core, at least 64):
    beyond that, spawning them costs more than they score."""
    return max(64, 8 * _cpu_count())


def _threads() -> int:
    """The intra-op threads this process computes with (torch's setting when torch is loaded)."""
    import sys

    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else _cpu_count()


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


# ----------------------------------------------------------------------------------------------
# Ray


class _RayWorker:
    """A Ray actor: holds the job (fetched from the object store once, the batch moved to its
    GPU once) and scores the chunks sent to it."""

    def __init__(self, job_box: list[Any]) -> None:
        import ray

        # the ObjectRef travels in a list so that Ray hands it over instead of the object
        self.job: Job = ray.get(job_box[0])
        self.job.start_worker(None, None)

    def score(self, archs: list[Any]) -> ChunkResult:
        return self.job(archs)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise missing_dependency("Ray", "executor", "'zcfast[ray]'") from None
    return ray


def _worker_failed(executor: str, why: str) -> ZcfastError:
    """The error for a worker that raised outside the per-architecture error handling."""
    expected, found = "workers that score their chunks", f"one that failed: {why}"
    return fail(executor, expected, found, ExecutorError)


def _split_address(address: str) -> tuple[str, int] | None:
    """(host, port) of ``"host:port"`` or ``"ray://host:port"``, else ``None``."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _probe(address: str) -> None:
    """Raises :class:`ExecutorError` unless ``address`` accepts a TCP connection soon."""
    host_port = _split_address(address)
    if host_port is None:
        raise fail("RAY_ADDRESS", "'host:port' or 'ray://host:port'", repr(address), ConfigError)
    try:
        socket.create_connection(host_port, timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        expected = f"a Ray cluster accepting connections at {address!r}"
        found = f"none ({exc.strerror or exc}); is it running (`ray start --head` on that machine)?"
        raise fail("executor", expected, found, ExecutorError) from None


#: Ray errors of a lost worker, node or result (subclasses included); any other stops the run.
_RAY_LOST = {
    "RayActorError",
    "WorkerCrashedError",
    "NodeDiedError",
    "LocalRayletDiedError",
    "ObjectLostError",
    "OutOfMemoryError",
}


def _is_lost(exc: BaseException) -> bool:
    return any(c.__name__ in _RAY_LOST for c in type(exc).__mro__)


class RayExecutor:
    """``slots`` Ray actors of one CPU each (and one GPU each when the cluster has GPUs), one
    chunk at a time each; a dead actor is restarted by Ray and its chunk sent out again.

    ``address=None`` uses the Ray connection this process has open, else connects to
    ``RAY_ADDRESS`` or starts a local Ray instance; an address connects to that cluster.  A
    connection made here is closed at the end of the call.
    """

    def __init__(self, address: str | None, workers: int | None) -> None:
        self.address = address
        self.slots = workers or 1
        self._workers = workers
        self._ray: Any = None
        self._connected_here = False
        self._job_box: list[Any] = []
        self._idle: list[Any] = []
        self._busy: dict[Any, tuple[Chunk, Any]] = {}
        self._progress: Callable[[int], None] = lambda n: None

    def start(self, job: Job, progress: Callable[[int], None]) -> None:
        ray = self._ray = _import_ray()
        if ray.is_initialized() and self.address is not None:
            found = (
                f"a Ray address ({self.address!r}) while Ray is already connected in this process"
                " (ray.init was called)"
            )
            raise fail(
                "executor", "'ray' to use the connection this process has", found, ConfigError
            )
        if not ray.is_initialized():
            self._connect(ray)
        resources = ray.cluster_resources()
        device = getattr(job, "device", None)
        wants_gpu = device is None or not str(device).startswith("cpu")
        gpus = int(resources.get("GPU", 0)) if wants_gpu else 0
        self.slots = self._workers or max(1, gpus or int(resources.get("CPU", 1)))
        try:
            # held for the whole run: a restarted actor fetches the job again
            self._job_box = [ray.put(job)]
        except Exception as exc:
            found = f"one Ray cannot take ({exc})"
            raise fail(
                "executor", "a job Ray can send to its workers", found, ExecutorError
            ) from None
        # Ray restarts an actor whose process died; the driver resends its chunk (and gives
        # up on an architecture that keeps killing workers), so Ray itself retries nothing
        actor = ray.remote(_RayWorker).options(
            num_cpus=1, num_gpus=1 if gpus else 0, max_restarts=-1, max_task_retries=0
        )
        self._idle = [actor.remote(self._job_box) for _ in range(self.slots)]
        self._progress = progress

    def _connect(self, ray: Any) -> None:
        target = self.address or os.environ.get("RAY_ADDRESS")
        if target and target != "auto":
            _probe(target)
        try:
            ray.init(address=self.address, logging_level="WARNING")
        except (ConnectionError, RuntimeError, ValueError) as exc:
            expected = f"a Ray cluster to connect to at {target!r}"
            raise fail("executor", expected, f"an error ({exc})", ExecutorError) from None
        self._connected_here = True

    def submit(self, chunk: Chunk) -> None:
        actor = self._idle.pop()
        self._busy[actor.score.remote(chunk.archs)] = (chunk, actor)

    def wait(self) -> list[Finished]:
        ray = self._ray
        ready, _ = ray.wait(list(self._busy), num_returns=1)
        finished = []
        for ref in ready:
            chunk, actor = self._busy.pop(ref)
            self._idle.append(actor)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as exc:
                if not _is_lost(exc):
                    raise _worker_failed("executor", f"a Ray worker: {exc}") from None
                finished.append(Finished(chunk, None))
                continue
            self._progress(result.n_done)
            finished.append(Finished(chunk, result))
        return finished

    def close(self, abort: bool) -> None:
        ray = self._ray
        if ray is None:
            return
        for actor in [*self._idle, *(a for _, a in self._busy.values())]:
            ray.kill(actor)
        self._idle, self._busy, self._job_box = [], {}, []
        if self._connected_here:
            ray.shutdown()
            self._connected_here = False
