"""How a search scores a batch of candidates: from a table, with a callable, or live.

Live scoring is :class:`zcfast.metrics.ScoreJob` run by a :class:`zcfast.jobs.Session` — the
very path of :func:`zcfast.metrics.score_archs` — so a live search takes the same executors
(this process, local processes, Ray, several GPUs) and, with ``out=``, keeps its scores in a
cache of ``out=`` stores that a rerun (or another search of the same space, task, batch and
seed) reads instead of scoring again, and that a killed search resumes from.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from zcfast._ensemble import Ensemble
from zcfast._expression import Expression
from zcfast._layers import ARCH_COLUMN, LayerTable
from zcfast._messages import describe_value
from zcfast._search._algorithms import worst_if_invalid
from zcfast.exceptions import (
    ArgumentTypeError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
)

__all__ = [
    "CallableScorer",
    "LiveScorer",
    "Scorer",
    "TableScorer",
    "number_from_callable",
    "space_key",
    "table_keys",
]

#: Prefix of the cache stores a live search keeps under ``out=``.
_CACHE_PREFIX = "scores-"


class Scorer:
    """Scores batches of architecture keys; ``domain`` is the keys it can score, if limited."""

    domain: list[str] | None = None
    #: Seconds spent computing scores (not reading them from a cache) and how many were.
    seconds: float = 0.0
    computed: int = 0

    def score(self, keys: list[str]) -> tuple[list[float], bool]:  # pragma: no cover
        """Scores of ``keys`` (in order; fewer when Ctrl-C stopped the batch) and whether it
        was interrupted."""
        raise NotImplementedError

    def __enter__(self) -> Scorer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class TableScorer(Scorer):
    """Scores read off a flat table (one row per architecture) or a long per-layer table."""

    def __init__(
        self, space: Any, proxy: Expression | Ensemble, table: Any, arch_column: str
    ) -> None:
        if isinstance(proxy, Ensemble):
            proxy = proxy.with_reference(table, arch_column=arch_column)
        if proxy.is_layerwise:
            layers = (
                table
                if isinstance(table, LayerTable)
                else LayerTable.from_frame(table, arch_column)
            )
            keys = unique_keys(space, layers.archs)
            scores = proxy.evaluate(layers)
        else:
            if not isinstance(table, pl.DataFrame):
                raise ArgumentTypeError(
                    f"table: expected a polars or pandas DataFrame with an {arch_column!r} column"
                    f" (one row per architecture) and the proxy's columns, found"
                    f" {type(table).__name__}"
                )
            missing = [c for c in proxy.features if c not in table.columns]
            if missing:
                raise UnknownNameError(
                    f"table: expected the columns the proxy reads {proxy.features},"
                    f" found no column named {missing}"
                )
            keys = table_keys(space, table, arch_column)
            scores = proxy.evaluate(table)
        self.scores = dict(zip(keys, (worst_if_invalid(s) for s in scores)))
        self.domain = list(self.scores)

    def score(self, keys: list[str]) -> tuple[list[float], bool]:
        return [self.scores[k] for k in keys], False


class CallableScorer(Scorer):
    """``fn(key) -> float`` for each architecture (a user's scoring function)."""

    def __init__(self, fn: Callable[[str], float], domain: list[str] | None) -> None:
        self.fn, self.domain = fn, domain

    def score(self, keys: list[str]) -> tuple[list[float], bool]:
        out: list[float] = []
        start = time.perf_counter()
        try:
            for key in keys:
                out.append(self._one(key))
        except KeyboardInterrupt:
            return out, True
        finally:
            self.seconds += time.perf_counter() - start
            self.computed += len(out)
        return out, False

    def _one(self, key: str) -> float:
        try:
            value = self.fn(key)
        except Exception as exc:
            raise InvalidValueError(
                f"proxy: expected the callable to return a score for every architecture, found"
                f" that it raised on {key}: {describe_value(exc, 300)}"
            ) from exc
        return worst_if_invalid(number_from_callable("proxy", value, key))


class LiveScorer(Scorer):
    """Each candidate built and scored with :mod:`zcfast.metrics` (only the proxies the
    expression reads), on the executor of ``session_args``, with an ``out=`` cache."""

    def __init__(
        self, proxy: Expression | Ensemble, job: Any, session_args: dict[str, Any]
    ) -> None:
        from zcfast import metrics

        self.proxy, self.job = proxy, job
        if not proxy.is_layerwise:
            unknown = [f for f in proxy.features if f not in metrics.PROXIES]
            if unknown:
                raise UnknownNameError(
                    f"proxy: expected a formula over zcfast.metrics.PROXIES for a live search,"
                    f" found the columns {unknown}"
                )
        out = session_args.pop("out", None)
        self.cache: dict[str, float] = {}
        if out is not None:
            session_args["out"] = self._store_for(Path(out))
        self.session_args = session_args
        self.session: Any = None

    def _store_for(self, root: Path) -> Path:
        """The cache store for this job under ``root``: one whose rows fit (same space, task,
        batch, seed and settings, and every proxy the job needs), else a new one.  The job then
        computes that store's proxy set, so its rows stay alike."""
        from zcfast.jobs import check_out_path
        from zcfast.jobs._store import MANIFEST

        check_out_path(root)
        want = self.job.describe()
        same = ("tables", "space", "task", "batch", "seed", "settings")
        if root.is_dir():
            for folder in sorted(root.glob(f"{_CACHE_PREFIX}*")):
                try:
                    found = json.loads((folder / MANIFEST).read_text())
                except (OSError, ValueError):
                    continue
                fits = all(found.get(k) == want[k] for k in same)
                if fits and set(want["proxies"]) <= set(found.get("proxies", ())):
                    self.job.proxies = tuple(found["proxies"])
                    return folder
        digest = hashlib.sha256(json.dumps(want, sort_keys=True).encode()).hexdigest()[:16]
        return root / f"{_CACHE_PREFIX}{digest}"

    def __enter__(self) -> LiveScorer:
        from zcfast.jobs import Session

        self.session = Session(self.job, caller="search", **self.session_args).__enter__()
        if self.session.store is not None:
            rows = self.session.scan()[self.job.tables[0]].collect()
            self.cache = self._scores_of(rows)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.session is not None:
            self.session.__exit__(*exc)

    def score(self, keys: list[str]) -> tuple[list[float], bool]:
        todo = [k for k in keys if k not in self.cache]
        if todo:
            start = time.perf_counter()
            batch = self.session.score(todo)
            self.seconds += time.perf_counter() - start
            self.computed += batch.rows
            frame = batch.frames(self.job)[self.job.tables[0]]
            self.cache.update(self._scores_of(frame))
            if batch.interrupted:
                done = [k for k in keys if k in self.cache]
                return [self.cache[k] for k in done], True
        return [self.cache[k] for k in keys], False

    def _scores_of(self, rows: pl.DataFrame) -> dict[str, float]:
        """Proxy scores of the architectures in a frame of the job's first table (an
        architecture that failed scores the worst)."""
        if rows.height == 0:
            return {}
        ok = rows.filter(pl.col("error").is_null())
        scores: dict[str, float] = dict.fromkeys(rows["arch"].to_list(), -math.inf)
        if ok.height:
            if self.proxy.is_layerwise:
                values = self.proxy.evaluate(LayerTable.from_frame(ok.drop("error"), ARCH_COLUMN))
                archs = list(dict.fromkeys(ok["arch"].to_list()))
            else:
                # the columns the expression does not read were not computed: zeros
                matrix = np.zeros((ok.height, len(self.proxy.feature_names)))
                for i, name in enumerate(self.proxy.feature_names):
                    if name in ok.columns:
                        matrix[:, i] = ok[name].to_numpy()
                values = self.proxy.evaluate(matrix)
                archs = ok["arch"].to_list()
            scores.update(zip(archs, (worst_if_invalid(v) for v in np.asarray(values))))
        return scores


def number_from_callable(arg: str, value: object, key: str) -> float:
    """What a user's callable returned, as a float: a real number (NaN/inf allowed)."""
    # Anything float() takes (NumPy and PyTorch scalars, Decimal, ...) but text and booleans.
    if not isinstance(value, (str, bytes, bool, np.bool_)):
        try:
            return float(value)  # type: ignore[arg-type]
        except OverflowError:  # an int beyond float's range
            return math.inf if value > 0 else -math.inf  # type: ignore[operator]
        except (TypeError, ValueError):
            pass
    raise ArgumentTypeError(
        f"{arg}: expected the callable to return a number, found {describe_value(value)} for {key}"
    )


def unique_keys(space: Any, archs: Any) -> list[str]:
    """The space's keys of a table's architectures; each must appear once."""
    keys = [space_key(space, a, "table") for a in archs]
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        twice = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise InvalidValueError(
            f"table: expected one row per architecture, found {twice} more than once"
        )
    return keys


def table_keys(space: Any, table: Any, arch_column: str) -> list[str]:
    """The space's keys of a flat table's ``arch_column``."""
    if not isinstance(arch_column, str) or arch_column not in table.columns:
        raise UnknownNameError(
            f"arch_column: expected a column of the table {table.columns[:20]}, found"
            f" {describe_value(arch_column)}"
        )
    if table.height == 0:
        raise ShapeError("table: expected at least one architecture, found an empty table")
    return unique_keys(space, table[arch_column].to_list())


def space_key(space: Any, arch: Any, arg: str) -> str:
    """The space's key of ``arch``, or an error naming ``arg``."""
    try:
        return str(space.key(arch))
    except Exception as exc:
        raise InvalidValueError(
            f"{arg}: expected architectures of {space.name}, found {arch!r} ({exc})"
        ) from None
