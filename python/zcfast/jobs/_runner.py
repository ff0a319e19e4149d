"""Running a job over many architectures: chunks, retries, sinks, progress, Ctrl-C.

A :class:`Session` starts an executor once and scores batches of architectures with it: it
splits each batch into chunks, keeps the executor busy with them, sends a chunk whose worker
died out again (split into single architectures after :data:`MAX_ATTEMPTS`, so that one
architecture that kills its worker gets an error row and the others are scored), and hands
each finished chunk to the batch's result and, with ``out=``, to a :class:`ScoreStore` (rows
are on disk as soon as their chunk is back, and a rerun skips them).  :func:`run_job` is one
session scoring one list; a search keeps a session open and scores its proposals batch by
batch.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter, deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from zcfast._params import Bool, Int, Optional, check, fail
from zcfast.exceptions import ExecutorError
from zcfast.jobs._executors import Executor, make_executor
from zcfast.jobs._protocol import Chunk, ChunkResult, Finished, Job
from zcfast.jobs._store import ChunkKey, ScoreStore

if TYPE_CHECKING:
    import polars as pl

__all__ = ["MAX_ATTEMPTS", "Batch", "Session", "run_job"]

#: Times a chunk is sent out while its workers keep dying, before it is split up.
MAX_ATTEMPTS = 3
#: Default chunk size: about this many chunks per worker slot ...
_CHUNKS_PER_SLOT = 8
#: ... and at most this many architectures per chunk (and per part file).
_MAX_CHUNK = 32


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


@dataclass
class Batch:
    """What scoring one batch gave: the chunks' frames in the batch's order (when kept), how
    many architectures were scored, and whether Ctrl-C stopped it first."""

    parts: dict[ChunkKey, dict[str, pl.DataFrame]] = field(default_factory=dict)
    rows: int = 0
    interrupted: bool = False

    def frames(self, job: Job) -> dict[str, pl.DataFrame]:
        """One frame per table of ``job``, chunks in order."""
        import polars as pl

        if not self.parts:
            return job.empty_frames()
        ordered = [self.parts[k] for k in sorted(self.parts)]
        return {t: pl.concat([p[t] for p in ordered], how="vertical") for t in job.tables}


class Session:
    """An executor started once for ``job``, scoring batches of architectures, with an
    optional ``out=`` store; use it as a context manager.

    Nothing is written before the executor has started (an unreachable cluster leaves ``out``
    as it was).

    Example
    -------
    >>> from zcfast.metrics import Options, example_batch
    >>> from zcfast.metrics._many import make_job
    >>> x, y = example_batch(4, 8, source="noise")
    >>> job = make_job("proxies", "nb201", inputs=x, labels=y, num_classes=10,
    ...                proxies=["params"], options=Options())
    >>> with Session(job, caller="example", executor="inline") as session:  # or "processes"
    ...     first = session.score(["(2, 2, 0, 4, 2, 0)"]).frames(job)
    >>> first["proxies"]["params"].round(6).to_list()
    [0.802426]
    """

    def __init__(
        self,
        job: Job,
        *,
        caller: str,
        executor: Any = None,
        workers: Any = None,
        out: str | os.PathLike[str] | None = None,
        chunk_size: Any = None,
        progress: Any = False,
    ) -> None:
        self.job = job
        self.chunk_size = check("chunk_size", chunk_size, Optional(Int(1)))
        self.bar = _Progress(check("progress", progress, Bool()), f"{caller} {job.label}")
        self.runner: Executor = make_executor(executor, workers)
        self.store = None if out is None else ScoreStore.check(out, job.describe())  # reads only
        self._next_chunk = 0
        self._aborted = False

    def __enter__(self) -> Session:
        self.runner.start(self.job, self.bar.update)
        try:
            if self.store is not None:
                self.store.open()
        except BaseException:
            self.runner.close(abort=True)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.runner.close(abort=self._aborted or exc_type is not None)
        self.bar.close()
        if self.store is not None:
            self.store.close()

    def done_keys(self) -> set[str]:
        """Keys the store already has a row without an error for (empty without a store)."""
        return set() if self.store is None else self.store.done_keys()

    def not_done(self, archs: list[Any]) -> list[Any]:
        """``archs`` without those the store has rows for, each key once (resuming never
        duplicates a row); ``archs`` itself without a store."""
        if self.store is None:
            return archs
        seen = self.done_keys()
        todo = []
        for arch in archs:
            key = self.job.key_or_error(arch)[0]
            if key not in seen:
                seen.add(key)
                todo.append(arch)
        return todo

    def score(self, archs: list[Any], *, keep: bool = True) -> Batch:
        """Scores ``archs`` (committing each chunk to the store as it comes back); ``keep``
        holds the frames in the returned batch too."""
        size = self.chunk_size or _default_chunk_size(len(archs), self.runner.slots)
        chunks = []
        for start in range(0, len(archs), size):
            chunks.append(Chunk(self._next_chunk, 0, archs[start : start + size]))
            self._next_chunk += 1
        batch = Batch()

        def commit(key: ChunkKey, result: ChunkResult) -> None:
            if keep:
                batch.parts[key] = result.frames
            if self.store is not None and result.n_done:
                self.store.commit(key, result.frames)
            batch.rows += result.n_done

        batch.interrupted = _drive(self.runner, self.job, chunks, commit)
        self._aborted = self._aborted or batch.interrupted
        return batch

    def scan(self) -> dict[str, pl.LazyFrame]:
        """Every table of the store (requires ``out=``)."""
        assert self.store is not None
        return {t: self.store.scan(t) for t in self.store.tables}


def run_job(
    job: Job,
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
    table of the job.  The arguments are those of :func:`zcfast.metrics.score_archs`.

    Example
    -------
    >>> from zcfast.metrics import Options, example_batch
    >>> from zcfast.metrics._many import make_job
    >>> x, y = example_batch(4, 8, source="noise")
    >>> job = make_job("proxies", "nb201", inputs=x, labels=y, num_classes=10,
    ...                proxies=["params"], options=Options())
    >>> run_job(job, ["(2, 2, 0, 4, 2, 0)"], caller="score_archs", executor="inline",
    ...         workers=None, out=None, chunk_size=None, progress=False)["proxies"].shape
    (1, 3)
    """
    with Session(
        job,
        caller=caller,
        executor=executor,
        workers=workers,
        out=out,
        chunk_size=chunk_size,
        progress=progress,
    ) as session:
        before = len(session.done_keys())
        todo = session.not_done(archs)
        session.bar.open(len(todo))
        batch = session.score(todo, keep=out is None)
        result = batch.frames(job) if out is None else session.scan()
    if batch.interrupted:
        _warn_interrupted(caller, batch.rows, len(todo), before, out)
    return result


def _drive(
    runner: Executor,
    job: Job,
    chunks: list[Chunk],
    commit: Any,
) -> bool:
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
                    commit(finished.chunk.key, result)
                    if result.interrupted:
                        return True
    except KeyboardInterrupt:
        return True
    return False


def _check_workers_can_start(losses: int, any_back: bool, slots: int) -> None:
    """Workers that keep dying before any chunk came back are broken, not unlucky: raise
    rather than turn every architecture into an error row."""
    if not any_back and losses >= MAX_ATTEMPTS * slots:
        found = (
            f"workers that died {losses} times before finishing any chunk; see their output"
            " above (a script that starts worker processes needs its code under"
            " `if __name__ == '__main__':`)"
        )
        raise fail("executor", "workers that start", found, ExecutorError)


def _after_loss(
    finished: Finished, attempts: Counter[tuple[int, int, int]], job: Job, queue: deque[Chunk]
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
    # stacklevel 5: the user's call (warn <- here <- run_job <- the one body <- public)
    warnings.warn(message, UserWarning, stacklevel=5)
