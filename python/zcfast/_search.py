"""``zcfast.search``: find architectures of a search space with a proxy.

A search draws architectures from a :class:`zcfast.spaces.SearchSpace`, scores each once with a
proxy (an evolved :class:`Expression` or :class:`Ensemble`, a built-in proxy name, or any
callable) and keeps the best; with ``top_k`` and an ``evaluator`` it passes the best ``top_k``
by proxy to a costlier evaluator and returns the best by that (multi-fidelity, as MF-NAS does).

* *Table mode* (``table=``): scores come from a precomputed table (flat: one row per
  architecture; or a long per-layer table for a layer-wise proxy), and the search moves only
  among the table's architectures. A whole search takes milliseconds.
* *Live mode* (``inputs=``, ``labels=``): each candidate is built as a PyTorch network and
  scored with :mod:`zcfast.metrics` (GPU when present): only the proxies the expression reads
  are computed, and an architecture is never scored twice.

Algorithms: ``"evolution"`` (regularised, i.e. aging, evolution: tournaments of
``sample_size`` from a population of ``population_size``, the child of the winner replaces the
oldest member), ``"random"`` and ``"local"`` (first-improvement hill climbing over
``space.neighbours`` with random restarts). The budget counts proxy evaluations of distinct
architectures; ``time_budget`` bounds seconds. The same seed gives the same search.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from zcfast._ensemble import Ensemble
from zcfast._expression import DEGENERATE_SCORE, Expression
from zcfast._layers import ARCH_COLUMN, LayerTable
from zcfast._messages import describe_value
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
)

__all__ = ["ALGORITHMS", "SearchResult", "search"]

ALGORITHMS = ("evolution", "random", "local")
#: Mutations of a table architecture tried before falling back to a random one.
_MUTATION_TRIES = 50

Proxy = Expression | Ensemble | str | Callable[[str], float]


@dataclass
class SearchResult:
    """What :func:`zcfast.search` returns.

    Attributes
    ----------
    best : str
        The architecture found (the space's key): the best by proxy, or with ``top_k`` and an
        ``evaluator`` the best by the evaluator among the ``top_k`` best by proxy.
    best_score : float
        Its proxy score.
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
    """

    best: str
    best_score: float
    top: pl.DataFrame
    history: pl.DataFrame
    elapsed: float
    interrupted: bool
    stop_reason: str
    settings: dict[str, Any] = field(repr=False)

    @property
    def evaluations(self) -> int:
        return self.history.height

    def plot_trajectory(self, ax: Any = None, accuracy: Any = None) -> Any:
        """Proxy score of each evaluation and the best so far (and, given a mapping ``arch ->
        accuracy``, the accuracy of the best so far). Returns the Axes."""
        from zcfast.plot import plot_trajectory

        return plot_trajectory(self, ax=ax, accuracy=accuracy)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable)."""
        return {
            "best": self.best,
            "best_score": self.best_score,
            "top": self.top.to_dicts(),
            "history": self.history.to_dicts(),
            "elapsed": self.elapsed,
            "interrupted": self.interrupted,
            "stop_reason": self.stop_reason,
            "settings": self.settings,
        }


# -- scoring ------------------------------------------------------------------------------------


class _Scorer:
    """Scores architectures (space keys); ``domain`` is the keys it can score, if limited."""

    domain: list[str] | None = None

    def __call__(self, key: str) -> float:  # pragma: no cover - interface
        raise NotImplementedError


def _finite(value: float) -> float:
    """Scores that are NaN/inf (or degenerate) count as the worst possible."""
    v = float(value)
    return v if math.isfinite(v) and v != DEGENERATE_SCORE else -math.inf


class _TableScorer(_Scorer):
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
            keys = _keys(space, layers.archs)
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
            keys = _table_keys(space, table, arch_column)
            scores = proxy.evaluate(table)
        self.scores = dict(zip(keys, (_finite(s) for s in scores)))
        self.domain = list(self.scores)

    def __call__(self, key: str) -> float:
        return self.scores[key]


class _LiveScorer(_Scorer):
    def __init__(self, space: Any, proxy: Expression | Ensemble, options: dict[str, Any]) -> None:
        from zcfast import metrics

        self.space, self.proxy = space, proxy
        self.layerwise = proxy.is_layerwise
        if not self.layerwise:
            unknown = [f for f in proxy.features if f not in metrics.PROXIES]
            if unknown:
                raise UnknownNameError(
                    f"proxy: expected a formula over zcfast.metrics.PROXIES for a live search,"
                    f" found the columns {unknown}"
                )
        self.options = options

    def __call__(self, key: str) -> float:
        import torch

        from zcfast import metrics

        o = self.options
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(o["seed"])
            net = self.space.build(key, o["num_classes"], input_size=o["input_size"])
        net = net.to(device=o["device"], dtype=o["dtype"])
        if self.layerwise:
            table = metrics.layer_primitives(net, o["inputs"], o["labels"], seed=o["seed"])
            scores = self.proxy.evaluate(table.with_columns(pl.lit(key).alias(ARCH_COLUMN)))
        else:
            names = list(self.proxy.features)
            values = metrics.compute(net, o["inputs"], o["labels"], names, seed=o["seed"])
            row = np.array([[values.get(n, 0.0) for n in self.proxy.feature_names]])
            scores = self.proxy.evaluate(row)
        return _finite(scores[0])


class _CallableScorer(_Scorer):
    def __init__(self, fn: Callable[[str], float], domain: list[str] | None) -> None:
        self.fn, self.domain = fn, domain

    def __call__(self, key: str) -> float:
        try:
            value = self.fn(key)
        except Exception as exc:
            raise InvalidValueError(
                f"proxy: expected the callable to return a score for every architecture, found"
                f" that it raised on {key}: {describe_value(exc, 300)}"
            ) from exc
        return _finite(_callable_number("proxy", value, key))


def _callable_number(arg: str, value: object, key: str) -> float:
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


def _keys(space: Any, archs: Any) -> list[str]:
    """The space's keys of a table's architectures; each must appear once."""
    keys = [_key(space, a, "table") for a in archs]
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        twice = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise InvalidValueError(
            f"table: expected one row per architecture, found {twice} more than once"
        )
    return keys


def _table_keys(space: Any, table: Any, arch_column: str) -> list[str]:
    if not isinstance(arch_column, str) or arch_column not in table.columns:
        raise UnknownNameError(
            f"arch_column: expected a column of the table {table.columns[:20]}, found"
            f" {describe_value(arch_column)}"
        )
    if table.height == 0:
        raise ShapeError("table: expected at least one architecture, found an empty table")
    return _keys(space, table[arch_column].to_list())


def _key(space: Any, arch: Any, arg: str) -> str:
    try:
        return str(space.key(arch))
    except Exception as exc:
        raise InvalidValueError(
            f"{arg}: expected architectures of {space.name}, found {arch!r} ({exc})"
        ) from None


def _as_proxy(proxy: Any, table: Any) -> Expression | Ensemble | Callable[[str], float]:
    if isinstance(proxy, (Expression, Ensemble)):
        return proxy
    if isinstance(proxy, str):
        # a column (table mode) or a zcfast.metrics proxy (live mode), whatever its name
        return Expression(("x0",), (proxy,))
    if callable(proxy):
        return proxy
    raise ArgumentTypeError(
        "proxy: expected a zcfast.Expression or Ensemble, a proxy name or a callable"
        f" arch -> score, found {type(proxy).__name__}"
    )


# -- the algorithms -----------------------------------------------------------------------------


class _Run:
    """One search's state: the scorer, the cache of scores, the budget and the history."""

    def __init__(
        self,
        space: Any,
        scorer: _Scorer,
        budget: int,
        time_budget: float | None,
        rng: random.Random,
        progress: bool,
    ) -> None:
        self.space, self.scorer, self.rng = space, scorer, rng
        self.budget, self.time_budget = budget, time_budget
        self.domain = scorer.domain
        self.allowed = None if self.domain is None else set(self.domain)
        self.limit = budget if self.domain is None else min(budget, len(self.domain))
        self.scores: dict[str, float] = {}
        self.rows: list[tuple[int, str, float, float, float]] = []
        self.started = time.perf_counter()
        self.bar = _progress_bar(self.limit) if progress else None
        self.best = -math.inf

    def done(self) -> bool:
        if not self.scores:
            return False  # every search scores at least one architecture
        if len(self.scores) >= self.limit:
            return True
        return (
            self.time_budget is not None and time.perf_counter() - self.started >= self.time_budget
        )

    def score(self, key: str) -> float:
        if key not in self.scores:
            s = self.scorer(key)
            self.scores[key] = s
            self.best = max(self.best, s)
            self.rows.append(
                (len(self.rows), key, s, self.best, time.perf_counter() - self.started)
            )
            if self.bar is not None:
                self.bar.update(1)
        return self.scores[key]

    def random_key(self) -> str:
        """An architecture not scored yet (the domain's, in table mode)."""
        for _ in range(_MUTATION_TRIES * 20):
            key = (
                self.rng.choice(self.domain)
                if self.domain is not None
                else self.space.key(self.space.random(self.rng))
            )
            if key not in self.scores:
                return key
        # a nearly exhausted domain: the first unscored one in a fixed order
        left = [k for k in (self.domain or []) if k not in self.scores]
        if not left:
            raise _Exhausted
        return left[0]

    def mutant(self, key: str) -> str:
        """A mutation of ``key`` that is in the domain and not scored yet, else a random one."""
        arch = self.space.parse(key)
        for _ in range(_MUTATION_TRIES):
            child = self.space.key(self.space.mutate(arch, self.rng))
            if self.candidate(child):
                return child
        return self.random_key()

    def candidate(self, key: str) -> bool:
        """Whether ``key`` may still be scored: in the domain, and not scored yet."""
        return key not in self.scores and (self.allowed is None or key in self.allowed)


class _Exhausted(Exception):
    """Every candidate of the domain has been scored."""


def _evolution(run: _Run, population_size: int, sample_size: int) -> None:
    population: deque[str] = deque()
    while len(population) < population_size and not run.done():
        key = run.random_key()
        run.score(key)
        population.append(key)
    while not run.done():
        contenders = run.rng.sample(list(population), min(sample_size, len(population)))
        parent = max(contenders, key=lambda k: run.scores[k])
        child = run.mutant(parent)
        run.score(child)
        population.append(child)
        population.popleft()


def _random(run: _Run) -> None:
    while not run.done():
        run.score(run.random_key())


def _local(run: _Run, population_size: int) -> None:
    while not run.done():
        starts = [
            run.random_key() for _ in range(min(population_size, run.limit - len(run.scores)))
        ]
        current = max(starts, key=run.score) if starts else run.random_key()
        improved = True
        while improved and not run.done():
            improved = False
            neighbours = [run.space.key(n) for n in run.space.neighbours(current)]
            run.rng.shuffle(neighbours)
            for n in neighbours:
                if run.done():
                    break
                if run.candidate(n) and run.score(n) > run.scores[current]:
                    current, improved = n, True
                    break


# -- the entry point ----------------------------------------------------------------------------


def search(
    space: Any,
    proxy: Proxy,
    *,
    table: Any = None,
    inputs: Any = None,
    labels: Any = None,
    num_classes: int = 10,
    budget: int = 1000,
    time_budget: float | None = None,
    algorithm: str = "evolution",
    population_size: int = 50,
    sample_size: int = 10,
    top_k: int | None = None,
    evaluator: Callable[[str], float] | str | None = None,
    seed: int = 0,
    arch_column: str = ARCH_COLUMN,
    device: Any = None,
    progress: bool = False,
) -> SearchResult:
    """Searches ``space`` for the architecture the proxy scores highest.

    Parameters
    ----------
    space : SearchSpace or str
        The search space (``"nb201"``).
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
        Live mode: the batch every candidate is scored on (with ``num_classes`` outputs).
    budget : int
        Proxy evaluations of distinct architectures.
    time_budget : float, optional
        Seconds; the search stops after the evaluation in which they pass.
    algorithm : {"evolution", "random", "local"}
    population_size, sample_size : int
        Aging evolution's population and tournament size (``population_size`` is also the
        number of random starts of local search).
    top_k : int, optional
        With ``evaluator``: how many of the best architectures by proxy it evaluates.
    evaluator : callable or str, optional
        ``callable(arch_key) -> float`` (e.g. a short training run), or a column of ``table``
        (e.g. a trained accuracy); the best of the ``top_k`` by it is returned.
    seed : int
        Seeds the search (and, in live mode, each network's initialisation).
    device : str or torch.device, optional
        Live mode: where to score (default CUDA when present).
    progress : bool
        Show a progress bar; Ctrl-C stops and returns the best so far.

    Returns
    -------
    SearchResult

    Example
    -------
    >>> r = zcfast.search("nb201", result.best, table=df, budget=1000)  # doctest: +SKIP
    >>> r.best, r.history.height                                        # doctest: +SKIP
    ('(2, 2, 0, 2, 3, 2)', 1000)
    """
    from zcfast.spaces import SearchSpace, get_space

    table = _as_polars(table)
    sp = get_space(space) if isinstance(space, str) else space
    if not isinstance(sp, SearchSpace):
        raise ArgumentTypeError(
            f"space: expected a SearchSpace or its name, found {type(space).__name__}"
        )
    _check_search_args(
        algorithm, budget, time_budget, population_size, sample_size, top_k, evaluator, seed
    )
    if not isinstance(progress, (bool, np.bool_)):
        raise ArgumentTypeError(
            f"progress: expected True or False, found {describe_value(progress)}"
        )
    scorer = _scorer(
        sp, _as_proxy(proxy, table), table, inputs, labels, num_classes, seed, arch_column, device
    )
    # built before the search, so that a bad evaluator is an error before any work
    evaluate = None if evaluator is None else _evaluator(evaluator, table, arch_column, sp)
    run = _Run(sp, scorer, budget, time_budget, random.Random(seed), bool(progress))
    stop = _run_algorithm(run, algorithm, population_size, sample_size)
    top = _top(run, top_k, evaluate)
    best_row = top.row(0, named=True)
    return SearchResult(
        best=best_row["arch"],
        best_score=float(best_row["score"]),
        top=top,
        history=pl.DataFrame(
            run.rows, schema=["step", "arch", "score", "best_score", "elapsed"], orient="row"
        ),
        elapsed=time.perf_counter() - run.started,
        interrupted=stop == "interrupted",
        stop_reason=stop,
        settings={
            "space": sp.name,
            "mode": "table"
            if table is not None
            else ("live" if inputs is not None else "callable"),
            "algorithm": algorithm,
            "budget": budget,
            "time_budget": time_budget,
            "population_size": population_size,
            "sample_size": sample_size,
            "top_k": top_k,
            "seed": seed,
        },
    )


def _as_polars(table: Any) -> Any:
    """A pandas DataFrame or polars LazyFrame as a polars DataFrame; anything else as it is."""
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    if type(table).__module__.startswith("pandas") and hasattr(table, "columns"):
        columns = [str(c) for c in table.columns]
        if len(set(columns)) != len(columns):
            raise InvalidValueError(f"table: expected unique column names, found {columns[:20]}")
        return pl.from_pandas(table.set_axis(columns, axis=1))
    return table


def _check_search_args(
    algorithm: str,
    budget: Any,
    time_budget: Any,
    population_size: Any,
    sample_size: Any,
    top_k: Any,
    evaluator: Any,
    seed: Any,
) -> None:
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        raise UnknownNameError(
            f"algorithm: expected one of {list(ALGORITHMS)}, found {describe_value(algorithm)}"
        )
    counts = [("budget", budget), ("population_size", population_size)]
    counts += [("sample_size", sample_size), ("top_k", top_k)]
    for name, value in counts:
        if name == "top_k" and value is None:
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ArgumentTypeError(
                f"{name}: expected a positive integer, found {describe_value(value)}"
            )
        if value < 1:
            raise ConfigError(f"{name}: expected a positive integer, found {describe_value(value)}")
    if time_budget is not None:
        if isinstance(time_budget, (bool, np.bool_)) or not isinstance(
            time_budget, (int, float, np.integer, np.floating)
        ):
            raise ArgumentTypeError(
                "time_budget: expected a positive number of seconds or None, found"
                f" {describe_value(time_budget)}"
            )
        if not time_budget > 0:  # NaN too
            raise ConfigError(
                "time_budget: expected a positive number of seconds or None, found"
                f" {describe_value(time_budget)}"
            )
    if (top_k is None) != (evaluator is None):
        raise ConfigError("top_k, evaluator: expected both (multi-fidelity) or neither, found one")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ArgumentTypeError(f"seed: expected an integer, found {describe_value(seed)}")
    if not 0 <= seed < 2**64:
        raise ConfigError(f"seed: expected an integer in [0, 2**64), found {describe_value(seed)}")


def _scorer(
    space: Any,
    proxy: Any,
    table: Any,
    inputs: Any,
    labels: Any,
    num_classes: int,
    seed: int,
    arch_column: str,
    device: Any,
) -> _Scorer:
    if table is not None and inputs is not None:
        raise ConfigError("table, inputs: expected one of them (table or live mode), found both")
    if callable(proxy) and not isinstance(proxy, (Expression, Ensemble)):
        domain = None
        if table is not None:
            if not isinstance(table, pl.DataFrame):
                raise ArgumentTypeError(
                    f"table: expected a polars or pandas DataFrame with an {arch_column!r}"
                    f" column, found {type(table).__name__}"
                )
            domain = _table_keys(space, table, arch_column)
        return _CallableScorer(proxy, domain)
    if table is not None:
        return _TableScorer(space, proxy, table, arch_column)
    if inputs is None:
        raise ConfigError(
            "table, inputs: expected a table (table mode) or inputs and labels (live mode),"
            " found neither"
        )
    return _LiveScorer(space, proxy, _live_options(inputs, labels, num_classes, seed, device))


def _live_options(
    inputs: Any, labels: Any, num_classes: int, seed: int, device: Any
) -> dict[str, Any]:
    import torch

    from zcfast.metrics._common import check_inputs, check_label_range, check_labels, resolve_device

    dev = resolve_device(device, torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = torch.get_default_dtype()
    x = check_inputs(inputs, dtype, dev)
    y = check_labels(labels, int(x.shape[0]), dev, integer=True)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ConfigError(f"num_classes: expected a positive int, found {num_classes!r}")
    check_label_range(y, num_classes)
    return {
        "inputs": x,
        "labels": y,
        "num_classes": num_classes,
        "input_size": int(x.shape[-1]),
        "device": dev,
        "dtype": dtype,
        "seed": seed,
    }


def _run_algorithm(run: _Run, algorithm: str, population_size: int, sample_size: int) -> str:
    try:
        if algorithm == "evolution":
            _evolution(run, population_size, sample_size)
        elif algorithm == "random":
            _random(run)
        else:
            _local(run, population_size)
    except _Exhausted:
        return "exhausted"
    except KeyboardInterrupt:
        if not run.scores:
            raise
        warnings.warn(
            f"search: interrupted after {len(run.scores)} evaluations; returning the best so far",
            RuntimeWarning,
            stacklevel=3,
        )
        return "interrupted"
    finally:
        if run.bar is not None:
            run.bar.close()
    if (
        run.domain is not None
        and len(run.scores) >= len(run.domain)
        and len(run.domain) < run.budget
    ):
        return "exhausted"
    return "budget" if len(run.scores) >= run.limit else "time_budget"


def _top(
    run: _Run, top_k: int | None, evaluate: Callable[[str], float | None] | None
) -> pl.DataFrame:
    ranked = sorted(run.scores.items(), key=lambda kv: -kv[1])  # stable: first found first
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
            raise UnknownNameError(
                f"evaluator: expected a column of the table, found {evaluator!r}"
            )
        if not table.schema[evaluator].is_numeric():
            raise ArgumentTypeError(
                f"evaluator: expected a numeric column, found {evaluator!r} of type"
                f" {table.schema[evaluator]}"
            )
        column = table[evaluator].cast(pl.Float64).fill_nan(None).to_list()
        by_arch = dict(zip(_table_keys(space, table, arch_column), column))
        return lambda a: by_arch.get(a)
    if not callable(evaluator):
        raise ArgumentTypeError(
            f"evaluator: expected a callable or a table column, found {type(evaluator).__name__}"
        )

    def call(a: str) -> float | None:
        try:
            value = evaluator(a)
        except Exception as exc:
            raise InvalidValueError(
                "evaluator: expected a value for every architecture it is given, found that it"
                f" raised on {a}: {describe_value(exc, 300)}"
            ) from exc
        v = _callable_number("evaluator", value, a)
        return v if math.isfinite(v) else None

    return call


def _progress_bar(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="search", unit="arch", leave=False)
