"""Running jobs over many architectures: where they run, where their rows go, resuming.

* :class:`Job` (``_protocol``): what the machinery needs of a unit of work — score a chunk of
  architectures into frames keyed by ``arch``.  zcfast's job is
  :class:`zcfast.metrics.ScoreJob`; nothing here knows about networks.
* :class:`Session` and :func:`run_job` (``_runner``): chunks, retries of lost chunks, progress,
  Ctrl-C; a session keeps its executor for many batches (a search's proposals).
* executors (``_executors``): this process, local worker processes, Ray actors.
* :class:`ScoreStore` and :func:`read_scores` (``_store``): the ``out=`` directory of atomic
  Parquet part files that a rerun resumes.

Does not import PyTorch.

Example
-------
>>> from zcfast.jobs import EXECUTORS
>>> EXECUTORS
('inline', 'processes', 'ray')
"""

from __future__ import annotations

from zcfast.jobs._executors import EXECUTORS, Executor, make_executor
from zcfast.jobs._protocol import Chunk, ChunkResult, Finished, Job
from zcfast.jobs._runner import MAX_ATTEMPTS, Batch, Session, run_job
from zcfast.jobs._store import ScoreStore, check_out_path, read_scores

__all__ = [
    "EXECUTORS",
    "MAX_ATTEMPTS",
    "Batch",
    "Chunk",
    "ChunkResult",
    "Executor",
    "Finished",
    "Job",
    "ScoreStore",
    "Session",
    "check_out_path",
    "make_executor",
    "read_scores",
    "run_job",
]
