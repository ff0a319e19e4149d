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
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from zcfast._ensemble import Ensemble
from zcfast._expression import Expression
from zcfast._layers import ARCH_COLUMN, LayerTable
from zcfast._messages import describe_value
from zcfast._params import Choice, Instance, check, fail
from zcfast._search._algorithms import worst_if_invalid
from zcfast._validate import require_columns
from zcfast.exceptions import (
    ArgumentTypeError,
    ProxyRangeWarning,
    ShapeError,
    UnknownNameError,
    ZcfastError,
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
#: A live search warns once this many candidates are scored if, on average, more than
#: :data:`_OUTSIDE_SHARE` of an ensemble's members score them outside their training range.
_OUTSIDE_AFTER = 8
_OUTSIDE_SHARE = 0.5


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
            check_table(table, arch_column)
            require_columns("table", proxy.features, table.columns, "the proxy reads")
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
            raise raised_on("proxy", "the callable to return a score", key, exc) from exc
        return worst_if_invalid(number_from_callable("proxy", value, key))


class LiveScorer(Scorer):
    """Each candidate built and scored with :mod:`zcfast.metrics` (only the proxies the
    expression reads), on the executor of ``session_args``, with an ``out=`` cache."""

    def __init__(
        self, proxy: Expression | Ensemble, job: Any, session_args: dict[str, Any]
    ) -> None:
        self.proxy, self.job = proxy, job
        out = session_args.pop("out", None)
        self.cache: dict[str, float] = {}
        if out is not None:
            session_args["out"] = self._store_for(Path(out))
        self.session_args = session_args
        self.session: Any = None
        self.outside: list[float] = []  # ProxyRangeWarning's evidence, until it is decided

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
            inputs: Any
            if self.proxy.is_layerwise:
                inputs = LayerTable.from_frame(ok.drop("error"), ARCH_COLUMN)
                archs = list(dict.fromkeys(ok["arch"].to_list()))
            else:
                # the columns the expression does not read were not computed: zeros
                inputs = np.zeros((ok.height, len(self.proxy.feature_names)))
                for i, name in enumerate(self.proxy.feature_names):
                    if name in ok.columns:
                        inputs[:, i] = ok[name].to_numpy()
                archs = ok["arch"].to_list()
            values = self.proxy.evaluate(inputs)
            scores.update(zip(archs, (worst_if_invalid(v) for v in np.asarray(values))))
            self._check_range(inputs)
        return scores

    def _check_range(self, inputs: Any) -> None:
        """Warn (once) when an ensemble's members score the first candidates mostly outside
        the range they scored their training architectures in: the proxy was evolved on
        values computed another way, and its ranking may not carry over."""
        if not isinstance(self.proxy, Ensemble) or len(self.outside) >= _OUTSIDE_AFTER:
            return
        self.outside.extend(self.proxy.outside_reference(inputs).tolist())
        share = float(np.mean(self.outside))
        if len(self.outside) >= _OUTSIDE_AFTER and share > _OUTSIDE_SHARE:
            warnings.warn(
                f"proxy: on the first {len(self.outside)} candidates, {share:.0%} of the"
                " ensemble's member scores fall outside the range they had on its training"
                " architectures: it was evolved on proxies computed another way (batch, data,"
                " input size or task), so its ranking may not carry over; evolve it on"
                " architectures scored like these (metrics.score_archs with the same inputs)",
                ProxyRangeWarning,
                stacklevel=2,
            )


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
    found = f"{describe_value(value)} for {key}"
    raise fail(arg, "the callable to return a number", found, ArgumentTypeError)


def raised_on(arg: str, expected: str, key: str, exc: Exception) -> ZcfastError:
    """The error for a user's callable ``arg`` that raised ``exc`` on the architecture ``key``."""
    found = f"that it raised on {key}: {describe_value(exc, 300)}"
    return fail(arg, f"{expected} for every architecture", found)


def check_live_proxy(proxy: Expression | Ensemble) -> None:
    """A live search computes the proxies a flat formula reads: they must be
    :data:`zcfast.metrics.PROXIES`."""
    from zcfast import metrics

    unknown = [f for f in proxy.features if f not in metrics.PROXIES]
    if unknown and not proxy.is_layerwise:
        expected = "a formula over zcfast.metrics.PROXIES for a live search"
        raise fail("proxy", expected, f"the columns {unknown}", UnknownNameError)


def check_table(table: Any, arch_column: str) -> pl.DataFrame:
    """``table`` if it is a (polars, or converted pandas) DataFrame of architectures."""
    what = f"a polars or pandas DataFrame with an {arch_column!r} column (one row per architecture)"
    return check("table", table, Instance(pl.DataFrame, what=what))


def unique_keys(space: Any, archs: Any) -> list[str]:
    """The space's keys of a table's architectures; each must appear once."""
    keys = [space_key(space, a, "table") for a in archs]
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        twice = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise fail("table", "one row per architecture", f"{twice} more than once")
    return keys


def table_keys(space: Any, table: Any, arch_column: str) -> list[str]:
    """The space's keys of a flat table's ``arch_column``."""
    check("arch_column", arch_column, Choice(*table.columns, note="the table's columns"))
    if table.height == 0:
        raise fail("table", "at least one architecture", "an empty table", ShapeError)
    return unique_keys(space, table[arch_column].to_list())


def space_key(space: Any, arch: Any, arg: str) -> str:
    """The space's key of ``arch``, or an error naming ``arg``."""
    try:
        return str(space.key(arch))
    except Exception as exc:
        raise fail(arg, f"architectures of {space.name}", f"{arch!r} ({exc})") from None
