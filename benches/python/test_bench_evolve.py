"""zcfast.evolve against an equivalent GP written with DEAP, on NAS-Bench-201 CIFAR-10.

Both evolve over the same 100 training architectures with the same population, number of
populations evaluated, function set (add, sub, mul, protected div, neg, protected log, sqrt),
tournament size, size limit and Spearman fitness; both are scored on the 625 held-out
architectures. The held-out Spearman of each run is stored in ``extra_info``.

pytest benches/python/test_bench_evolve.py --benchmark-only --benchmark-json=evolve.json
"""

from __future__ import annotations

import operator
import random
import warnings

import numpy as np
import pytest
import scipy.stats
import zcfast

POPULATION = 200
GENERATIONS = 50  # DEAP's eaSimple: initial population + 50 bred generations
TOURNAMENT = 7
MAX_SIZE = 31
SEEDS = list(range(10))
EPS = 1e-10


def split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return order[:100], order[100:]


def deap_gp(X: np.ndarray, y: np.ndarray, seed: int):  # type: ignore[no-untyped-def]
    """A plain DEAP GP as its documentation teaches, with zcfast's protected operators."""
    from deap import algorithms, base, creator, gp, tools

    def pdiv(a: float, b: float) -> float:
        return a / b if abs(b) > EPS else 1.0

    def plog(a: float) -> float:
        return float(np.log(abs(a))) if abs(a) > EPS else 0.0

    def psqrt(a: float) -> float:
        return float(np.sqrt(abs(a)))

    pset = gp.PrimitiveSet("MAIN", X.shape[1])
    for f, arity in (
        (operator.add, 2),
        (operator.sub, 2),
        (operator.mul, 2),
        (pdiv, 2),
        (operator.neg, 1),
        (plog, 1),
        (psqrt, 1),
    ):
        pset.addPrimitive(f, arity)
    if not hasattr(creator, "FitnessMaxZc"):
        creator.create("FitnessMaxZc", base.Fitness, weights=(1.0,))
        creator.create("IndividualZc", gp.PrimitiveTree, fitness=creator.FitnessMaxZc)
    toolbox = base.Toolbox()
    toolbox.register("expr", gp.genHalfAndHalf, pset=pset, min_=1, max_=4)
    toolbox.register("individual", tools.initIterate, creator.IndividualZc, toolbox.expr)
    toolbox.register("population", tools.initRepeat, list, toolbox.individual)
    toolbox.register("compile", gp.compile, pset=pset)
    rows = [tuple(r) for r in X]

    def fitness(ind):  # type: ignore[no-untyped-def]
        f = toolbox.compile(expr=ind)
        try:
            out = np.array([f(*r) for r in rows], dtype=np.float64)
        except (OverflowError, ValueError, ZeroDivisionError):
            return (-1.0,)
        if not np.isfinite(out).all() or np.ptp(out) == 0:
            return (-1.0,)
        return (float(scipy.stats.spearmanr(out, y)[0]),)

    toolbox.register("evaluate", fitness)
    toolbox.register("select", tools.selTournament, tournsize=TOURNAMENT)
    toolbox.register("mate", gp.cxOnePoint)
    toolbox.register("expr_mut", gp.genFull, min_=0, max_=2)
    toolbox.register("mutate", gp.mutUniform, expr=toolbox.expr_mut, pset=pset)
    limit = gp.staticLimit(key=len, max_value=MAX_SIZE)
    toolbox.decorate("mate", limit)
    toolbox.decorate("mutate", limit)
    random.seed(seed)
    pop = toolbox.population(n=POPULATION)
    hof = tools.HallOfFame(1)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        algorithms.eaSimple(
            pop, toolbox, cxpb=0.7, mutpb=0.2, ngen=GENERATIONS, halloffame=hof, verbose=False
        )
    return toolbox.compile(expr=hof[0])


def held_out(score_rows, X: np.ndarray, y: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    with np.errstate(all="ignore"):
        s = np.asarray(score_rows(X), dtype=np.float64)
    s = np.where(np.isfinite(s), s, -1e300)
    return float(scipy.stats.spearmanr(s, y)[0])


@pytest.mark.parametrize("library", ["zcfast", "deap"])
def test_evolve_vs_deap(benchmark, nb201_cifar10, library: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"evolve-nb201-cifar10-pop{POPULATION}-gen{GENERATIONS}"
    X, y, names = nb201_cifar10
    results: list[float] = []
    seeds = iter(SEEDS * 10)

    def run() -> None:
        seed = next(seeds)
        train, test = split(len(y), seed)
        if library == "zcfast":
            r = zcfast.evolve(
                X[train],
                y[train],
                feature_names=names,
                seed=seed,
                population_size=POPULATION,
                generations=GENERATIONS + 1,
                ensemble=1,  # one GP run against one GP run
                tournament_size=TOURNAMENT,
                max_size=MAX_SIZE,
            )
            results.append(held_out(r.best.evaluate, X[test], y[test]))
        else:
            f = deap_gp(X[train], y[train], seed)
            results.append(held_out(lambda M: [f(*r) for r in M], X[test], y[test]))

    benchmark.pedantic(run, rounds=len(SEEDS), iterations=1)
    benchmark.extra_info["held_out_spearman"] = results
    benchmark.extra_info["held_out_spearman_median"] = float(np.median(results))
    assert np.median(results) > 0.8


#: The defaults before the bagged ensemble became the default: one run of 4,000 x 100.
PREVIOUS_DEFAULTS = {"ensemble": 1, "population_size": 4000, "generations": 100}
#: The ensemble defaults before quantile columns and subsamples (bootstrap samples, the
#: columns' values only).
PREVIOUS_ENSEMBLE = {"quantile_columns": False, "subsample": None}


@pytest.mark.parametrize("library", ["zcfast", "previous-ensemble", "previous-defaults"])
def test_evolve_default_settings_100_archs(benchmark, nb201_cifar10, library: str) -> None:  # type: ignore[no-untyped-def]
    """Wall-clock of one run with zcfast's default settings on 100 architectures, beside the
    ensemble defaults before quantile columns and subsamples and the defaults before the
    ensemble (a single run of 4,000 x 100 generations)."""
    benchmark.group = "evolve-defaults-100-archs"
    X, y, names = nb201_cifar10
    train, test = split(len(y), 0)
    settings = {
        "zcfast": {},
        "previous-ensemble": PREVIOUS_ENSEMBLE,
        "previous-defaults": PREVIOUS_DEFAULTS,
    }[library]
    result = benchmark.pedantic(
        lambda: zcfast.evolve(X[train], y[train], feature_names=names, seed=0, **settings),
        rounds=3,
        iterations=1,
    )
    benchmark.extra_info["held_out_spearman"] = held_out(result.best.evaluate, X[test], y[test])
