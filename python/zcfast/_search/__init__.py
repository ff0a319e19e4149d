"""``zcfast.search``: find architectures of a search space with a proxy.

A search asks an algorithm (:mod:`._algorithms`, ask/tell) for candidates, scores each batch
once with a proxy (an evolved :class:`Expression` or :class:`Ensemble`, a built-in proxy name,
or any callable) through a scorer (:mod:`._scorers`: a table, a callable, or live networks on
any executor with a resumable cache), and keeps the best; with ``top_k`` and an ``evaluator``
it passes the best ``top_k`` by proxy to a costlier evaluator and returns the best by that
(multi-fidelity, as MF-NAS does).

* *Table mode* (``table=``): scores from a precomputed table; the search moves only among the
  table's architectures and takes milliseconds.
* *Live mode* (``inputs=``, ``labels=``): each candidate is built for the task and scored with
  :mod:`zcfast.metrics`, computing only the proxies the expression reads; an architecture is
  never scored twice, and with ``out=`` never again by a later search either.

The budget counts proxy evaluations of distinct architectures; ``time_budget`` bounds seconds.
The same seed gives the same search, whatever the executor and its number of workers.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from zcfast._ensemble import Ensemble
from zcfast._expression import Expression
from zcfast._layers import ARCH_COLUMN
from zcfast._messages import describe_value
from zcfast._params import (
    Bool,
    Choice,
    Constraint,
    Func,
    Int,
    Optional,
    Real,
    check,
    check_all,
    fail,
    found_type,
)
from zcfast._search._algorithms import ALGORITHMS, Archive, Exhausted, make_algorithm
from zcfast._search._scorers import (
    CallableScorer,
    LiveScorer,
    Scorer,
    TableScorer,
    check_live_proxy,
    check_table,
    number_from_callable,
    raised_on,
    space_key,
    table_keys,
)
from zcfast.exceptions import ArgumentTypeError, ConfigError, UnknownNameError
from zcfast.spaces import check_space

__all__ = ["ALGORITHMS", "SearchResult", "search"]

Proxy = Expression | Ensemble | str | Callable[[str], float]
#: Candidates proposed and scored together in live mode (fixed, so that a search's course
#: never depends on the number of workers).
LIVE_BATCH = 8


@dataclass
class SearchResult:
    """What :func:`zcfast.search` returns.

    Attributes
    ----------
    best : str
        The architecture found (the space's key): the best by proxy, or with ``top_k`` and an
        ``evaluator`` the best by the evaluator among the ``top_k`` best by proxy.
    best_score : float
        Its proxy score (NaN for a known architecture the search never scored).
    top : polars.DataFrame
        The best architectures by proxy (``arch``, ``score``, and ``evaluation`` when an
        evaluator ran), best first.
    history : polars.DataFrame
        One row per proxy evaluation: ``step``, ``arch``, ``score``, ``best_score`` (the best
        so far), ``elapsed`` (seconds).
    elapsed : float
        Wall-clock seconds of the whole search.
    interrupted : bool
        True when Ctrl-C stopped the search (the result holds what was found).
    stop_reason : str
        ``"budget"``, ``"time_budget"``, ``"exhausted"`` (every candidate scored) or
        ``"interrupted"``.
    scoring_seconds : float
        Seconds spent computing proxy scores (0 in table mode; scores read from an ``out=``
        cache cost nothing); :attr:`seconds_per_arch` divides it by the architectures scored.
    winner : str
        ``"proxy"`` when :attr:`best` came from the search, ``"known"`` when a labelled
        architecture of ``known=`` was better by the evaluator than every candidate.
    """

    best: str
    best_score: float
    top: pl.DataFrame
    history: pl.DataFrame
    elapsed: float
    interrupted: bool
    stop_reason: str
    settings: dict[str, Any] = field(repr=False)
    scoring_seconds: float = 0.0
    scored: int = 0
    winner: str = "proxy"

    @property
    def evaluations(self) -> int:
        """Proxy evaluations (distinct architectures), cached ones included."""
        return self.history.height

    @property
    def seconds_per_arch(self) -> float:
        """Seconds of scoring per architecture actually scored (NaN when none was)."""
        return self.scoring_seconds / self.scored if self.scored else math.nan

    def plot_trajectory(self, ax: Any = None, accuracy: Any = None) -> Any:
        """Proxy score of each evaluation and the best so far (and, given a mapping ``arch ->
        accuracy``, the accuracy of the best so far). Returns the Axes."""
        from zcfast.plot import plot_trajectory

        return plot_trajectory(self, ax=ax, accuracy=accuracy)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable); :func:`zcfast.load` reads it."""
        from zcfast._load import SEARCH_RESULT_FORMAT

        return {
            "format": SEARCH_RESULT_FORMAT,
            "best": self.best,
            "best_score": self.best_score,
            "top": self.top.to_dicts(),
            "history": self.history.to_dicts(),
            "elapsed": self.elapsed,
            "interrupted": self.interrupted,
            "stop_reason": self.stop_reason,
            "scoring_seconds": self.scoring_seconds,
            "scored": self.scored,
            "winner": self.winner,
            "settings": self.settings,
        }


# -- the loop ------------------------------------------------------------------------------------


class _Run:
    """One search's state: the history, the budget, the progress bar."""

    def __init__(self, limit: int, time_budget: float | None, progress: bool, batch: int) -> None:
        self.limit, self.time_budget, self.batch = limit, time_budget, batch
        self.rows: list[tuple[int, str, float, float, float]] = []
        self.best = -math.inf
        self.started = time.perf_counter()
        self.bar = _progress_bar(limit) if progress else None

    def done(self) -> bool:
        if not self.rows:
            return False  # every search scores at least one architecture
        if len(self.rows) >= self.limit:
            return True
        spent = time.perf_counter() - self.started
        return self.time_budget is not None and spent >= self.time_budget

    def record(self, keys: list[str], scores: list[float]) -> None:
        now = time.perf_counter() - self.started
        for key, score in zip(keys, scores):
            self.best = max(self.best, score)
            self.rows.append((len(self.rows), key, score, self.best, now))
        if self.bar is not None:
            self.bar.update(len(keys))


def _drive(run: _Run, algorithm: Any, scorer: Scorer) -> str:
    """Proposes, scores and tells until the budget, the time or the domain runs out."""
    try:
        while not run.done():
            k = min(run.batch, run.limit - len(run.rows))
            try:
                keys = algorithm.propose(k)
            except Exhausted:
                return "exhausted"
            scores, interrupted = scorer.score(keys)
            run.record(keys[: len(scores)], scores)
            algorithm.tell(keys[: len(scores)], scores)
            if interrupted:
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        if not run.rows:
            raise
        warnings.warn(
            f"search: interrupted after {len(run.rows)} evaluations; returning the best so far",
            UserWarning,
            stacklevel=3,
        )
        return "interrupted"
    finally:
        if run.bar is not None:
            run.bar.close()
    return "budget" if len(run.rows) >= run.limit else "time_budget"


# -- the entry point ----------------------------------------------------------------------------


def search(
    space: Any,
    proxy: Proxy,
    *,
    table: Any = None,
    inputs: Any = None,
    labels: Any = None,
    task: Any = None,
    num_classes: int | None = None,
    budget: int = 1000,
    time_budget: float | None = None,
    algorithm: str = "evolution",
    population_size: int = 50,
    sample_size: int = 10,
    batch_size: int | None = None,
    top_k: int | None = None,
    evaluator: Callable[[str], float] | str | None = None,
    known: Any = None,
    seed: int = 0,
    arch_column: str = ARCH_COLUMN,
    device: Any = None,
    n_threads: int | None = None,
    options: Any = None,
    executor: str | None = None,
    workers: int | None = None,
    out: Any = None,
    progress: bool | None = None,
) -> SearchResult:
    """Searches ``space`` for the architecture the proxy scores highest.

    Parameters
    ----------
    space : SearchSpace or str
        The search space (a name of :func:`zcfast.spaces.available_spaces` or a space).
    proxy : Expression, Ensemble, str or callable
        An evolved formula (``result.best``), a proxy name (a table column, or one of
        :data:`zcfast.metrics.PROXIES` in live mode), or ``callable(arch_key) -> float``.
        NaN/inf and degenerate scores count as the worst; an exception raised by a callable
        becomes an ``InvalidValueError`` naming the architecture.
    table : polars.DataFrame or layer table, optional
        Table mode: scores from this table (an ``arch_column`` with the space's keys and the
        columns the proxy reads; a long per-layer table for a layer-wise proxy). The search
        moves only among its architectures. An Ensemble's quantiles are taken among them.
    inputs, labels : torch.Tensor, optional
        Live mode: the batch every candidate is scored on (e.g.
        ``space.task(name).example_batch(64)``).
    task : str or TaskSpec, optional
        Live mode: what the candidates are built for (a name of ``space.tasks``; default the
        space's default task, with ``num_classes`` outputs when given).
    budget : int
        Proxy evaluations of distinct architectures.
    time_budget : float, optional
        Seconds; the search stops after the batch in which they pass.
    algorithm : {"evolution", "random", "local"}
        Regularised (aging) evolution, random search, or first-improvement local search over
        ``space.neighbours`` with random restarts.
    population_size, sample_size : int
        Aging evolution's population and tournament size (``population_size`` is also the
        number of random starts of local search).
    batch_size : int, optional
        Candidates proposed and scored together (default 1, the classic sequential search;
        8 in live mode, so that an executor's workers have work in parallel).  Never derived
        from the number of workers: the same seed gives the same search on any executor.
    top_k : int, optional
        With ``evaluator``: how many of the best architectures by proxy it evaluates.
    evaluator : callable or str, optional
        ``callable(arch_key) -> float`` (e.g. a short training run), or a column of ``table``
        (e.g. a trained accuracy); the best of the ``top_k`` by it is returned.
    known : mapping or DataFrame, optional
        With ``top_k`` and ``evaluator``: architectures whose evaluation is known already
        (``{arch: accuracy}``, or a table with ``arch_column`` and one numeric column), e.g. the
        labelled architectures a proxy was evolved on.  They join the multi-fidelity stage at
        no cost: the best of the ``top_k`` candidates and the known architectures is returned
        (``winner`` says which), and a candidate that is known is not evaluated again.
    seed : int
        Seeds the search (and, in live mode, each network's initialisation).
    device, n_threads, options : optional
        Live mode: where and with how many torch threads to score (default CUDA when the
        scoring process has it; torch's threads), and any other
        :class:`zcfast.metrics.Options`.
    executor, workers, out : optional
        Live mode: where candidates are scored (as in :func:`zcfast.metrics.score_archs`:
        ``"inline"``, ``"processes"``, ``"ray"`` or a Ray address), and a directory caching
        the scores: a rerun or a later search with the same space, task, batch and seed
        reads them instead of scoring again, and a search killed mid-way resumes.
    progress : bool, optional
        Show a progress bar (default: in live mode); Ctrl-C stops and returns the best so far.

    Returns
    -------
    SearchResult

    Example
    -------
    >>> df = zcfast.datasets.load_demo()
    >>> r = zcfast.search("nb201", "fisher", table=df, budget=100, seed=0)
    >>> r.evaluations, r.best in set(df["arch"])
    (100, True)
    """
    table = _as_polars(table)
    sp = check_space(space, "moves")
    _check_search_args(algorithm, budget, time_budget, population_size, sample_size, top_k, seed)
    if (top_k is None) != (evaluator is None):
        raise fail("top_k, evaluator", "both (multi-fidelity) or neither", "one", ConfigError)
    live = table is None and inputs is not None
    progress = check("progress", live if progress is None else progress, Bool())
    batch = check("batch_size", batch_size, Optional(Int(1)))
    batch = batch or (LIVE_BATCH if live else 1)
    scorer = _scorer(
        sp, _as_proxy(proxy), table, arch_column,
        live=dict(
            inputs=inputs, labels=labels, task=task, num_classes=num_classes, seed=seed,
            device=device, n_threads=n_threads, options=options, executor=executor,
            workers=workers, out=out,
        ),
    )  # fmt: skip
    # built before the search, so that a bad evaluator is an error before any work
    evaluate = None if evaluator is None else _evaluator(evaluator, table, arch_column, sp)
    labelled = _known(known, sp, arch_column, evaluate)
    if evaluate is not None and labelled:
        evaluate = _with_known(evaluate, labelled)
    archive = Archive(sp, scorer.domain, random.Random(seed))
    limit = budget if scorer.domain is None else min(budget, len(scorer.domain))
    run = _Run(limit, time_budget, progress, batch)
    with scorer:
        stop = _drive(run, make_algorithm(algorithm, archive, population_size, sample_size), scorer)
    if stop == "budget" and scorer.domain is not None and len(scorer.domain) < budget:
        stop = "exhausted"
    top = _top(archive.scores, top_k, evaluate)
    best_row = top.row(0, named=True)
    best, winner = best_row["arch"], "proxy"
    if labelled:
        best_known = max(labelled, key=lambda a: labelled[a])
        evaluation = best_row.get("evaluation")
        if evaluation is None or labelled[best_known] > evaluation:
            best, winner = best_known, "known"
    return SearchResult(
        best=best,
        best_score=float(archive.scores.get(best, math.nan)),
        top=top,
        history=pl.DataFrame(
            run.rows, schema=["step", "arch", "score", "best_score", "elapsed"], orient="row"
        ),
        elapsed=time.perf_counter() - run.started,
        interrupted=stop == "interrupted",
        stop_reason=stop,
        settings={
            "space": sp.name,
            "mode": "table" if table is not None else ("live" if live else "callable"),
            "algorithm": algorithm,
            "budget": budget,
            "time_budget": time_budget,
            "population_size": population_size,
            "sample_size": sample_size,
            "batch_size": batch,
            "top_k": top_k,
            "seed": seed,
        },
        scoring_seconds=scorer.seconds,
        scored=scorer.computed,
        winner=winner,
    )


def _as_polars(table: Any) -> Any:
    """A pandas DataFrame or polars LazyFrame as a polars DataFrame; a path is refused."""
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    if type(table).__module__.startswith("pandas") and hasattr(table, "columns"):
        columns = [str(c) for c in table.columns]
        if len(set(columns)) != len(columns):
            raise fail("table", "unique column names", str(columns[:20]))
        return pl.from_pandas(table.set_axis(columns, axis=1))
    if isinstance(table, (str, bytes)) or hasattr(table, "__fspath__"):
        expected = (
            "a DataFrame (read a file with zcfast.datasets.read_table or load_suite_zero first)"
        )
        found = f"the path {describe_value(str(table))}"
        raise fail("table", expected, found, ArgumentTypeError)
    return table


def _as_proxy(proxy: Any) -> Expression | Ensemble | Callable[[str], float]:
    if isinstance(proxy, (Expression, Ensemble)):
        return proxy
    if isinstance(proxy, str):
        # a column (table mode) or a zcfast.metrics proxy (live mode), whatever its name
        return Expression(("x0",), (proxy,))
    return check("proxy", proxy, _PROXY)


_PROXY = Func("a zcfast.Expression or Ensemble, a proxy name or a callable arch -> score")
#: What :func:`search` takes (besides the space, proxy and data).
_SEARCH_ARGS: dict[str, Constraint[Any]] = {
    "algorithm": Choice(*ALGORITHMS),
    "budget": Int(1),
    "population_size": Int(1),
    "sample_size": Int(1),
    "top_k": Optional(Int(1)),
    "time_budget": Optional(Real(0.0, open_low=True, infinite=True)),
    "seed": Int(0, 2**64 - 1),
}


def _check_search_args(
    algorithm: Any,
    budget: Any,
    time_budget: Any,
    population_size: Any,
    sample_size: Any,
    top_k: Any,
    seed: Any,
) -> None:
    args = {"algorithm": algorithm, "budget": budget, "time_budget": time_budget}
    args |= {"population_size": population_size, "sample_size": sample_size}
    check_all(args | {"top_k": top_k, "seed": seed}, _SEARCH_ARGS)


def _scorer(
    space: Any, proxy: Any, table: Any, arch_column: str, *, live: dict[str, Any]
) -> Scorer:
    modes = "a table (table mode) or inputs and labels (live mode)"
    if table is not None and live["inputs"] is not None:
        raise fail("table, inputs", f"one of them: {modes}", "both", ConfigError)
    if callable(proxy) and not isinstance(proxy, (Expression, Ensemble)):
        domain = None
        if table is not None:
            domain = table_keys(space, check_table(table, arch_column), arch_column)
        return CallableScorer(proxy, domain)
    if table is not None:
        return TableScorer(space, proxy, table, arch_column)
    if live["inputs"] is None:
        raise fail("table, inputs", modes, "neither", ConfigError)
    return _live_scorer(space, proxy, live)


def _live_scorer(space: Any, proxy: Expression | Ensemble, live: dict[str, Any]) -> LiveScorer:
    from zcfast.metrics import PROXIES
    from zcfast.metrics._many import make_job
    from zcfast.metrics._options import resolve_options

    check_space(space, "builder")
    check_live_proxy(proxy)
    overrides = {"seed": live["seed"]}
    overrides |= {k: live[k] for k in ("device", "n_threads") if live[k] is not None}
    options = resolve_options(live["options"], overrides, "search")
    names = [p for p in PROXIES if p in proxy.features]
    job = make_job(
        "layers" if proxy.is_layerwise else "proxies",
        space,
        task=live["task"],
        inputs=live["inputs"],
        labels=live["labels"],
        num_classes=live["num_classes"],
        proxies=None if proxy.is_layerwise else names,
        options=options,
    )
    session = {k: live[k] for k in ("executor", "workers", "out")}
    return LiveScorer(proxy, job, session)


def _known(
    known: Any, space: Any, arch_column: str, evaluate: Callable[[str], float | None] | None
) -> dict[str, float]:
    """``known`` as ``{key: evaluation}`` (finite values only)."""
    if known is None:
        return {}
    if evaluate is None:
        expected = (
            "top_k and evaluator too (the known architectures compete with the proxy's top"
            " candidates by the evaluator)"
        )
        raise fail("known", expected, "known without them", ConfigError)
    known = _as_polars(known)
    if isinstance(known, pl.DataFrame):
        values = [c for c in known.columns if c != arch_column and known.schema[c].is_numeric()]
        if arch_column not in known.columns or len(values) != 1:
            expected = f"a table with an {arch_column!r} column and one numeric column"
            raise fail("known", expected, f"columns {known.columns[:20]}")
        pairs: list[tuple[Any, Any]] = list(
            zip(known[arch_column].to_list(), known[values[0]].to_list())
        )
    elif isinstance(known, Mapping):
        pairs = list(known.items())
    else:
        expected = "a mapping arch -> evaluation or a table"
        raise fail("known", expected, found_type(known), ArgumentTypeError)
    out: dict[str, float] = {}
    for arch, value in pairs:
        key = space_key(space, arch, "known")
        v = number_from_callable("known", value, key) if value is not None else math.nan
        if math.isfinite(v):
            out[key] = v
    if not out:
        raise fail("known", "at least one finite evaluation", "none")
    return out


def _with_known(
    evaluate: Callable[[str], float | None], known: dict[str, float]
) -> Callable[[str], float | None]:
    """``evaluate``, except that a known architecture is not evaluated again."""
    return lambda a: known[a] if a in known else evaluate(a)


def _top(
    scores: dict[str, float], top_k: int | None, evaluate: Callable[[str], float | None] | None
) -> pl.DataFrame:
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])  # stable: first found first
    k = top_k or min(10, len(ranked))
    top = pl.DataFrame({"arch": [a for a, _ in ranked[:k]], "score": [s for _, s in ranked[:k]]})
    if evaluate is None:
        return top
    values = [evaluate(a) for a in top["arch"].to_list()]
    return top.with_columns(pl.Series("evaluation", values, dtype=pl.Float64)).sort(
        "evaluation", descending=True, maintain_order=True, nulls_last=True
    )


def _evaluator(
    evaluator: Any, table: Any, arch_column: str, space: Any
) -> Callable[[str], float | None]:
    if isinstance(evaluator, str):
        if table is None or not isinstance(table, pl.DataFrame) or evaluator not in table.columns:
            raise fail("evaluator", "a column of the table", repr(evaluator), UnknownNameError)
        if not table.schema[evaluator].is_numeric():
            found = f"{evaluator!r} of type {table.schema[evaluator]}"
            raise fail("evaluator", "a numeric column", found, ArgumentTypeError)
        column = table[evaluator].cast(pl.Float64).fill_nan(None).to_list()
        by_arch = dict(zip(table_keys(space, table, arch_column), column))
        return lambda a: by_arch.get(a)
    check("evaluator", evaluator, Func("a callable or a table column"))

    def call(a: str) -> float | None:
        try:
            value = evaluator(a)
        except Exception as exc:
            raise raised_on("evaluator", "a value", a, exc) from exc
        v = number_from_callable("evaluator", value, a)
        return v if math.isfinite(v) else None

    return call


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="search", unit="arch", leave=False)
