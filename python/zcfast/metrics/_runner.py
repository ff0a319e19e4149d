"""Running a :class:`ScoreJob` over many architectures: chunks, retries, sinks, progress, Ctrl-C.

:func:`run_job` splits the architectures into chunks, keeps an executor busy with them, sends a
chunk whose worker died out again (split into single architectures after
:data:`MAX_ATTEMPTS`, so that one architecture that kills its worker gets an error row and the
others are scored), and hands each finished chunk to a sink: memory (the frames are returned)
or an ``out=`` directory (rows are on disk as soon as their chunk is back, and a rerun skips
them).
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from zcfast.exceptions import ArgumentTypeError, ConfigError, ExecutorError
from zcfast.metrics._executors import Chunk, Executor, Finished, make_executor
from zcfast.metrics._store import ChunkKey, ScoreStore

if TYPE_CHECKING:
    import polars as pl

    from zcfast.metrics._score import ChunkResult, ScoreJob

__all__ = ["MAX_ATTEMPTS", "run_job"]

#: Times a chunk is sent out while its workers keep dying, before it is split up.
MAX_ATTEMPTS = 3
#: Default chunk size: about this many chunks per worker slot ...
_CHUNKS_PER_SLOT = 8
#: ... and at most this many architectures per chunk (and per part file).
_MAX_CHUNK = 32


class _MemorySink:
    """Keeps every chunk's frames; the result is in the caller's order."""

    def __init__(self, job: ScoreJob) -> None:
        self.job = job
        self.parts: dict[ChunkKey, dict[str, pl.DataFrame]] = {}
        self.rows = 0

    def commit(self, key: ChunkKey, result: ChunkResult) -> None:
        self.parts[key] = result.frames
        self.rows += result.n_done

    def result(self) -> dict[str, Any]:
        import polars as pl

        if not self.parts:
            return self.job.empty_frames()
        ordered = [self.parts[k] for k in sorted(self.parts)]
        return {t: pl.concat([p[t] for p in ordered], how="vertical") for t in self.job.tables}


class _StoreSink:
    """Writes every chunk as part files of an ``out=`` directory; the result scans them."""

    def __init__(self, store: ScoreStore) -> None:
        self.store = store
        self.rows = 0

    def commit(self, key: ChunkKey, result: ChunkResult) -> None:
        if result.n_done:
            self.store.commit(key, result.frames)
            self.rows += result.n_done

    def result(self) -> dict[str, Any]:
        return {t: self.store.scan(t) for t in self.store.tables}


class _Progress:
    """A tqdm bar that exists once the number of architectures to score is known."""

    def __init__(self, enabled: bool, desc: str) -> None:
        self.enabled, self.desc = enabled, desc
        self.bar: Any = None

    def open(self, total: int) -> None:
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="arch")

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_job(
    job: ScoreJob,
    archs: list[Any],
    *,
    caller: str,
    executor: Any,
    workers: Any,
    out: str | os.PathLike[str] | None,
    chunk_size: Any,
    progress: bool,
) -> dict[str, Any]:
    """Scores ``archs`` with ``job`` on ``executor``: one frame (a LazyFrame with ``out=``) per
    table of the job.  The arguments are those of :func:`zcfast.metrics.score_archs`; nothing
    is written before the executor has started (an unreachable cluster leaves ``out`` as it was).

    Example
    -------
    >>> run_job(job, archs, caller="score_archs", executor="processes", workers=2,
    ...         out=None, chunk_size=None, progress=False)["proxies"]   # doctest: +SKIP
    """
    _check_chunk_size(chunk_size)
    if not isinstance(progress, bool):
        raise ArgumentTypeError(f"progress: expected True or False, found {progress!r:.80}")
    runner = make_executor(executor, workers)
    store = None if out is None else ScoreStore.check(out, job.describe())  # reads only
    bar = _Progress(progress, f"{caller} {job.space.name}")
    runner.start(job, bar.update)
    completed = False
    try:
        if store is not None:
            store.open()
        done = set() if store is None else store.done_keys()
        todo = archs if store is None else _not_done(job, archs, done)
        sink = _MemorySink(job) if store is None else _StoreSink(store)
        size = chunk_size or _default_chunk_size(len(todo), runner.slots)
        chunks = [Chunk(i, 0, todo[s : s + size]) for i, s in enumerate(range(0, len(todo), size))]
        bar.open(len(todo))
        interrupted = _drive(runner, job, chunks, sink)
        completed = not interrupted
    finally:
        runner.close(abort=not completed)
        bar.close()
        if store is not None:
            store.close()
    if interrupted:
        _warn_interrupted(caller, sink.rows, len(todo), len(done), out)
    return sink.result()


def _drive(runner: Executor, job: ScoreJob, chunks: list[Chunk], sink: Any) -> bool:
    """Runs every chunk to a committed result; ``True`` when Ctrl-C stopped it first."""
    queue = deque(chunks)
    attempts: Counter[tuple[int, int, int]] = Counter()
    in_flight = losses = 0
    any_back = False
    try:
        while queue or in_flight:
            while queue and in_flight < runner.slots:
                runner.submit(queue.popleft())
                in_flight += 1
            for finished in runner.wait():
                in_flight -= 1
                result = finished.result
                if result is None:
                    losses += 1
                    _check_workers_can_start(losses, any_back, runner.slots)
                    result = _after_loss(finished, attempts, job, queue)
                else:
                    any_back = True
                if result is not None:
                    sink.commit(finished.chunk.key, result)
                    if result.interrupted:
                        return True
    except KeyboardInterrupt:
        return True
    return False


def _check_workers_can_start(losses: int, any_back: bool, slots: int) -> None:
    """Workers that keep dying before any chunk came back are broken, not unlucky: raise
    rather than turn every architecture into an error row."""
    if not any_back and losses >= MAX_ATTEMPTS * slots:
        raise ExecutorError(
            f"executor: workers died {losses} times before finishing any chunk; see their"
            " output above (a script that starts worker processes needs its code under"
            " `if __name__ == '__main__':`)"
        )


def _after_loss(
    finished: Finished, attempts: Counter[tuple[int, int, int]], job: ScoreJob, queue: deque[Chunk]
) -> ChunkResult | None:
    """A chunk whose worker died goes back to the front of the queue; after
    :data:`MAX_ATTEMPTS` it is split into single architectures, and a single architecture
    that still kills its worker gets an error row (the returned result)."""
    chunk = finished.chunk
    attempt_key = (chunk.index, chunk.offset, len(chunk.archs))
    attempts[attempt_key] += 1
    if attempts[attempt_key] < MAX_ATTEMPTS:
        queue.appendleft(chunk)
    elif len(chunk.archs) > 1:
        queue.extendleft(reversed(chunk.singletons()))
    else:
        return job.failed(
            chunk.archs, f"ExecutorError: its worker died {MAX_ATTEMPTS} times while scoring it"
        )
    return None


def _not_done(job: ScoreJob, archs: list[Any], done: set[str]) -> list[Any]:
    """``archs`` without those that have rows already, each key once (resuming never
    duplicates a row)."""
    seen = set(done)
    todo = []
    for arch in archs:
        key = job.key_or_error(arch)[0]
        if key not in seen:
            seen.add(key)
            todo.append(arch)
    return todo


def _check_chunk_size(chunk_size: Any) -> None:
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ConfigError(f"chunk_size: expected a positive int or None, found {chunk_size!r}")


def _default_chunk_size(n_archs: int, slots: int) -> int:
    return max(1, min(_MAX_CHUNK, math.ceil(n_archs / (_CHUNKS_PER_SLOT * slots))))


def _warn_interrupted(
    caller: str, finished: int, todo: int, before: int, out: str | os.PathLike[str] | None
) -> None:
    if out is None:
        message = (
            f"{caller}: interrupted; returning the {finished} architectures scored so far"
            f" ({todo - finished} not scored)"
        )
    else:
        message = (
            f"{caller}: interrupted; {os.fspath(out)!r} holds {before + finished} architectures"
            f" ({todo - finished} not scored yet: rerun with the same out= to finish)"
        )
    # stacklevel 4: the user's call of score_archs & co. (warn <- here <- run_job <- public)
    warnings.warn(message, UserWarning, stacklevel=4)
