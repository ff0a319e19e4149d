"""What a job is to the runner, the executors and the stores.

A *job* scores chunks of architectures: ``job(archs)`` returns a :class:`ChunkResult` (a frame
per table, one row per architecture or a block of rows per architecture, keyed by ``arch``).
Everything in :mod:`zcfast.jobs` is typed against :class:`Job`, so the machinery knows nothing
of networks or proxies; :class:`zcfast.metrics.ScoreJob` (build each architecture and compute
its proxies or its layer table) is the job zcfast runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import polars as pl

__all__ = ["Chunk", "ChunkResult", "Finished", "Job"]


@dataclass
class ChunkResult:
    """What scoring a chunk gives: a frame per table, how many architectures it holds, and
    whether Ctrl-C ended the loop before the chunk's last architecture."""

    frames: dict[str, pl.DataFrame]
    n_done: int
    interrupted: bool = False


class Job(Protocol):
    """A picklable unit of work that scores architectures (sent once to each worker)."""

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables each chunk has rows in (the first one has a row per architecture)."""
        ...

    @property
    def label(self) -> str:
        """A few words for progress bars (e.g. the space's name)."""
        ...

    def __call__(
        self, archs: Sequence[Any], on_arch: Callable[[int], None] | None = None
    ) -> ChunkResult:
        """Scores ``archs`` in order; ``on_arch(1)`` after each."""
        ...

    def failed(self, archs: Sequence[Any], message: str) -> ChunkResult:
        """Error rows for ``archs``, none of which could be scored."""
        ...

    def empty_frames(self) -> dict[str, pl.DataFrame]:
        """The job's tables with no rows (their columns and dtypes)."""
        ...

    def key_or_error(self, arch: Any) -> tuple[str, str | None]:
        """The key of ``arch``, or ``str(arch)`` and the message when it is malformed."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the rows are, as JSON values (what an ``out=`` directory records): ``tables``
        and ``columns`` (``{table: [[column, polars dtype name], ...]}``) and whatever else
        must agree for a rerun to add rows to the same directory."""
        ...

    def check_device(self) -> Any:
        """Raises unless this process can use the job's device."""
        ...

    def start_worker(self, index: int | None, threads: int | None) -> None:
        """Readies this process to score (moves the batch to its device, sets torch threads);
        ``index`` numbers the worker among its siblings."""
        ...


@dataclass
class Chunk:
    """Consecutive architectures of the caller's list: chunk ``index``, from ``offset`` in it."""

    index: int
    offset: int
    archs: list[Any]

    @property
    def key(self) -> tuple[int, int]:
        return (self.index, self.offset)

    def singletons(self) -> list[Chunk]:
        """The chunk split into one chunk per architecture (to isolate one that kills workers)."""
        return [Chunk(self.index, self.offset + i, [a]) for i, a in enumerate(self.archs)]


@dataclass
class Finished:
    """A chunk back from its worker: its result, or ``None`` when the worker died."""

    chunk: Chunk
    result: ChunkResult | None
