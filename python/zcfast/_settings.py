"""``zcfast.Settings``: every setting of an evolution run, as one typed, validated object.

Each setting is one field below (type, default, meaning, check) and one line of the Rust
core's ``Config`` (``rust/zcfast-core/src/gp/config.rs``), which carries the same names and
defaults: the object crosses into the core once, as a dict, and the core refuses names it does
not know. :func:`zcfast.evolve`, :func:`zcfast.evolve_layerwise`, the estimator and the CLI all
take their settings from here, so a new setting is written in those two places only.
"""

from __future__ import annotations

import difflib
import inspect
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from zcfast import _core
from zcfast._messages import describe_value
from zcfast.exceptions import ArgumentTypeError, ConfigError, UnknownNameError

__all__ = ["DEFAULT_FUNCTIONS", "DEFAULT_REDUCERS", "Settings"]

#: Functions used by default: the set of the published GP proxy searches plus sqrt.
DEFAULT_FUNCTIONS: tuple[str, ...] = ("add", "sub", "mul", "div", "neg", "log", "sqrt")
#: Reductions a layer-wise expression may use by default.
DEFAULT_REDUCERS: tuple[str, ...] = (
    "sum_layers",
    "mean_layers",
    "max_layers",
    "min_layers",
    "meanlog_layers",
)

#: Largest values the size settings accept: beyond them a run cannot fit in memory or time on
#: any machine zcfast targets (and the core's integers would overflow long before).
MAX_POPULATION = 10_000_000
MAX_SIZE = 100_000
MAX_DEPTH = 1_000
MAX_GENERATIONS = 10**9
MAX_ENSEMBLE = 1_000
#: Memory the engine needs per node of the population (programs of parents and offspring,
#: subtree sizes, the memo), a generous measured bound.
BYTES_PER_NODE = 96

FITNESSES: tuple[str, ...] = (
    "spearman",
    "kendall",
    "pearson",
    "weighted_tau",
    "top_spearman",
    "precision",
    "ndcg",
)
AGGREGATES: tuple[str, ...] = ("mean", "min")

Check = Callable[[str, Any], Any]


# -- checks: each returns the normalised value or raises an error naming the setting ----------


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def _int_at_least(low: int, high: int | None = None) -> Check:
    what = "a positive integer" if low == 1 else f"an integer >= {low}"
    if high is not None:
        what += f" no larger than {high:,}"

    def check(name: str, value: Any) -> int:
        if not _is_int(value):
            raise ArgumentTypeError(f"{name}: expected {what}, found {describe_value(value)}")
        if value < low or (high is not None and value > high):
            raise ConfigError(f"{name}: expected {what}, found {describe_value(value)}")
        return int(value)

    return check


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ArgumentTypeError(f"{name}: expected a number, found {describe_value(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range (e.g. 10**400)
        number = math.inf if value > 0 else -math.inf
    if not math.isfinite(number):
        raise ConfigError(f"{name}: expected a finite number, found {describe_value(value)}")
    return number


def _probability(name: str, value: Any) -> float:
    p = _number(name, value)
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"{name}: expected a probability in [0, 1], found {p}")
    return p


def _non_negative(name: str, value: Any) -> float:
    v = _number(name, value)
    if v < 0:
        raise ConfigError(f"{name}: expected a number >= 0, found {v}")
    return v


def _optional(check: Check) -> Check:
    def optional(name: str, value: Any) -> Any:
        return None if value is None else check(name, value)

    return optional


def _top_fraction(name: str, value: Any) -> float:
    v = _number(name, value)
    if not 0.0 < v <= 1.0:
        raise ConfigError(f"{name}: expected a fraction in (0, 1], found {v}")
    return v


def _positive_seconds(name: str, value: Any) -> float:
    v = _number(name, value)
    if v <= 0:
        raise ConfigError(f"{name}: expected a positive number of seconds, found {v}")
    return v


def _positive_budget(name: str, value: Any) -> float:
    v = _number(name, value)
    if v <= 0:
        raise ConfigError(
            f"{name}: expected a positive number of seconds per architecture, found {v}"
        )
    return v


def _open_fraction(name: str, value: Any) -> float:
    v = _number(name, value)
    if not 0.0 < v < 1.0:
        raise ConfigError(f"{name}: expected a fraction in (0, 1), found {v}")
    return v


def _choice(choices: tuple[str, ...]) -> Check:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise ArgumentTypeError(
                f"{name}: expected one of {list(choices)}, found {describe_value(value)}"
            )
        if value not in choices:
            raise UnknownNameError(
                f"{name}: expected one of {list(choices)}, found {describe_value(value)}"
            )
        return value

    return check


def _names(known: Callable[[], list[str]]) -> Check:
    def check(name: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            found = (
                f"the string {describe_value(value)}"
                if isinstance(value, str)
                else describe_value(value)
            )
            raise ArgumentTypeError(
                f"{name}: expected a list of names from {known()}, found {found}"
            )
        if not value:
            raise ConfigError(f"{name}: expected at least one name, found an empty list")
        for v in value:
            _choice(tuple(known()))(name, v)
        return tuple(dict.fromkeys(value))

    return check


def _learned(name: str, value: Any) -> tuple[str, ...]:
    """Names of learned predictors (possibly none)."""
    from zcfast._learned import LEARNED

    if isinstance(value, (list, tuple)) and not value:
        return ()
    return _names(lambda: list(LEARNED))(name, value)


def _int_pair(name: str, value: Any) -> tuple[int, int]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ArgumentTypeError(
            f"{name}: expected a pair (min, max) of integers, found {describe_value(value)}"
        )
    lo, hi = (_int_at_least(0, MAX_DEPTH)(name, v) for v in value)
    if lo > hi:
        raise ConfigError(f"{name}: expected (min, max) with min <= max, found ({lo}, {hi})")
    return lo, hi


def _range(name: str, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ArgumentTypeError(
            f"{name}: expected a pair (low, high) of numbers, found {describe_value(value)}"
        )
    lo, hi = (_number(name, v) for v in value)
    if not lo < hi:
        raise ConfigError(f"{name}: expected (low, high) with low < high, found ({lo}, {hi})")
    return lo, hi


def _seed(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value):
        raise ArgumentTypeError(
            f"{name}: expected an integer or None, found {describe_value(value)}"
        )
    if not 0 <= value < 2**64:
        raise ConfigError(
            f"{name}: expected an integer in [0, 2**64), found {describe_value(value)}"
        )
    return int(value)


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{name}: expected True or False, found {describe_value(value)}")
    return bool(value)


def _setting(default: Any, doc: str, check: Check) -> Any:
    return field(default=default, metadata={"doc": doc, "check": check})


@dataclass(frozen=True)
class Settings:
    """Every setting of an evolution run; the defaults are the ones zcfast ships with.

    Build one with keywords (``Settings(population_size=1000, seed=0)``), derive variants with
    :meth:`replace`, and pass it to :func:`zcfast.evolve` or :func:`zcfast.evolve_layerwise`
    (or give those the same keywords directly). Every value is checked when the object is
    made; a wrong type, a value out of range or an unknown name raises a
    :class:`zcfast.exceptions.ZcfastError` naming the setting.

    Example
    -------
    >>> s = Settings(population_size=1000, generations=50, seed=0)
    >>> s.replace(fitness="kendall").fitness
    'kendall'
    """

    population_size: int = _setting(
        2000,
        "individuals per generation (of each run of an ensemble)",
        _int_at_least(1, MAX_POPULATION),
    )
    generations: int = _setting(
        100,
        "generations to run (the initial population counts as one)",
        _int_at_least(1, MAX_GENERATIONS),
    )
    tournament_size: int = _setting(
        7, "individuals drawn per tournament", _int_at_least(1, MAX_POPULATION)
    )
    crossover: float = _setting(0.7, "probability of subtree crossover", _probability)
    subtree_mutation: float = _setting(
        0.1, "probability of replacing a subtree by a new random one", _probability
    )
    hoist_mutation: float = _setting(
        0.05, "probability of replacing a subtree by one of its own subtrees", _probability
    )
    point_mutation: float = _setting(
        0.1,
        "probability of a point mutation (the four operator probabilities share [0, 1]; the"
        " rest is reproduction)",
        _probability,
    )
    point_replace: float = _setting(
        0.1, "per-node replacement probability inside a point mutation", _probability
    )
    max_size: int = _setting(31, "largest expression, in nodes", _int_at_least(1, MAX_SIZE))
    max_depth: int = _setting(
        12, "largest tree depth (a single leaf has depth 0)", _int_at_least(0, MAX_DEPTH)
    )
    init_depth: tuple[int, int] = _setting(
        (1, 4), "depth range of the ramped half-and-half initial population", _int_pair
    )
    parsimony: float = _setting(0.001, "selection uses fitness - parsimony * size", _non_negative)
    elitism: int = _setting(
        2,
        "best individuals copied unchanged into the next generation",
        _int_at_least(0, MAX_POPULATION),
    )
    functions: tuple[str, ...] = _setting(
        DEFAULT_FUNCTIONS,
        "functions expressions are built from (any of zcfast.FUNCTIONS)",
        _names(_core.function_names),
    )
    reducers: tuple[str, ...] = _setting(
        DEFAULT_REDUCERS,
        "reductions layer-wise expressions may use (any of zcfast.REDUCERS; flat tables"
        " ignore them)",
        _names(_core.reducer_names),
    )
    constants: tuple[float, float] | None = _setting(
        None, "(low, high) range of ephemeral random constants; None: no constants", _range
    )
    fitness: str = _setting(
        "spearman",
        "measure maximised: spearman, kendall (tau-b), pearson, or one weighting the top of the"
        " ranking: weighted_tau (scipy's weightedtau), top_spearman, precision, ndcg",
        _choice(FITNESSES),
    )
    top_fraction: float = _setting(
        0.1,
        "share of architectures that counts as the top for top_spearman, precision and ndcg",
        _top_fraction,
    )
    aggregate: str = _setting(
        "mean", "how per-task fitness values combine: mean or min", _choice(AGGREGATES)
    )
    validation_fraction: float | None = _setting(
        None,
        "share of each task's architectures held out; the reported best is chosen on them",
        _optional(_open_fraction),
    )
    time_limit: float | None = _setting(
        None, "seconds; stop after the generation in which they pass", _optional(_positive_seconds)
    )
    target_fitness: float | None = _setting(
        None, "stop as soon as the best training fitness reaches this", _optional(_number)
    )
    ensemble: int = _setting(
        10,
        "runs on bootstrap samples of the training architectures whose rank-average is the"
        " result (zcfast.Ensemble); 1: a single formula",
        _int_at_least(1, MAX_ENSEMBLE),
    )
    subsample: float | None = _setting(
        0.8,
        "share of the training architectures each run of an ensemble evolves on, drawn"
        " without replacement (the others are its out-of-bag architectures); None: a"
        " bootstrap sample (about 63 %)",
        _optional(_open_fraction),
    )
    baselines: bool = _setting(
        True,
        "with ensemble > 1, estimate the best single column out of bag too, and return it"
        " where the ensemble does not beat it (result.validation)",
        _boolean,
    )
    quantile_columns: bool = _setting(
        True,
        "with ensemble > 1 on a flat table, members also read each column's quantile among the"
        " training architectures (q_<column>), not only its value",
        _boolean,
    )
    learned: tuple[str, ...] = _setting(
        (),
        "learned predictors fitted on the same samples and estimated out of bag beside the"
        " ensemble in result.validation (forest, boosting, gaussian_process, kernel_ridge;"
        " scikit-learn); reported, never returned",
        _learned,
    )
    cost_tolerance: float | None = _setting(
        None,
        "with costs=, return the cheapest formula of result.cost_front whose estimate is within"
        " this of the best estimate",
        _optional(_non_negative),
    )
    cost_budget: float | None = _setting(
        None,
        "with costs=, return the best formula of result.cost_front costing at most this many"
        " seconds per architecture",
        _optional(_positive_budget),
    )
    seed: int | None = _setting(
        None, "same seed, same result for any n_threads; None draws one (result.seed)", _seed
    )
    n_threads: int | None = _setting(
        None,
        "worker threads (more than the available cores run as that many: results do not"
        " depend on it); None: one per available core",
        _optional(_int_at_least(1, 1_000_000)),
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, f.metadata["check"](f.name, getattr(self, f.name)))
        self._check_together()

    def _check_together(self) -> None:
        if self.tournament_size > self.population_size:
            raise ConfigError(
                f"tournament_size: expected at most population_size ({self.population_size}),"
                f" found {self.tournament_size}"
            )
        if self.elitism >= self.population_size:
            raise ConfigError(
                f"elitism: expected fewer than population_size ({self.population_size}),"
                f" found {self.elitism}"
            )
        total = self.crossover + self.subtree_mutation + self.hoist_mutation + self.point_mutation
        if total > 1.0 + 1e-12:
            raise ConfigError(
                "crossover + subtree_mutation + hoist_mutation + point_mutation: expected at"
                f" most 1, found {total}"
            )
        if self.init_depth[1] > self.max_depth:
            raise ConfigError(
                f"init_depth: expected (min, max) with max <= max_depth ({self.max_depth}),"
                f" found {self.init_depth}"
            )
        self._check_full_trees_fit()
        self._check_memory()

    def _check_full_trees_fit(self) -> None:
        """Half the initial population are full trees of the deepest ``init_depth``: they
        must fit in ``max_size``, or those slots end up as lone columns."""
        binary = any(f in ("add", "sub", "mul", "div", "min", "max") for f in self.functions)
        deepest = self.init_depth[1]
        nodes = 2 ** (deepest + 1) - 1 if binary else deepest + 1
        if nodes > self.max_size:
            raise ConfigError(
                f"init_depth: expected full trees of the largest depth to fit in max_size"
                f" ({self.max_size}), found depth {deepest}, whose full trees have {nodes:,}"
                " nodes; lower init_depth or raise max_size"
            )

    def _check_memory(self) -> None:
        needed = self.population_size * self.max_size * BYTES_PER_NODE
        available = _physical_memory()
        if available is not None and needed > available // 2:
            raise ConfigError(
                f"population_size, max_size: expected a population that fits in memory, found"
                f" {self.population_size:,} x {self.max_size:,} nodes, which needs about"
                f" {needed / 2**30:,.1f} GiB (this machine has {available / 2**30:,.1f} GiB)"
            )

    # -- building and combining -------------------------------------------------------------

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The names of all settings, in order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def describe(cls) -> dict[str, tuple[Any, str]]:
        """``{name: (default, meaning)}`` for every setting (the README table comes from it)."""
        return {f.name: (f.default, f.metadata["doc"]) for f in fields(cls)}

    @classmethod
    def resolve(cls, settings: Settings | None, overrides: Mapping[str, Any]) -> Settings:
        """``settings`` (default: the defaults) with ``overrides`` applied.

        Example
        -------
        >>> Settings.resolve(None, {"generations": 10}).generations
        10
        """
        if settings is not None and not isinstance(settings, Settings):
            raise ArgumentTypeError(
                f"settings: expected a zcfast.Settings or None, found {type(settings).__name__}"
            )
        return (settings or cls()).replace(**overrides)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed; unknown names raise ``UnknownNameError``."""
        unknown = [k for k in changes if k not in self.names()]
        if unknown:
            hints = {k: difflib.get_close_matches(k, self.names(), n=1) for k in unknown}
            detail = ", ".join(
                f"{k!r}" + (f" (did you mean {h[0]!r}?)" if h else "") for k, h in hints.items()
            )
            raise UnknownNameError(
                f"settings: expected names of zcfast.Settings ({', '.join(self.names())}),"
                f" found {detail}"
            )
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable), with tuples as lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """The inverse of :meth:`to_dict` (JSON lists become the tuples the fields hold)."""
        if not isinstance(data, Mapping):
            raise ArgumentTypeError(
                f"data: expected a mapping of setting names to values, found {type(data).__name__}"
            )
        tuples = {f.name for f in fields(cls) if str(f.type).startswith("tuple")}
        return cls().replace(
            **{k: tuple(v) if k in tuples and isinstance(v, list) else v for k, v in data.items()}
        )

    def resolved(self) -> Settings:
        """These settings with ``seed`` drawn and ``n_threads`` counted where they are None."""
        seed = self.seed
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
        # Threads beyond the cores only add switching; results are the same for any count.
        threads = min(self.n_threads or _available_cores(), _available_cores())
        return replace(self, seed=seed, n_threads=threads)

    def to_core(self) -> dict[str, Any]:
        """The dict the core's ``Config`` is read from (seed and threads resolved)."""
        return self.resolved().to_dict()


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _init_with_known_names(init: Any) -> Any:
    """``Settings(...)`` refusing an unknown setting the way :meth:`Settings.replace` does (an
    :class:`UnknownNameError` suggesting the closest name), not with a bare ``TypeError``."""

    def __init__(self: Settings, *args: Any, **kwargs: Any) -> None:
        unknown = [k for k in kwargs if k not in Settings.names()]
        if unknown:
            Settings().replace(**dict.fromkeys(unknown))
        init(self, *args, **kwargs)

    __init__.__doc__ = init.__doc__
    __init__.__signature__ = inspect.signature(init)  # type: ignore[attr-defined]
    return __init__


Settings.__init__ = _init_with_known_names(Settings.__init__)  # type: ignore[method-assign]
