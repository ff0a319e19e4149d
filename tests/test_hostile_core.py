"""Hostile input for the core API (issue 11): every entry point answers with a correct result
or a clear zcfast error (one that names the argument and says what was expected and what was
found), never a crash, a hang, a bare KeyError/TypeError/OverflowError/RecursionError, a
polars or NumPy exception, or a silently wrong result; and nothing the caller passed in is
modified.

Covered here: ``Settings`` and every keyword of ``evolve``; matrices, frames and targets; the
multi-task form; what ``validation_fraction`` reports; ``Expression`` (parse, JSON, pickle,
evaluate); ``Ensemble``; the correlation and top-weighted measures; ``pareto_front``;
``search`` in table mode; ``ProxyEvolver``; ``LayerTable`` and ``evolve_layerwise``. (The
PyTorch side, files and the CLI are in ``tests/test_hostile_io.py``.)

The table cases run in the ``hostile_worker`` process (``tests/hostile.py``), so that a crash
or a hang fails one case instead of the session; ``ok`` cases assert on their result. The
property tests at the end draw formulas, arrays and settings with hypothesis.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import zcfast
from hypothesis import given
from hypothesis import strategies as st
from zcfast import Expression
from zcfast.exceptions import ZcfastError

from tests.hostile import Case, Worker, case_id

# What every case starts from: 20 architectures, 3 metrics, targets that follow column 0, and
# the smallest settings that still run a real evolution.
SETUP = """\
import json, pickle, copy, os
rng = np.random.default_rng(0)
X = rng.random((20, 3))
y = X[:, 0] + 0.1 * rng.random(20)
FAST = dict(population_size=20, generations=2, ensemble=1, seed=0, n_threads=1)
ev = zcfast.evolve
E = zcfast.Expression
"""

CASES: list[Case] = []


def ok(id: str, body: str, timeout: float = 30.0) -> None:
    CASES.append(Case(id, SETUP + body, "ok", timeout=timeout))


def err(id: str, body: str, expect: str, match: str = "", timeout: float = 30.0) -> None:
    CASES.append(Case(id, SETUP + body, expect, match=match, timeout=timeout))


# -- Settings: every keyword, wrong type, out of range, huge ----------------------------------

INT_SETTINGS = {
    # name: (smallest valid value, bad values that are out of range)
    "population_size": 1,
    "generations": 1,
    "tournament_size": 1,
    "max_size": 1,
    "max_depth": 0,
    "elitism": 0,
    "ensemble": 1,
    "n_threads": 1,
}
WRONG_TYPE_INTS = ["True", "'5'", "2.5", "float('nan')", "[3]", "np.float64(3.0)", "1j"]
HUGE_INTS = ["2**40", "2**63", "2**70", "10**30", "10**5000"]

for name, low in INT_SETTINGS.items():
    if name != "n_threads":  # None is "one per core"
        err(f"settings-{name}-None", f"zcfast.Settings({name}=None)", "ArgumentTypeError", name)
    for value in WRONG_TYPE_INTS:
        err(
            f"settings-{name}-{value}",
            f"zcfast.Settings({name}={value})",
            "ArgumentTypeError",
            f"^{name}: expected",
        )
    for value in [str(low - 1), "np.int64(-5)", *HUGE_INTS]:
        err(
            f"settings-{name}-{value}",
            f"zcfast.Settings({name}={value})",
            "ConfigError",
            f"^{name}: expected",
        )
    # the same through evolve, which must not reach the core with them
    err(f"evolve-{name}-2**63", f"ev(X, y, **{{**FAST, {name!r}: 2**63}})", "ConfigError", name)
    err(f"evolve-{name}-True", f"ev(X, y, **{{**FAST, {name!r}: True}})", "ArgumentTypeError", name)

PROBABILITIES = [
    "crossover",
    "subtree_mutation",
    "hoist_mutation",
    "point_mutation",
    "point_replace",
]
for name in [*PROBABILITIES, "top_fraction", "validation_fraction"]:
    for value in ["-0.1", "1.5", "2**70", "float('inf')"]:
        err(
            f"settings-{name}-{value}",
            f"zcfast.Settings({name}={value})",
            "ConfigError",
            f"^{name}: expected",
        )
for name in [
    *PROBABILITIES,
    "parsimony",
    "top_fraction",
    "validation_fraction",
    "time_limit",
    "target_fitness",
]:
    for value in ["True", "'0.5'", "[0.5]", "1j", "{}"]:
        err(
            f"settings-{name}-{value}",
            f"zcfast.Settings({name}={value})",
            "ArgumentTypeError",
            f"^{name}: expected",
        )
    for value in ["float('nan')", "10**400", "-float('inf')"]:
        err(
            f"settings-{name}-{value}",
            f"zcfast.Settings({name}={value})",
            "ConfigError",
            f"^{name}: expected",
        )
for name in [*PROBABILITIES, "parsimony", "top_fraction"]:
    err(f"settings-{name}-None", f"zcfast.Settings({name}=None)", "ArgumentTypeError", name)
for name in ["parsimony", "time_limit"]:
    err(f"settings-{name}-negative", f"zcfast.Settings({name}=-1)", "ConfigError", name)
err("settings-time_limit-0", "zcfast.Settings(time_limit=0)", "ConfigError", "time_limit")

for value, expect in [
    ("(5,)", "ArgumentTypeError"),
    ("(-1, 3)", "ConfigError"),
    ("(1, 2, 3)", "ArgumentTypeError"),
    ("'14'", "ArgumentTypeError"),
    ("None", "ArgumentTypeError"),
    ("(3, 1)", "ConfigError"),
    ("(1.0, 2)", "ArgumentTypeError"),
    ("(True, 2)", "ArgumentTypeError"),
    ("(0, 2**70)", "ConfigError"),
    ("{1, 2}", "ArgumentTypeError"),
    ("(1, 13)", "ConfigError"),  # deeper than max_depth (12)
    ("[]", "ArgumentTypeError"),
    ("5", "ArgumentTypeError"),
]:
    err(
        f"settings-init_depth-{value}",
        f"zcfast.Settings(init_depth={value})",
        expect,
        "^init_depth: expected",
    )
for value, expect in [
    ("1.0", "ArgumentTypeError"),
    ("(1,)", "ArgumentTypeError"),
    ("(2, 1)", "ConfigError"),
    ("(1, 1)", "ConfigError"),
    ("(float('nan'), 1)", "ConfigError"),
    ("(0, float('inf'))", "ConfigError"),
    ("'ab'", "ArgumentTypeError"),
    ("(0, 10**400)", "ConfigError"),
    ("('a', 1)", "ArgumentTypeError"),
    ("(None, 1)", "ArgumentTypeError"),
]:
    err(
        f"settings-constants-{value}",
        f"zcfast.Settings(constants={value})",
        expect,
        "^constants: expected",
    )
for name, value, expect in [
    ("functions", "5", "ArgumentTypeError"),
    ("functions", "'add'", "ArgumentTypeError"),
    ("functions", "[]", "ConfigError"),
    ("functions", "['add', 'nope']", "UnknownNameError"),
    ("functions", "['ADD']", "UnknownNameError"),
    ("functions", "[5]", "ArgumentTypeError"),
    ("functions", "None", "ArgumentTypeError"),
    ("functions", "{'add': 1}", "ArgumentTypeError"),
    ("functions", "[['add']]", "ArgumentTypeError"),
    ("functions", "['sum_layers']", "UnknownNameError"),
    ("reducers", "[]", "ConfigError"),
    ("reducers", "['sum_layers', 'median_layers']", "UnknownNameError"),
    ("reducers", "'sum_layers'", "ArgumentTypeError"),
    ("reducers", "['add']", "UnknownNameError"),
    ("fitness", "'x'", "UnknownNameError"),
    ("fitness", "'Spearman'", "UnknownNameError"),
    ("fitness", "None", "ArgumentTypeError"),
    ("fitness", "5", "ArgumentTypeError"),
    ("fitness", "['spearman']", "ArgumentTypeError"),
    ("aggregate", "'max'", "UnknownNameError"),
    ("aggregate", "None", "ArgumentTypeError"),
    ("seed", "-1", "ConfigError"),
    ("seed", "2**64", "ConfigError"),
    ("seed", "10**30", "ConfigError"),
    ("seed", "'0'", "ArgumentTypeError"),
    ("seed", "1.5", "ArgumentTypeError"),
    ("seed", "True", "ArgumentTypeError"),
    ("seed", "[0]", "ArgumentTypeError"),
    ("baselines", "1", "ArgumentTypeError"),
    ("baselines", "'True'", "ArgumentTypeError"),
    ("baselines", "None", "ArgumentTypeError"),
]:
    err(
        f"settings-{name}-{value}", f"zcfast.Settings({name}={value})", expect, f"^{name}: expected"
    )

# settings that are each valid but not together
for id, kwargs, match in [
    ("tournament-above-population", "population_size=5, tournament_size=6", "tournament_size"),
    ("elitism-equals-population", "population_size=5, tournament_size=2, elitism=5", "elitism"),
    (
        "probabilities-sum",
        "crossover=0.5, subtree_mutation=0.3, hoist_mutation=0.3",
        "crossover \\+ subtree_mutation",
    ),
    ("init-deeper-than-max", "max_depth=3, init_depth=(1, 4)", "init_depth"),
    ("full-trees-too-big", "max_size=10, init_depth=(1, 4)", "init_depth"),
    ("memory", "population_size=10**7, max_size=10**5", "population_size, max_size"),
    # from the issue: unary functions with enormous sizes, binary ones 30 levels deep
    (
        "unary-enormous",
        "functions=['neg', 'log'], max_size=10**7, max_depth=10**7, init_depth=(10**6, 10**6)",
        "max_size",
    ),
    (
        "binary-depth-30",
        "functions=['add', 'mul'], init_depth=(30, 30), max_depth=30",
        "init_depth",
    ),
]:
    err(f"settings-together-{id}", f"zcfast.Settings({kwargs})", "ConfigError", match, timeout=5)
    err(
        f"evolve-together-{id}",
        f"ev(X, y, **{{**FAST, **dict({kwargs})}})",
        "ConfigError",
        match,
        timeout=5,
    )

err(
    "evolve-population-2**40",
    "ev(X, y, population_size=2**40)",
    "ConfigError",
    "population_size: expected",
)
err(
    "evolve-population-2**63-ensemble",
    "ev(X, y, population_size=2**63, ensemble=3)",
    "ConfigError",
    "population_size",
)
err("evolve-parsimony-True", "ev(X, y, **FAST, parsimony=True)", "ArgumentTypeError", "parsimony")
err(
    "evolve-time_limit-True", "ev(X, y, **FAST, time_limit=True)", "ArgumentTypeError", "time_limit"
)
err("evolve-time_limit-str", "ev(X, y, **FAST, time_limit='5')", "ArgumentTypeError", "time_limit")
err(
    "evolve-target_fitness-str",
    "ev(X, y, **FAST, target_fitness='x')",
    "ArgumentTypeError",
    "target_fitness",
)
err("evolve-crossover-None", "ev(X, y, **FAST, crossover=None)", "ArgumentTypeError", "crossover")
err("evolve-constants-float", "ev(X, y, **FAST, constants=1.0)", "ArgumentTypeError", "constants")
err(
    "evolve-feature_names-int",
    "ev(X, y, **FAST, feature_names=5)",
    "ArgumentTypeError",
    "feature_names",
)
err("evolve-functions-int", "ev(X, y, **FAST, functions=5)", "ArgumentTypeError", "functions")
err(
    "evolve-functions-unknown",
    "ev(X, y, **FAST, functions=['add', 'exp'])",
    "UnknownNameError",
    "'exp'",
)
err(
    "evolve-unknown-keyword",
    "ev(X, y, **FAST, populaton_size=5)",
    "UnknownNameError",
    "did you mean 'population_size'",
)
err("evolve-unknown-keywords", "ev(X, y, **FAST, foo=1, bar=2)", "UnknownNameError", "'foo'")
err("evolve-settings-dict", "ev(X, y, {'population_size': 5})", "ArgumentTypeError", "settings")
err("evolve-settings-str", "ev(X, y, 'fast')", "ArgumentTypeError", "settings")
err("evolve-callback-int", "ev(X, y, **FAST, callback=5)", "ArgumentTypeError", "callback")
err(
    "evolve-callback-returns-array",
    "ev(X, y, **FAST, callback=lambda s: np.array([1, 2]))",
    "ArgumentTypeError",
    "callback",
)
err(
    "evolve-callback-returns-str",
    "ev(X, y, **FAST, callback=lambda s: 'stop')",
    "ArgumentTypeError",
    "callback",
)
err("evolve-progress-str", "ev(X, y, **FAST, progress='yes')", "ArgumentTypeError", "progress")
err("evolve-missing-unknown", "ev(X, y, **FAST, missing='nope')", "UnknownNameError", "missing")
err("evolve-missing-None", "ev(X, y, **FAST, missing=None)", "UnknownNameError", "missing")
err("evolve-missing-list", "ev(X, y, **FAST, missing=['raise'])", "UnknownNameError", "missing")
err(
    "evolve-missing-layer-policy",
    "ev(X, y, **FAST, missing='drop_archs')",
    "UnknownNameError",
    "missing",
)
err("settings-from_dict-int", "zcfast.Settings.from_dict(5)", "ArgumentTypeError", "data")
err(
    "settings-from_dict-unknown",
    "zcfast.Settings.from_dict({'nope': 1})",
    "UnknownNameError",
    "'nope'",
)
err(
    "settings-replace-unknown",
    "zcfast.Settings().replace(populaton_size=1)",
    "UnknownNameError",
    "population_size",
)
err(
    "evolve-layerwise-huge-population",
    "zcfast.evolve_layerwise((X, np.array([0, 5, 10, 15,"
    " 20])), [1, 2, 3, 4], population_size=2**63)",
    "ConfigError",
    "population_size",
)

ok("settings-seed-largest", "assert zcfast.Settings(seed=2**64 - 1).seed == 2**64 - 1")
ok(
    "settings-numpy-scalars",
    """\
s = zcfast.Settings(population_size=np.int64(30), crossover=np.float32(0.5), seed=np.uint64(7),
                    baselines=np.bool_(False))
assert s.population_size == 30 and type(s.population_size) is int and s.seed == 7
assert s.crossover == 0.5 and s.baselines is False
""",
)
ok(
    "settings-round-trip",
    """\
s = zcfast.Settings(init_depth=[2, 3], functions=['add', 'add', 'log'], constants=(-1, 1))
assert s.init_depth == (2, 3) and s.functions == ('add', 'log')
assert zcfast.Settings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
""",
)
ok(
    "evolve-n_threads-10**4",
    """\
r = ev(X, y, **{**FAST, 'n_threads': 10**4})
assert 1 <= r.settings.n_threads <= (os.cpu_count() or 1) and r.best is not None
""",
    timeout=20,
)
ok(
    "evolve-functions-listed-twice",
    """\
fs = ['add', 'add', 'log']
r = ev(X, y, **FAST, functions=fs)
assert r.settings.functions == ('add', 'log') and fs == ['add', 'add', 'log']
""",
)
ok(
    "evolve-callback-stops",
    """\
seen = []
r = ev(X, y, **{**FAST, 'generations': 5}, callback=lambda s: seen.append(s) or len(seen) == 2)
assert r.stop_reason == 'callback' and len(seen) == 2 and r.history.height == 2
""",
)
ok(
    "evolve-callback-numpy-bool",
    """\
r = ev(X, y, **{**FAST, 'generations': 5}, callback=lambda s: np.bool_(True))
assert r.stop_reason == 'callback'
""",
)
ok(
    "evolve-callback-raising-propagates",
    """\
def boom(stats):
    raise RuntimeError('from the callback')
try:
    ev(X, y, **FAST, callback=boom)
except RuntimeError as exc:
    assert str(exc) == 'from the callback'
else:
    raise AssertionError('the callback error was swallowed')
""",
)
ok(
    "evolve-constants-wide",
    """\
r = ev(X, y, **FAST, constants=(-1e308, 1e308))
assert np.isfinite(r.best.fitness)
""",
)
ok(
    "evolve-unary-depth-1000",
    """\
r = ev(X, y, **{**FAST, 'population_size': 10}, functions=['neg', 'log', 'sqrt'],
       max_depth=1000, init_depth=(1000, 1000), max_size=100000, parsimony=0.0)
assert r.best.depth <= 1000
""",
)
ok(
    "evolve-time_limit-tiny",
    """\
r = ev(X, y, **{**FAST, 'generations': 1000}, time_limit=1e-300)
assert r.stop_reason == 'time_limit' and r.history.height == 1
""",
)
ok(
    "evolve-target_fitness-reached",
    """\
r = ev(X, y, **{**FAST, 'generations': 1000}, target_fitness=-1e300)
assert r.stop_reason == 'target_fitness'
""",
)
ok(
    "evolve-every-fitness",
    """\
for f in ['spearman', 'kendall', 'pearson', 'weighted_tau', 'top_spearman', 'precision', 'ndcg']:
    r = ev(X, y, **FAST, fitness=f, top_fraction=1e-9)
    assert r.best.metric == f and np.isfinite(r.best.fitness)
""",
)
ok(
    "evolve-population-1",
    """\
r = ev(X, y, **{**FAST, 'population_size': 1}, tournament_size=1, elitism=0)
assert r.best.fitness is not None
""",
)

# the ensemble's samples, its quantile columns, its learned baselines and the cost settings
for name, value, expect in [
    ("subsample", "0", "ConfigError"),
    ("subsample", "1", "ConfigError"),
    ("subsample", "1.5", "ConfigError"),
    ("subsample", "-0.5", "ConfigError"),
    ("subsample", "float('nan')", "ConfigError"),
    ("subsample", "float('inf')", "ConfigError"),
    ("subsample", "'0.8'", "ArgumentTypeError"),
    ("subsample", "True", "ArgumentTypeError"),
    ("subsample", "[0.8]", "ArgumentTypeError"),
    ("quantile_columns", "'yes'", "ArgumentTypeError"),
    ("quantile_columns", "1", "ArgumentTypeError"),
    ("quantile_columns", "None", "ArgumentTypeError"),
    ("quantile_columns", "np.float64(1)", "ArgumentTypeError"),
    ("learned", "'forest'", "ArgumentTypeError"),
    ("learned", "None", "ArgumentTypeError"),
    ("learned", "['nope']", "UnknownNameError"),
    ("learned", "['Forest']", "UnknownNameError"),
    ("learned", "[5]", "ArgumentTypeError"),
    ("learned", "{'forest': 1}", "ArgumentTypeError"),
    ("learned", "[['forest']]", "ArgumentTypeError"),
    ("cost_tolerance", "-0.01", "ConfigError"),
    ("cost_tolerance", "float('nan')", "ConfigError"),
    ("cost_tolerance", "'0.01'", "ArgumentTypeError"),
    ("cost_budget", "0", "ConfigError"),
    ("cost_budget", "-1", "ConfigError"),
    ("cost_budget", "float('inf')", "ConfigError"),
    ("cost_budget", "'1'", "ArgumentTypeError"),
    ("cost_budget", "True", "ArgumentTypeError"),
]:
    err(
        f"settings-{name}-{value}", f"zcfast.Settings({name}={value})", expect, f"^{name}: expected"
    )
    err(f"evolve-{name}-{value}", f"ev(X, y, **FAST, {name}={value})", expect, f"^{name}: expected")
ok(
    "settings-ensemble-options-valid",
    """\
s = zcfast.Settings(subsample=None, quantile_columns=False, learned=(), cost_tolerance=0,
                    cost_budget=1e-9)
assert s.subsample is None and s.learned == () and s.cost_tolerance == 0.0
assert zcfast.Settings(learned=['forest', 'forest']).learned == ('forest',)
""",
)

# costs=: what each column costs to compute
COSTS = "{'x0': 1.0, 'x1': 2.0, 'x2': 3.0}"
for id, costs, expect, match in [
    ("list", "[1, 2, 3]", "ArgumentTypeError", "cost_of"),
    ("string", "'x0'", "ArgumentTypeError", "cost_of"),
    ("array", "np.ones(3)", "ArgumentTypeError", "cost_of"),
    ("number", "1.0", "ArgumentTypeError", "cost_of"),
    ("missing-column", "{'x0': 1.0}", "UnknownNameError", "'x1', 'x2'"),
    ("integer-keys", "{0: 1.0, 1: 2.0, 2: 3.0}", "UnknownNameError", "'x0'"),
    ("negative", "{**" + COSTS + ", 'x1': -1}", "InvalidValueError", "'x1'"),
    ("nan", "{**" + COSTS + ", 'x1': float('nan')}", "InvalidValueError", "nan"),
    ("inf", "{**" + COSTS + ", 'x2': float('inf')}", "InvalidValueError", "inf"),
    ("string-value", "{**" + COSTS + ", 'x0': 'a'}", "ArgumentTypeError", "'a'"),
    ("bool-value", "{**" + COSTS + ", 'x0': True}", "ArgumentTypeError", "True"),
    (
        "cost_of-raises",
        "type('C', (), {'cost_of': lambda self, n: 1 / 0})()",
        "InvalidValueError",
        "raised ZeroDivisionError",
    ),
    (
        "cost_of-negative",
        "type('C', (), {'cost_of': lambda self, n: -1.0})()",
        "InvalidValueError",
        "cost",
    ),
    (
        "cost_of-string",
        "type('C', (), {'cost_of': lambda self, n: 'x'})()",
        "ArgumentTypeError",
        "cost",
    ),
]:
    err(f"evolve-costs-{id}", f"ev(X, y, **FAST, costs={costs})", expect, match)
err(
    "evolve-cost-tolerance-without-costs",
    "ev(X, y, **FAST, cost_tolerance=0.01)",
    "ConfigError",
    "^costs: expected",
)
ok(
    "evolve-costs-dict-not-mutated",
    f"""\
costs = {COSTS}
costs['extra'] = 9.0                     # a column the matrix lacks costs nothing here
before = dict(costs)
r = ev(X, y, **FAST, costs=costs, cost_tolerance=0.0)
assert costs == before and r.cost_front is not None and len(r.cost_front) >= 1
assert 'cost' in r.cost_front.columns and (r.cost_front['cost'] <= 6.0 + 1e-12).all()
""",
)
ok(
    "evolve-costs-budget-below-everything-warns",
    """\
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    r = ev(X, y, **FAST, costs={'x0': 1.0, 'x1': 2.0, 'x2': 3.0}, cost_budget=1e-6)
assert any('cost_budget' in str(w.message) for w in caught)
assert r.best is not None
""",
)
ok(
    "evolve-costs-all-zero",
    "r = ev(X, y, **FAST, costs={'x0': 0, 'x1': 0, 'x2': 0}, cost_tolerance=0.01)\n"
    "assert r.best is not None",
)
ok(
    "evolve-ensemble-subsample-tiny",
    """\
for fraction in [1e-9, 0.01, 0.99]:   # at least MIN_ROWS, at most all but one
    r = ev(X, y, **{**FAST, 'ensemble': 3}, subsample=fraction, baselines=False)
    assert len(r.members) == 3 and np.isfinite(r.best.evaluate(X)).all()
""",
)
ok(
    "evolve-quantile-columns-constant-column",
    """\
Xc = X.copy(); Xc[:, 1] = 4.0
r = ev(Xc, y, **{**FAST, 'ensemble': 3}, quantile_columns=True)
assert np.isfinite(r.best.evaluate(Xc)).all() and (Xc[:, 1] == 4.0).all()
""",
)
ok(
    "evolve-learned-tiny-table",
    """\
r = ev(X[:5], y[:5], **{**FAST, 'ensemble': 3}, learned=['forest', 'kernel_ridge'])
assert r.best is not None and 'learned' in r.summary()
""",
    timeout=120,
)

# -- matrices, frames and targets -------------------------------------------------------------

for id, matrix, expect, match in [
    ("1d", "X[:, 0]", "ShapeError", "2-D"),
    ("3d", "X[None]", "ShapeError", "2-D"),
    ("empty-rows", "X[:0]", "ShapeError", "matrix"),
    ("empty-columns", "X[:, :0]", "ShapeError", "matrix"),
    ("one-row", "X[:1]", "ShapeError", "rows"),
    ("scalar", "5.0", "ShapeError", "2-D"),
    ("none", "None", "ArgumentTypeError", "matrix"),
    ("string", "'abc'", "ArgumentTypeError", "matrix"),
    ("dict", "{'a': X[:, 0]}", "ArgumentTypeError", "matrix"),
    ("generator", "(r for r in X)", "ArgumentTypeError", "matrix"),
    ("ragged", "[[1, 2], [3]] * 10", "ShapeError", "matrix"),
    ("complex", "X.astype(complex)", "ArgumentTypeError", "complex"),
    ("object-str", "X.astype(str)", "ArgumentTypeError", "dtype"),
    (
        "object-mixed",
        "np.array([[1.0, 'a', 2.0]] * 20, dtype=object)",
        "ArgumentTypeError",
        "dtype object",
    ),
    ("datetime", "np.zeros((20, 2), dtype='datetime64[s]')", "ArgumentTypeError", "datetime"),
    ("nan", "np.where(X > 0.9, np.nan, X)", "InvalidValueError", "missing="),
    ("inf", "np.where(X > 0.9, np.inf, X)", "InvalidValueError", "missing="),
    ("masked", "np.ma.masked_array(X, mask=X > 0.9)", "InvalidValueError", "missing="),
    ("constant-columns", "np.ones((20, 3))", "InvalidValueError", "constant"),
    (
        "pandas-duplicate-names",
        "pd.DataFrame(X, columns=['a', 'a', 'b'])",
        "InvalidValueError",
        "duplicates \\['a'\\]",
    ),
    (
        "pandas-names-equal-as-text",
        "pd.DataFrame(X, columns=[1, '1', 'b'])",
        "InvalidValueError",
        "duplicates",
    ),
    (
        "pandas-backtick-name",
        "pd.DataFrame(X, columns=['a`b', 'c', 'd'])",
        "InvalidValueError",
        "backticks",
    ),
    (
        "pandas-empty-name",
        "pd.DataFrame(X, columns=['', 'c', 'd'])",
        "InvalidValueError",
        "non-empty",
    ),
    (
        "pandas-complex-column",
        "pd.DataFrame({'a': X[:, 0].astype(complex), 'b': X[:, 1]})",
        "ArgumentTypeError",
        "'a'",
    ),
    (
        "pandas-string-column",
        "pd.DataFrame({'a': ['x'] * 20, 'b': X[:, 1]})",
        "ArgumentTypeError",
        "'a'",
    ),
    (
        "pandas-categorical",
        "pd.DataFrame({'a': pd.Categorical(['x'] * 20), 'b': X[:, 1]})",
        "ArgumentTypeError",
        "'a'",
    ),
    (
        "pandas-datetime",
        "pd.DataFrame({'a': pd.date_range('2020', periods=20), 'b': X[:, 1]})",
        "ArgumentTypeError",
        "'a'",
    ),
    (
        "pandas-nullable-NA",
        "pd.DataFrame({'a': pd.array([1, None] + list(range(18)), dtype='Int64'), 'b': X[:, 1]})",
        "InvalidValueError",
        "'a' \\(1 rows\\)",
    ),
    ("polars-string", "pl.DataFrame({'a': ['x'] * 20, 'b': X[:, 1]})", "ArgumentTypeError", "'a'"),
    (
        "polars-null",
        "pl.DataFrame({'a': [None] + list(X[1:, 0]), 'b': X[:, 1]})",
        "InvalidValueError",
        "'a'",
    ),
    (
        "polars-list-column",
        "pl.DataFrame({'a': [[1.0]] * 20, 'b': X[:, 1]})",
        "ArgumentTypeError",
        "'a'",
    ),
    (
        "polars-empty",
        "pl.DataFrame({'a': [], 'b': []}, schema={'a': pl.Float64, 'b': pl.Float64})",
        "ShapeError",
        "matrix",
    ),
    ("polars-no-columns", "pl.DataFrame()", "ShapeError", "matrix"),
]:
    err(f"matrix-{id}", f"ev({matrix}, y, **FAST)", expect, match)

for id, matrix, check in [
    ("bool", "X > 0.5", ""),
    ("int", "(X * 100).astype(int)", ""),
    ("uint64-huge", "(X * 2**63).astype(np.uint64)", ""),
    ("float16", "X.astype(np.float16)", ""),
    ("float32", "X.astype(np.float32)", ""),
    ("fortran", "np.asfortranarray(X)", ""),
    ("non-contiguous", "np.repeat(X, 2, axis=1)[:, ::2]", ""),
    ("transposed-view", "np.ascontiguousarray(X.T).T", ""),
    ("matrix-class", "np.asmatrix(X)", ""),
    ("list-of-lists", "X.tolist()", ""),
    (
        "object-ints-beyond-int64",
        "np.array([[2**70 + i, float(x)] for i, x in enumerate(X[:, 0])], dtype=object)",
        "",
    ),
    ("one-column", "X[:, :1]", "assert r.best.features == ['x0']"),
    ("huge-values", "X * 1e308", ""),
    ("tiny-values", "X * 1e-320", ""),
    ("one-constant-column", "np.column_stack([X[:, 0], np.ones(20)])", ""),
    ("pandas-int-labels", "pd.DataFrame(X)", "assert set(r.best.features) <= {'0', '1', '2'}"),
    (
        "pandas-multiindex",
        "pd.DataFrame(X, columns=pd.MultiIndex.from_tuples([('a', 1), ('a', 2), ('b', 1)]))",
        "assert set(r.best.features) <= {'a.1', 'a.2', 'b.1'}",
    ),
    ("pandas-bool-column", "pd.DataFrame({'a': X[:, 0] > 0.5, 'b': X[:, 1]})", ""),
    (
        "polars",
        "pl.DataFrame(X, schema=['a', 'b', 'c'])",
        "assert set(r.best.features) <= {'a', 'b', 'c'}",
    ),
    (
        "polars-lazy",
        "pl.DataFrame(X, schema=['a', 'b', 'c']).lazy()",
        "assert set(r.best.features) <= {'a', 'b', 'c'}",
    ),
    ("polars-bool-column", "pl.DataFrame({'a': X[:, 0] > 0.5, 'b': X[:, 1]})", ""),
    (
        "polars-decimal",
        "pl.DataFrame({'a': X[:, 0], 'b': X[:, 1]}).with_columns("
        "pl.col('a').cast(pl.Decimal(10, 4)))",
        "",
    ),
]:
    ok(
        f"matrix-{id}",
        f"""\
r = ev({matrix}, y, **FAST)
assert r.best is not None and np.isfinite(r.best.fitness)
{check}
""",
    )

ok(
    "matrix-three-rows",
    """\
r = ev(X[:3], y[:3], **FAST)
assert r.best is not None and r.data['n_archs'] == [3]
""",
)
ok(
    "matrix-read-only-flags",
    """\
Xr = X.copy(); Xr.setflags(write=False)
yr = y.copy(); yr.setflags(write=False)
r = ev(Xr, yr, **FAST)
assert not Xr.flags.writeable and r.best.evaluate(Xr).shape == (20,)
""",
)
# names that are not identifiers are written with backticks and read back
for odd_names in [
    ["grad norm", "1x", "log"],
    ["if", "None", "x0"],
    ["α", "ａ", "e\u0301"],
    ["a+b", "(c)", "d,e"],
]:
    ok(
        f"names-print-and-parse-back-{odd_names[0]}",
        f"""\
names = {odd_names!r}
r = ev(pd.DataFrame(X, columns=names), y, **{{**FAST, 'generations': 3}})
back = E.parse(str(r.best), names)
assert back == r.best, (str(r.best), back.tokens, r.best.tokens)
np.testing.assert_array_equal(back.evaluate(X), r.best.evaluate(X))
""",
    )
ok(
    "names-integers",
    """\
r = ev(X, y, **FAST, feature_names=[0, 1, 2])
assert r.best.feature_names == ('0', '1', '2') and E.parse(str(r.best), [0, 1, 2]) == r.best
""",
)
ok(
    "names-numpy-array",
    """\
r = ev(X, y, **FAST, feature_names=np.array(['a', 'b', 'c']))
assert r.best.feature_names == ('a', 'b', 'c')
""",
)
ok(
    "names-override-frame",
    """\
r = ev(pd.DataFrame(X), y, **FAST, feature_names=['p', 'q', 'r'])
assert set(r.best.features) <= {'p', 'q', 'r'}
""",
)
for id, names, expect, match in [
    ("duplicates", "['a', 'a', 'b']", "InvalidValueError", "duplicates"),
    ("too-few", "['a', 'b']", "ShapeError", "3 names"),
    ("too-many", "['a', 'b', 'c', 'd']", "ShapeError", "3 names"),
    ("string", "'abc'", "ArgumentTypeError", "list of column names"),
    ("set", "{'a', 'b', 'c'}", "ArgumentTypeError", "list of column names"),
    ("dict", "{'a': 0, 'b': 1, 'c': 2}", "ArgumentTypeError", "list of column names"),
    ("none-entry", "['a', None, 'b']", "ArgumentTypeError", "None"),
    ("bool-entry", "['a', True, 'b']", "ArgumentTypeError", "True"),
    ("backtick", "['a', 'b`', 'c']", "InvalidValueError", "backticks"),
    ("empty-entry", "['a', '', 'c']", "InvalidValueError", "non-empty"),
]:
    err(
        f"names-{id}",
        f"ev(X, y, **FAST, feature_names={names})",
        expect,
        f"feature_names: expected.*{match}" if expect != "ShapeError" else match,
    )

for id, targets, expect, match in [
    ("short-list", "list(y[:5])", "ShapeError", "one value per matrix row \\(20\\), found 5"),
    ("long-series", "pd.Series(np.r_[y, y])", "ShapeError", "found 40"),
    ("2d", "y[:, None]", "ShapeError", "1-D"),
    ("frame", "pd.DataFrame(y)", "ShapeError", "DataFrame"),
    ("strings", "['a'] * 20", "ArgumentTypeError", "numeric"),
    ("none", "None", "ArgumentTypeError", "numeric"),
    ("complex", "y.astype(complex)", "ArgumentTypeError", "complex"),
    ("nan", "np.r_[np.nan, y[1:]]", "InvalidValueError", "finite"),
    ("inf", "np.r_[y[:-1], -np.inf]", "InvalidValueError", "position 19"),
    ("none-entry", "[None] + list(y[1:])", "InvalidValueError", "finite"),
    ("masked", "np.ma.masked_array(y, mask=y > 0.5)", "InvalidValueError", "finite"),
    ("constant", "np.full(20, 0.7)", "InvalidValueError", "all equal"),
    ("int-beyond-float", "[10**400] + list(range(19))", "InvalidValueError", "finite"),
    ("scalar", "0.5", "ShapeError", "1-D"),
]:
    err(f"targets-{id}", f"ev(X, {targets}, **FAST)", expect, f"^targets: expected.*{match}")
for id, targets in [
    ("list", "list(y)"),
    ("pandas-series-other-index", "pd.Series(y, index=range(100, 120))"),
    ("polars-series", "pl.Series(y)"),
    ("ints", "(y * 100).astype(int)"),
    ("huge", "y * 1e308"),
    ("int-beyond-int64", "[2**70 * int(v * 1000) for v in y]"),
]:
    ok(
        f"targets-{id}",
        f"""\
r = ev(X, {targets}, **FAST)
assert np.isfinite(r.best.fitness)
""",
    )

# missing-value policies
ok(
    "missing-drop_columns",
    """\
Xn = X.copy(); Xn[3, 1] = np.nan
r = ev(Xn, y, **FAST, missing='drop_columns')
assert r.data['dropped_columns'] == ['x1'] and 'x1' not in r.best.features
""",
)
ok(
    "missing-drop_rows",
    """\
Xn = X.copy(); Xn[3, 1] = np.inf
r = ev(Xn, y, **FAST, missing='drop_rows', validation_fraction=0.25)
assert 3 not in r.validation_rows[0] and r.data['n_archs'] == [19]
""",
)
ok(
    "missing-sentinel",
    """\
Xn = X.copy(); Xn[3, 1] = np.nan; Xn[4, 2] = np.inf
r = ev(Xn, y, **FAST, missing='sentinel')
assert r.data['n_archs'] == [20] and np.isnan(Xn[3, 1])
""",
)
err(
    "missing-drop_columns-all",
    "ev(np.full((20, 2), np.nan), y, **FAST, missing='drop_columns')",
    "InvalidValueError",
    "at least one column",
)
err(
    "missing-drop_rows-too-many",
    "ev(np.where(X > 0.3, np.nan, X), y, **FAST, missing='drop_rows')",
    "ShapeError",
    "at least 3",
)

# several tasks
ok(
    "multi-task",
    """\
r = ev([X, X[::-1]], [y, y[::-1]], **FAST)
assert len(r.task_fitness) == 2 and r.data['n_tasks'] == 2
""",
)
ok(
    "multi-task-min-and-sizes",
    """\
r = ev([X, X[:10]], (y, -y[:10]), **FAST, aggregate='min')
assert abs(r.best.fitness - min(r.task_fitness)) < 1e-12
""",
)
ok("multi-task-one", "r = ev([X], [y], **FAST); assert len(r.task_fitness) == 1")
for id, call, expect, match in [
    ("targets-not-list", "ev([X, X], y, **FAST)", "ShapeError", "list of 2 target vectors"),
    ("targets-array-2d", "ev([X, X], np.stack([y, y]), **FAST)", "ShapeError", "list of 2"),
    ("targets-too-few", "ev([X, X], [y], **FAST)", "ShapeError", "found 1"),
    ("columns-differ", "ev([X, X[:, :2]], [y, y], **FAST)", "ShapeError", "matrix\\[1\\]"),
    (
        "names-differ",
        "ev([pd.DataFrame(X, columns=list('abc')),"
        " pd.DataFrame(X, columns=list('abd'))], [y, y], **FAST)",
        "ShapeError",
        "matrix\\[1\\]",
    ),
    ("one-constant", "ev([X, X], [y, np.ones(20)], **FAST)", "InvalidValueError", "targets\\[1\\]"),
    ("one-short", "ev([X, X], [y, y[:4]], **FAST)", "ShapeError", "targets\\[1\\]"),
    (
        "one-nan",
        "ev([X, np.where(X > 0.9, np.nan, X)], [y, y], **FAST)",
        "InvalidValueError",
        "missing=",
    ),
    ("empty-list", "ev([], [], **FAST)", "ShapeError", "matrix"),
    ("tuple-of-matrices", "ev((X, X), (y, y), **FAST)", "ShapeError", "2-D"),
]:
    err(f"multi-{id}", call, expect, match)

# nothing the caller passed is modified
ok(
    "no-mutation-numpy",
    """\
X0, y0 = X.copy(), y.copy()
ev(X, y, **FAST, validation_fraction=0.25)
assert (X == X0).all() and (y == y0).all() and X.flags.writeable and y.flags.writeable
""",
)
ok(
    "no-mutation-nan-policies",
    """\
Xn = X.copy(); Xn[3, 1] = np.nan; Xn[5, 0] = np.inf
for policy in ['drop_columns', 'drop_rows', 'sentinel']:
    X0 = Xn.copy()
    ev(Xn, y, **FAST, missing=policy)
    np.testing.assert_array_equal(Xn, X0)
""",
)
ok(
    "no-mutation-frames",
    """\
df = pd.DataFrame(X, columns=list('abc')); d0 = df.copy()
pf = pl.DataFrame(X, schema=list('abc')); p0 = pf.clone()
ys = pd.Series(y); s0 = ys.copy()
ev(df, ys, **FAST); ev(pf, y, **FAST)
assert df.equals(d0) and pf.equals(p0) and ys.equals(s0) and list(df.columns) == list('abc')
""",
)
ok(
    "no-mutation-lists",
    """\
rows, targets, names = X.tolist(), list(y), ['a', 'b', 'c']
r0, t0, n0 = copy.deepcopy(rows), list(targets), list(names)
tasks, ys = [X, X], [y, y]
ev(rows, targets, **FAST, feature_names=names)
ev(tasks, ys, **FAST)
assert rows == r0 and targets == t0 and names == n0 and len(tasks) == 2 and ys[0] is y
""",
)

# -- what validation_fraction reports -------------------------------------------------------------

ok(
    "validation-fraction-relation",
    """\
for fitness in ['spearman', 'kendall', 'ndcg']:
    r = ev(X, y, **FAST, validation_fraction=0.25, fitness=fitness)
    rows = r.validation_rows[0]
    train = np.setdiff1d(np.arange(20), rows)
    assert len(rows) == 5
    assert abs(r.best.score(X[rows], y[rows], fitness) - r.best.validation_fitness) < 1e-12
    assert abs(r.best.score(X[train], y[train], fitness) - r.best.fitness) < 1e-12
    assert abs(r.task_fitness[0] - r.best.fitness) < 1e-12
    for e in r.front:
        assert abs(e.score(X[train], y[train], fitness) - e.fitness) < 1e-12
""",
)
ok(
    "validation-fraction-relation-drop_rows",
    """\
Xn = X.copy(); Xn[2, 0] = np.nan
r = ev(Xn, y, **FAST, validation_fraction=0.3, missing='drop_rows')
rows = r.validation_rows[0]
train = np.setdiff1d(np.flatnonzero(np.isfinite(Xn).all(axis=1)), rows)
assert 2 not in rows and 2 not in train
assert abs(r.best.score(Xn[rows], y[rows]) - r.best.validation_fitness) < 1e-12
assert abs(r.best.score(Xn[train], y[train]) - r.best.fitness) < 1e-12
""",
)
ok(
    "validation-fraction-relation-tasks",
    """\
X2, y2 = X[::-1].copy(), -y[::-1]
r = ev([X, X2], [y, y2], **FAST, validation_fraction=0.25)
vals = [r.best.score(Xt[rows], yt[rows]) for Xt, yt, rows in zip([X, X2], [y, y2],
        r.validation_rows)]
assert abs(np.mean(vals) - r.best.validation_fitness) < 1e-12
""",
)
ok(
    "validation-ensemble-members",
    """\
for fraction in [None, 0.25]:
    r = ev(X, y, **{**FAST, 'ensemble': 3}, validation_fraction=fraction and 0.3,
           baselines=False)
    assert r.validation_rows is None and r.best.validation_fitness is not None
    assert abs(r.best.score(X, y) - r.best.fitness) < 1e-12   # all training rows
    inputs = r.best.member_inputs(X)   # the columns and the quantile columns members read
    for m in r.members:
        rows = m.validation_rows[0]
        assert abs(m.best.score(inputs[rows], y[rows]) - m.best.validation_fitness) < 1e-12
""",
)
ok(
    "validation-none-without-fraction",
    """\
r = ev(X, y, **FAST)
assert r.validation_rows is None and r.best.validation_fitness is None
assert abs(r.best.score(X, y) - r.best.fitness) < 1e-12
""",
)
err(
    "validation-fraction-too-small",
    "ev(X, y, **FAST, validation_fraction=1e-9)",
    "ConfigError",
    "validation_fraction",
)
err(
    "validation-fraction-too-large",
    "ev(X, y, **FAST, validation_fraction=0.999)",
    "ConfigError",
    "validation_fraction",
)
ok(
    "ensemble-tiny-table",
    """\
r = ev(X[:3], y[:3], **{**FAST, 'ensemble': 5})
assert r.best is not None and len(r.members) == 5
""",
)

# -- Expression.parse -------------------------------------------------------------------------

NAMES = "['a', 'b', 'c']"
for id, formula, expect, match in [
    ("int", "5", "ArgumentTypeError", "formula: expected a str"),
    ("bytes", "b'a'", "ArgumentTypeError", "formula: expected a str"),
    ("none", "None", "ArgumentTypeError", "formula: expected a str"),
    ("empty", "''", "InvalidValueError", "end of the formula"),
    ("blank", "'   '", "InvalidValueError", "end of the formula"),
    ("unbalanced-open", "'(a + b'", "InvalidValueError", "never closed"),
    ("unbalanced-close", "'a + b)'", "InvalidValueError", "unmatched"),
    ("dangling-operator", "'a +'", "InvalidValueError", "end of the formula"),
    ("two-operands", "'a b'", "InvalidValueError", "position 2"),
    ("unknown-name", "'a + zz'", "UnknownNameError", "'zz'"),
    ("unknown-function", "'exp(a)'", "UnknownNameError", "'exp'"),
    ("column-called", "'a(b)'", "UnknownNameError", "'a'"),
    ("literal-400-digits", "'1' * 400", "InvalidValueError", "finite number"),
    ("literal-1e309", "'1e309 * a'", "InvalidValueError", "finite number"),
    ("power-3", "'a ** 3'", "InvalidValueError", "power 2"),
    ("power-negative", "'a ^ -2'", "InvalidValueError", "power 2"),
    ("power-chained", "'a ^ 2 ^ 2'", "InvalidValueError", "power 2"),
    ("power-of-name", "'a ^ b'", "InvalidValueError", "power 2"),
    ("no-arguments", "'log()'", "InvalidValueError", "formula"),
    ("too-many-arguments", "'log(a, b)'", "InvalidValueError", "log with 1 argument"),
    ("too-few-arguments", "'max(a)'", "InvalidValueError", "max with 2 argument"),
    ("comma-outside-call", "'a, b'", "InvalidValueError", "','"),
    ("keyword-argument", "'log(x=a)'", "InvalidValueError", "position"),
    ("attribute", "'np.log(a)'", "InvalidValueError", "position"),
    ("subscript", "'a[0]'", "InvalidValueError", "position"),
    ("comparison", "'a < b'", "InvalidValueError", "position"),
    ("floor-division", "'a // b'", "InvalidValueError", "position"),
    ("modulo", "'a % b'", "InvalidValueError", "position"),
    ("string-literal", "\"'a'\"", "InvalidValueError", "position"),
    ("complex-literal", "'1j'", "InvalidValueError", "position"),
    ("digit-name", "'1x'", "InvalidValueError", "position 1"),
    ("null-byte", "'a\\x00'", "InvalidValueError", "position 1"),
    ("lambda", "'lambda: 1'", "InvalidValueError", "position 6"),
    ("backtick-unclosed", "'`a + b'", "InvalidValueError", "position 0"),
    ("backtick-unknown", "'`zz` + a'", "UnknownNameError", "`zz`"),
    ("backtick-empty", "'`` + a'", "UnknownNameError", "``"),
    ("nested-reductions", "'sum_layers(mean_layers(a))'", "InvalidValueError", "expected"),
    ("column-outside-reduction", "'sum_layers(a) + b'", "InvalidValueError", "expected"),
    ("too-long", "'a+' * 600000 + 'a'", "InvalidValueError", "at most 1,000,000"),
    ("fullwidth-is-not-ascii", "'ａ'", "UnknownNameError", "'ａ'"),
]:
    err(f"parse-{id}", f"E.parse({formula}, {NAMES})", expect, match)
for id, names, expect, match in [
    ("string", "'abc'", "ArgumentTypeError", "'abc'"),
    ("duplicates", "['a', 'a']", "InvalidValueError", "duplicates"),
    ("set", "{'a'}", "ArgumentTypeError", "list of column names"),
    ("dict", "{'a': 1}", "ArgumentTypeError", "list of column names"),
    ("none", "None", "ArgumentTypeError", "list of column names"),
    ("nested", "[['a']]", "ArgumentTypeError", "names"),
    ("backtick", "['a`']", "InvalidValueError", "backticks"),
    ("2d-array", "np.array([['a']])", "ArgumentTypeError", "names"),
]:
    err(f"parse-names-{id}", f"E.parse('a', {names})", expect, f"feature_names: expected.*{match}")
ok(
    "parse-string-names-are-not-letters",
    """\
try:
    E.parse('a', 'abc')
except zcfast.exceptions.ArgumentTypeError as exc:
    assert "found 'abc'" in str(exc)
""",
)

# formulas that must parse, print, and parse back to the same tree
ROUND_TRIP = [
    "-(2.5)",
    "neg(2.5)",
    "-(-2.5)",
    "-2.5",
    "square(-0.0)",
    "-0.0 + a",
    "a - -2.5",
    "-a^2",
    "(-a)^2",
    "-2^2",
    "a + (b + c)",
    "(a + b) + c",
    "a * (b * c)",
    "a / (b / c)",
    "a - (b - c)",
    "1e-300 * a",
    "1e300 + a",
    "0.1 + a",
    "min(a, -b)",
    "max(-(1.5), a)",
    "a**2.0",
    "+a",
    "- - 3",
    "abs(a) / sqrt(b) ^ 2",
    "log (a)",
    "a\n+\tb",
    "`a` + `b`",
    "1.e5 * .5",
    "1E+5 - 2e-3",
]
for i, formula in enumerate(ROUND_TRIP):
    ok(
        f"parse-round-trip-{i}",
        f"""\
e = E.parse({formula!r}, {NAMES})
back = E.parse(str(e), {NAMES})
assert back == e, (str(e), back.tokens, e.tokens)
""",
    )
ok(
    "parse-1500-unary-minus",
    """\
e = E.parse('-' * 1500 + 'a', ['a'])
assert e.size == 1501 and E.parse(str(e), ['a']) == e
""",
    timeout=10,
)
ok(
    "parse-1500-nested-parentheses",
    """\
e = E.parse('-(' * 1500 + 'a' + ')' * 1500, ['a'])
assert e.depth == 1500 and E.parse(str(e), ['a']) == e
""",
    timeout=10,
)
ok(
    "parse-flat-sum-1000",
    """\
e = E.parse(' + '.join(['a'] * 1000), ['a'])
assert e.size == 1999 and E.parse(str(e), ['a']) == e
assert e.evaluate(np.ones((2, 1))).tolist() == [1000.0, 1000.0]
""",
    timeout=10,
)
ok(
    "parse-200k-deep-linear",
    """\
e = E.from_json(json.dumps({'format': 'zcfast.expression/1', 'feature_names': ['a'],
                            'postfix': ['x0'] + ['neg'] * 200_000}))
text = str(e)
assert len(text) == 3 * 200_000 - 1 and E.parse(text, ['a']) == e
""",
    timeout=20,
)
ok("parse-literal-300-digits", "assert E.parse('1' * 300, ['a']).tokens[0].startswith('c1.11')")
ok(
    "parse-unicode-names",
    """\
names = ['α', 'ａ', 'ﬁ', 'e\\u0301']
e = E.parse('α * `ａ` + `ﬁ` - `e\\u0301`', names)
assert e.features == names and E.parse(str(e), names) == e
""",
)
ok(
    "parse-names-pandas-index",
    """\
e = E.parse('b / a', pd.Index(['a', 'b']))
assert e.feature_names == ('a', 'b')
""",
)
ok("parse-names-integers", "assert str(E.parse('`3` + a', ['a', 3])) == '`3` + a'")
ok(
    "parse-function-named-column",
    """\
e = E.parse('`log` + log(log)', ['log'])
assert e.tokens == ('x0', 'x0', 'log', 'add') and E.parse(str(e), ['log']) == e
""",
)
ok(
    "parse-constant-only",
    """\
assert E.parse('1 + 2', ['a']).evaluate(np.ones((3, 1))).tolist() == [3.0] * 3
assert E.parse('2', []).size == 1
""",
)

# -- Expression JSON and pickle -------------------------------------------------------------------

JSON_SETUP = """\
e = E.parse('log(a) * b', ['a', 'b'])
d = e.to_dict()
def fj(**kw):
    return E.from_json(json.dumps({**d, **kw}))
"""
for id, body, expect, match in [
    (
        "postfix-missing",
        "E.from_json(json.dumps({k: v for k, v in d.items() if k != 'postfix'}))",
        "InvalidValueError",
        "'postfix'",
    ),
    ("postfix-null", "fj(postfix=None)", "InvalidValueError", "'postfix'"),
    ("postfix-string", "fj(postfix='x0')", "InvalidValueError", "'postfix'"),
    ("postfix-numbers", "fj(postfix=[1, 2])", "ArgumentTypeError", "tokens"),
    ("postfix-empty", "fj(postfix=[])", "InvalidValueError", "expression"),
    ("postfix-two-results", "fj(postfix=['x0', 'x1'])", "InvalidValueError", "one result"),
    ("postfix-unknown-token", "fj(postfix=['x0', 'frob'])", "InvalidValueError", "frob"),
    ("postfix-nan-constant", "fj(postfix=['cnan'])", "InvalidValueError", "cnan"),
    ("postfix-feature-beyond-names", "fj(postfix=['x7'])", "ShapeError", "x7"),
    ("postfix-huge-feature", "fj(postfix=['x99999999999'])", "InvalidValueError", "x9"),
    (
        "names-missing",
        "E.from_json(json.dumps({k: v for k, v in d.items() if k != 'feature_names'}))",
        "InvalidValueError",
        "'feature_names'",
    ),
    ("names-null", "fj(feature_names=None)", "InvalidValueError", "'feature_names'"),
    ("names-object", "fj(feature_names={'a': 1})", "InvalidValueError", "'feature_names'"),
    ("names-duplicates", "fj(feature_names=['a', 'a'])", "InvalidValueError", "duplicates"),
    ("names-nested", "fj(feature_names=[['a'], 'b'])", "ArgumentTypeError", "feature_names"),
    ("fitness-string", "fj(fitness='high')", "ArgumentTypeError", "fitness"),
    (
        "fitness-nan",
        "E.from_json(json.dumps(d).replace('\"fitness\": null', '\"fitness\": NaN'))",
        "InvalidValueError",
        "fitness",
    ),
    ("fitness-huge-int", "fj(fitness=10**400)", "InvalidValueError", "fitness"),
    ("fitness-bool", "fj(fitness=True)", "ArgumentTypeError", "fitness"),
    (
        "validation-fitness-list",
        "fj(validation_fitness=[1])",
        "ArgumentTypeError",
        "validation_fitness",
    ),
    ("metric-number", "fj(metric=5)", "ArgumentTypeError", "metric"),
    ("metric-unknown", "fj(metric='accuracy')", "UnknownNameError", "metric"),
    ("format-wrong", "fj(format='zcfast.ensemble/1')", "InvalidValueError", "format"),
    ("format-huge-int", "fj(format=10**400)", "InvalidValueError", "format"),
    ("text-int", "E.from_json(5)", "ArgumentTypeError", "text"),
    ("text-none", "E.from_json(None)", "ArgumentTypeError", "text"),
    ("text-list", "E.from_json('[1]')", "InvalidValueError", "JSON object"),
    ("text-truncated", "E.from_json(e.to_json()[:-1])", "InvalidValueError", "invalid JSON"),
    ("text-bad-utf8", "E.from_json(b'\\xff\\xfe{')", "InvalidValueError", "JSON"),
    (
        "text-deeply-nested",
        "E.from_json('[' * 100000 + ']' * 100000)",
        "InvalidValueError",
        "nested",
    ),
    ("dict-not-mapping", "E.from_dict([1])", "InvalidValueError", "mapping"),
    ("ctor-tokens-string", "E('x0', ('a',))", "ArgumentTypeError", "tokens"),
    ("ctor-names-string", "E(('x0',), 'a')", "ArgumentTypeError", "feature_names"),
    (
        "ctor-mismatched-names",
        "E(('x0', 'x5', 'add'), ('a', 'b'))",
        "ShapeError",
        "at least 6 names",
    ),
    ("with-fitness-string", "e.with_fitness('x')", "ArgumentTypeError", "fitness"),
]:
    err(f"json-{id}", JSON_SETUP + body, expect, match)
ok(
    "json-round-trip",
    JSON_SETUP
    + """\
f = e.with_fitness(0.5, 0.25)
g = E.from_json(f.to_json())
assert g == f and g.fitness == 0.5 and g.validation_fitness == 0.25
assert E.from_json(f.to_json().encode()) == f
""",
)
ok(
    "json-10**6-nodes-linear",
    """\
e = E.from_json(json.dumps({'format': 'zcfast.expression/1', 'feature_names': ['a', 'b'],
                            'postfix': ['x0'] + ['x1', 'add'] * 500_000}))
assert e.size == 10**6 + 1 and len(str(e)) == 1 + 4 * 500_000
e2 = E.from_json(json.dumps({'format': 'zcfast.expression/1', 'feature_names': ['a'],
                             'postfix': ['x0'] + ['neg'] * 10**6}))
assert len(str(e2)) == 3 * 10**6 - 1 and e2.depth == 10**6
""",
    timeout=10,
)
ok(
    "pickle-round-trip",
    JSON_SETUP
    + """\
f = pickle.loads(pickle.dumps(e.with_fitness(0.5)))
assert f == e and f.fitness == 0.5 and f.evaluate(np.ones((2, 2))).shape == (2,)
""",
)
for id, args, expect, match in [
    ("mismatched-names", "(('x0', 'x1', 'add'), ('a',))", "ShapeError", "at least 2 names"),
    ("duplicate-names", "(('x0',), ('a', 'a'))", "InvalidValueError", "duplicates"),
    ("bad-token", "(('x0', 'frob'), ('a',))", "InvalidValueError", "frob"),
    ("bad-fitness", "(('x0',), ('a',), 'high')", "ArgumentTypeError", "fitness"),
]:
    err(
        f"pickle-tampered-{id}",
        f"""\
class Tampered:
    def __reduce__(self):
        return (zcfast.Expression, {args})
pickle.loads(pickle.dumps(Tampered()))
""",
        expect,
        match,
    )

# -- Expression.evaluate and score -------------------------------------------------------------

EVAL_SETUP = """\
e = pickle.loads(pickle.dumps(E.parse('log(a) * b', ['a', 'b'])))
M = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
"""
for id, arg, expect, match in [
    ("too-wide", "np.ones((3, 3))", "ShapeError", "2 columns"),
    ("too-narrow", "np.ones((3, 1))", "ShapeError", "2 columns"),
    ("1d", "np.ones(3)", "ShapeError", "2-D"),
    ("3d", "np.ones((2, 3, 2))", "ShapeError", "2-D"),
    ("strings", "'ab'", "ArgumentTypeError", "numeric"),
    ("none", "None", "ArgumentTypeError", "numeric"),
    ("complex", "M.astype(complex)", "ArgumentTypeError", "complex"),
    ("frame-missing-column", "pd.DataFrame({'a': [1.0]})", "UnknownNameError", "\\['b'\\]"),
    (
        "frame-duplicate-column",
        "pd.DataFrame([[1.0, 2.0, 3.0]], columns=['a', 'a', 'b'])",
        "InvalidValueError",
        "several named \\['a'\\]",
    ),
    ("frame-string-column", "pd.DataFrame({'a': ['x'], 'b': [1.0]})", "ArgumentTypeError", "'a'"),
    ("polars-missing-column", "pl.DataFrame({'b': [1.0]})", "UnknownNameError", "\\['a'\\]"),
    (
        "layer-table",
        "zcfast.LayerTable.from_arrays(np.ones((3, 2)), [0, 1, 3], names=['a', 'b'])",
        "InvalidValueError",
        "layer-wise",
    ),
    ("tuple", "(np.ones((3, 2)), np.array([0, 1, 3]))", "ShapeError", "matrix"),
]:
    err(f"evaluate-{id}", EVAL_SETUP + f"e.evaluate({arg})", expect, match)
for id, frame in [
    ("pandas-reordered-extra", "pd.DataFrame({'z': ['s'] * 3, 'b': M[:, 1], 'a': M[:, 0]})"),
    ("polars-reordered", "pl.DataFrame({'b': M[:, 1], 'a': M[:, 0]})"),
    ("polars-lazy", "pl.DataFrame({'b': M[:, 1], 'a': M[:, 0]}).lazy()"),
    ("pandas-duplicate-unused", "pd.DataFrame(np.c_[M, M], columns=['a', 'b', 'c', 'c'])"),
]:
    ok(
        f"evaluate-{id}",
        EVAL_SETUP
        + f"""\
frame = {frame}
np.testing.assert_allclose(e.evaluate(frame), np.log(M[:, 0]) * M[:, 1])
""",
    )
ok(
    "evaluate-nan-rows",
    EVAL_SETUP
    + """\
out = e.evaluate(np.array([[np.nan, 1.0], [2.0, 3.0]]))
assert np.isnan(out[0]) and out[1] == np.log(2.0) * 3.0
""",
)
ok(
    "evaluate-no-mutation",
    EVAL_SETUP
    + """\
df = pd.DataFrame({'b': M[:, 1], 'a': M[:, 0]}); d0 = df.copy(); M0 = M.copy()
e.evaluate(df); e.evaluate(M); e.score(M, [1, 2, 3])
assert df.equals(d0) and (M == M0).all()
""",
)
for id, call, expect, match in [
    ("constant-targets", "e.score(M, [1, 1, 1])", "InvalidValueError", "all equal"),
    ("short-targets", "e.score(M, [1, 2])", "ShapeError", "length"),
    ("unknown-fitness", "e.score(M, [1, 2, 3], 'accuracy')", "UnknownNameError", "fitness"),
    ("list-fitness", "e.score(M, [1, 2, 3], ['spearman'])", "ArgumentTypeError", "fitness"),
    (
        "fraction-out-of-range",
        "e.score(M, [1, 2, 3], 'ndcg', top_fraction=5)",
        "InvalidValueError",
        "fraction",
    ),
    (
        "fraction-string",
        "e.score(M, [1, 2, 3], 'ndcg', top_fraction='x')",
        "ArgumentTypeError",
        "fraction",
    ),
]:
    err(f"score-{id}", EVAL_SETUP + call, expect, match)

# -- Ensemble -------------------------------------------------------------------------------------

ENS_SETUP = """\
M = rng.random((10, 2))
a, b = E.parse('a', ['a', 'b']), E.parse('b * a', ['a', 'b'])
ens = zcfast.Ensemble.from_members([a, b], M)
d = ens.to_dict()
"""
ok(
    "ensemble-evaluate-str-pickle-json",
    ENS_SETUP
    + """\
s = ens.evaluate(M)
assert s.shape == (10,) and ((s >= 0) & (s <= 1)).all() and str(ens) == 'rank_mean(a; b * a)'
assert pickle.loads(pickle.dumps(ens)) == ens
assert zcfast.Ensemble.from_json(ens.to_json()) == ens
np.testing.assert_array_equal(zcfast.Ensemble.from_json(ens.to_json()).evaluate(M), s)
""",
)
ok(
    "ensemble-evaluate-frame-reordered",
    ENS_SETUP
    + """\
df = pd.DataFrame({'b': M[:, 1], 'a': M[:, 0]})
np.testing.assert_array_equal(ens.evaluate(df), ens.evaluate(M))
""",
)
ok(
    "ensemble-nan-row-is-degenerate",
    ENS_SETUP
    + """\
out = ens.evaluate(np.array([[np.nan, 1.0], [0.5, 0.5]]))
assert out[0] == zcfast.DEGENERATE_SCORE and np.isfinite(out[1])
""",
)
ok(
    "ensemble-with-reference-no-mutation",
    ENS_SETUP
    + """\
table = pd.DataFrame(M, columns=['a', 'b']); t0 = table.copy()
other = ens.with_reference(table)
assert other.members == ens.members and table.equals(t0)
""",
)
for id, body, expect, match in [
    (
        "members-missing",
        "zcfast.Ensemble.from_dict({k: v for k, v in d.items() if k != 'members'})",
        "InvalidValueError",
        "'members'",
    ),
    (
        "members-null",
        "zcfast.Ensemble.from_dict({**d, 'members': None})",
        "InvalidValueError",
        "'members'",
    ),
    (
        "members-empty",
        "zcfast.Ensemble.from_dict({**d, 'members': [], 'references': []})",
        "ShapeError",
        "at least one",
    ),
    (
        "references-missing",
        "zcfast.Ensemble.from_dict({k: v for k, v in d.items() if k != 'references'})",
        "InvalidValueError",
        "'references'",
    ),
    (
        "references-strings",
        "zcfast.Ensemble.from_dict({**d, 'references': ['ab', 'cd']})",
        "ArgumentTypeError",
        "references\\[0\\]",
    ),
    (
        "references-numbers",
        "zcfast.Ensemble.from_dict({**d, 'references': [1, 2]})",
        "ArgumentTypeError",
        "references\\[0\\]",
    ),
    (
        "references-nan",
        "zcfast.Ensemble.from_dict({**d, 'references': [[float('nan')], [1.0]]})",
        "InvalidValueError",
        "references\\[0\\]",
    ),
    (
        "references-unsorted",
        "zcfast.Ensemble.from_dict({**d, 'references': [[2.0, 1.0], [1.0]]})",
        "InvalidValueError",
        "unsorted",
    ),
    (
        "references-count",
        "zcfast.Ensemble.from_dict({**d, 'references': [[1.0]]})",
        "ShapeError",
        "one per member",
    ),
    (
        "references-huge",
        "zcfast.Ensemble((a,), ((10**400,),))",
        "InvalidValueError",
        "references\\[0\\]",
    ),
    ("dict-not-mapping", "zcfast.Ensemble.from_dict([1])", "InvalidValueError", "mapping"),
    ("format-wrong", "zcfast.Ensemble.from_dict(a.to_dict())", "InvalidValueError", "format"),
    ("json-int", "zcfast.Ensemble.from_json(5)", "ArgumentTypeError", "text"),
    ("json-deep", "zcfast.Ensemble.from_json('[' * 100000)", "InvalidValueError", "JSON"),
    (
        "json-member-bad",
        "zcfast.Ensemble.from_dict({**d, 'members': [{'format': 'x'}] * 2})",
        "InvalidValueError",
        "format",
    ),
    (
        "members-other-columns",
        "zcfast.Ensemble((a, E.parse('c', ['c'])), ((1.0,), (1.0,)))",
        "InvalidValueError",
        "members\\[1\\]",
    ),
    (
        "members-mixed-kinds",
        "zcfast.Ensemble((E.parse('a', ['a']), E.parse('sum_layers(a)', ['a'])), ((1.0,), (1.0,)))",
        "InvalidValueError",
        "mix",
    ),
    (
        "members-strings",
        "zcfast.Ensemble(('a', 'b'), ((1.0,), (1.0,)))",
        "ArgumentTypeError",
        "members\\[0\\]",
    ),
    ("members-string", "zcfast.Ensemble('ab', ((1.0,), (1.0,)))", "ArgumentTypeError", "members"),
    (
        "fitness-string",
        "zcfast.Ensemble((a,), ((1.0,),), fitness='x')",
        "ArgumentTypeError",
        "fitness",
    ),
    (
        "metric-unknown",
        "zcfast.Ensemble((a,), ((1.0,),), metric='r2')",
        "UnknownNameError",
        "metric",
    ),
    ("from-members-empty", "zcfast.Ensemble.from_members([], M)", "ShapeError", "at least one"),
    (
        "from-members-strings",
        "zcfast.Ensemble.from_members(['a'], M)",
        "ArgumentTypeError",
        "members\\[0\\]",
    ),
    (
        "from-members-all-degenerate",
        "zcfast.Ensemble.from_members([a], np.full((4, 2), -1e8))",
        "InvalidValueError",
        "degenerate",
    ),
    ("evaluate-narrow", "ens.evaluate(np.ones((3, 1)))", "ShapeError", "2 columns"),
    ("with-reference-strings", "ens.with_reference('abc')", "ArgumentTypeError", "numeric"),
    ("score-constant", "ens.score(M, np.ones(10))", "InvalidValueError", "all equal"),
]:
    err(f"ensemble-{id}", ENS_SETUP + body, expect, match)
err(
    "ensemble-pickle-tampered",
    ENS_SETUP
    + """\
class Tampered:
    def __reduce__(self):
        return (zcfast.Ensemble, ((a, b), ((2.0, 1.0), (1.0,))))
pickle.loads(pickle.dumps(Tampered()))
""",
    "InvalidValueError",
    "unsorted",
)
ok(
    "ensemble-lists-normalised",
    ENS_SETUP
    + """\
x = zcfast.Ensemble([a, b], [[1.0, 2.0], np.array([0.5])])
assert isinstance(x.members, tuple) and x.references == ((1.0, 2.0), (0.5,))
assert hash(x) == hash(zcfast.Ensemble((a, b), ((1.0, 2.0), (0.5,))))
""",
)

# -- correlations and top-weighted measures --------------------------------------------------------

STATS = ["spearman", "kendall", "pearson", "weighted_tau", "top_spearman", "precision", "ndcg"]
for f in STATS:
    for id, args, expect, match in [
        ("nan", "[1, np.nan, 3, 4], [1, 2, 3, 4]", "InvalidValueError", "^a: expected finite"),
        ("inf-b", "[1, 2, 3, 4], [1, 2, np.inf, 4]", "InvalidValueError", "^b: expected finite"),
        ("lengths", "[1, 2, 3], [1, 2]", "ShapeError", "length"),
        ("empty", "[], []", "ShapeError", "expected"),
        ("one", "[1.0], [2.0]", "ShapeError", "expected"),
        ("constant", "[1, 1, 1, 1], [1, 2, 3, 4]", "InvalidValueError", "all equal"),
        ("2d", "[[1, 2], [3, 4]], [[1, 2], [3, 4]]", "ShapeError", "1-D"),
        ("scalar", "1.0, 2.0", "ShapeError", "1-D"),
        ("strings", "['a', 'b', 'c'], [1, 2, 3]", "ArgumentTypeError", "^a: expected numeric"),
        ("none", "None, [1, 2, 3]", "ArgumentTypeError", "^a: expected numeric"),
        ("complex", "np.array([1j, 2, 3]), [1, 2, 3]", "ArgumentTypeError", "complex"),
        ("ragged", "[[1], [2, 3]], [1, 2]", "ShapeError", "^a: expected"),
        (
            "masked",
            "np.ma.masked_array([1.0, 2, 3, 4], mask=[0, 1, 0, 0]), [1, 2, 3, 4]",
            "InvalidValueError",
            "finite",
        ),
    ]:
        err(f"stats-{f}-{id}", f"zcfast.{f}({args})", expect, match)
    ok(
        f"stats-{f}-scaled-1e300",
        f"""\
a = np.array([1.0, 2, 3, 4, 5, 6, 7, 8]); b = np.array([1.0, 3, 2, 5, 4, 8, 6, 7])
ref = zcfast.{f}(a, b)
for sa, sb in [(1e300, 1e-300), (1e-300, 1e300), (2e307, 1.0), (5e-324, 1.0), (-1.0, -1.0)]:
    got = zcfast.{f}(a * sa, b * sb)
    want = ref if sa > 0 or {f!r} in ('pearson', 'spearman', 'kendall') else got
    assert abs(got - want) < 1e-9, (sa, sb, got, ref)
""",
    )
    ok(
        f"stats-{f}-inputs-and-dtypes",
        f"""\
a = np.arange(10.0)[::-1] ** 2; b = np.arange(10.0); a0 = a.copy()
ref = zcfast.{f}(a, b)
for aa in [a.astype(np.float32), a.astype(np.int64), a.tolist(), pd.Series(a), pl.Series(a),
           np.asfortranarray(a), np.repeat(a, 2)[::2], [int(v) * 2**70 for v in a]]:
    assert abs(zcfast.{f}(aa, b) - ref) < 1e-6, aa
ro = a.copy(); ro.setflags(write=False)
assert zcfast.{f}(ro, b) == ref and (a == a0).all()
assert -1 - 1e-12 <= ref <= 1 + 1e-12
""",
    )
for f in ["top_spearman", "precision", "ndcg"]:
    for value, expect in [
        ("0", "InvalidValueError"),
        ("-1", "InvalidValueError"),
        ("1.5", "InvalidValueError"),
        ("float('nan')", "InvalidValueError"),
        ("float('inf')", "InvalidValueError"),
        ("10**400", "InvalidValueError"),
        ("'x'", "ArgumentTypeError"),
        ("None", "ArgumentTypeError"),
        ("True", "ArgumentTypeError"),
        ("[0.5]", "ArgumentTypeError"),
    ]:
        err(
            f"stats-{f}-fraction-{value}",
            f"zcfast.{f}([1, 2, 3, 4], [1, 3, 2, 4], {value})",
            expect,
            "^fraction: expected",
        )
    ok(
        f"stats-{f}-fraction-numpy",
        f"""\
v = zcfast.{f}([1, 2, 3, 4], [1, 3, 2, 4], np.float32(0.5))
assert v == zcfast.{f}([1, 2, 3, 4], [1, 3, 2, 4], 0.5)
""",
    )
ok(
    "stats-pearson-near-overflow",
    """\
v = zcfast.pearson([1.7e308, -1.7e308, 1e308, 0.0], [1.0, 2, 3, 4])
assert np.isfinite(v) and -1 <= v <= 1
v = zcfast.pearson([1e-308, 2e-308, 3e-308], [3e-308, 2e-308, 1e-308])
assert abs(v + 1) < 1e-12
""",
)

# -- pareto_front ---------------------------------------------------------------------------------

PF_SETUP = """\
df = pl.DataFrame({'arch': ['a', 'b', 'c', 'd'], 's': [3.0, 2, 1, 3], 'ms': [9.0, 1, 5, 9],
                   'name': list('wxyz')})
pf = zcfast.pareto_front
"""
for id, call, expect, match in [
    ("one-objective", "pf(df, maximize=['s'])", "InvalidValueError", "two objectives"),
    ("no-objectives", "pf(df)", "InvalidValueError", "two objectives"),
    ("string-objective", "pf(df, maximize='s', minimize=['ms'])", "ArgumentTypeError", "maximize"),
    (
        "none-objective",
        "pf(df, maximize=None, minimize=['ms', 's'])",
        "ArgumentTypeError",
        "maximize",
    ),
    ("unknown-column", "pf(df, maximize=['zz'], minimize=['ms'])", "UnknownNameError", "zz"),
    ("text-column", "pf(df, maximize=['name'], minimize=['ms'])", "ArgumentTypeError", "name"),
    (
        "pandas",
        "pf(df.to_pandas(), maximize=['s'], minimize=['ms'])",
        "ArgumentTypeError",
        "polars",
    ),
    (
        "numpy",
        "pf(np.ones((3, 3)), maximize=['s'], minimize=['ms'])",
        "ArgumentTypeError",
        "polars",
    ),
]:
    err(f"pareto-{id}", PF_SETUP + call, expect, match)
ok(
    "pareto-basic-no-mutation",
    PF_SETUP
    + """\
d0 = df.clone()
assert pf(df, maximize=['s'], minimize=['ms'])['arch'].to_list() == ['a', 'd', 'b']
assert df.equals(d0)
""",
)
ok(
    "pareto-int64-beyond-float",
    """\
t = pl.DataFrame({'a': [2**63 - 1, 2**63 - 2], 'b': [1, 2]})
assert sorted(zcfast.pareto_front(t, maximize=['a', 'b'])['b'].to_list()) == [1, 2]
""",
)
ok(
    "pareto-empty-null-nan",
    PF_SETUP
    + """\
assert pf(df.head(0), maximize=['s'], minimize=['ms']).height == 0
nulls = df.with_columns(pl.lit(None, dtype=pl.Float64).alias('s'))
assert pf(nulls, maximize=['s'], minimize=['ms']).height == 0
t = df.with_columns(pl.Series('s', [np.inf, -np.inf, 1.0, np.nan]))
assert pf(t, maximize=['s'], minimize=['ms'])['arch'].to_list() == ['a', 'c', 'b']
""",
)
ok(
    "pareto-20000-on-front-fast",
    """\
t = pl.DataFrame({'a': np.arange(20000.0), 'b': -np.arange(20000.0)})
assert zcfast.pareto_front(t, maximize=['a', 'b']).height == 20000
t3 = pl.DataFrame({'a': rng.random(3000), 'b': rng.random(3000), 'c': rng.random(3000)})
assert 0 < zcfast.pareto_front(t3, maximize=['a', 'b', 'c']).height < 3000
""",
    timeout=10,
)

# -- search in table mode -------------------------------------------------------------------------

SEARCH_SETUP = """\
df = zcfast.datasets.load_demo().head(40)
P = E.parse('nwot + synflow', ['nwot', 'synflow'])
S = zcfast.search
def boom(arch):
    raise RuntimeError('boom')
"""
for id, call, expect, match in [
    ("space-unknown", "S('nb999', P, table=df, budget=10)", "UnknownNameError", "nb999"),
    ("space-int", "S(5, P, table=df, budget=10)", "ArgumentTypeError", "space"),
    (
        "table-missing-column",
        "S('nb201', P, table=df.drop('nwot'), budget=10)",
        "UnknownNameError",
        "nwot",
    ),
    (
        "table-no-arch",
        "S('nb201', P, table=df.drop('arch'), budget=10)",
        "UnknownNameError",
        "arch_column",
    ),
    (
        "table-no-arch-callable",
        "S('nb201', lambda a: 1.0, table=df.drop('arch'), budget=10)",
        "UnknownNameError",
        "arch_column",
    ),
    (
        "table-numpy",
        "S('nb201', P, table=np.ones((3, 3)), budget=10)",
        "ArgumentTypeError",
        "table",
    ),
    ("table-string", "S('nb201', P, table='abc', budget=10)", "ArgumentTypeError", "table"),
    (
        "table-bad-arch",
        "S('nb201', P, table=df.with_columns(pl.lit('zzz').alias('arch')), budget=10)",
        "InvalidValueError",
        "zzz",
    ),
    (
        "table-duplicate-arch",
        "S('nb201', P, table=pl.concat([df, df]), budget=10)",
        "InvalidValueError",
        "one row per architecture",
    ),
    ("table-empty", "S('nb201', P, table=df.head(0), budget=10)", "ShapeError", "empty"),
    (
        "table-empty-callable",
        "S('nb201', lambda a: 1.0, table=df.head(0), budget=10)",
        "ShapeError",
        "empty",
    ),
    (
        "table-text-column",
        "S('nb201', P, table=df.with_columns(pl.lit('s').alias('nwot')), budget=10)",
        "ArgumentTypeError",
        "nwot",
    ),
    ("budget-0", "S('nb201', P, table=df, budget=0)", "ConfigError", "budget"),
    ("budget-negative", "S('nb201', P, table=df, budget=-1)", "ConfigError", "budget"),
    ("budget-string", "S('nb201', P, table=df, budget='x')", "ArgumentTypeError", "budget"),
    ("budget-float", "S('nb201', P, table=df, budget=1.5)", "ArgumentTypeError", "budget"),
    ("budget-bool", "S('nb201', P, table=df, budget=True)", "ArgumentTypeError", "budget"),
    ("budget-none", "S('nb201', P, table=df, budget=None)", "ArgumentTypeError", "budget"),
    ("proxy-unknown-name", "S('nb201', 'nope', table=df, budget=10)", "UnknownNameError", "nope"),
    ("proxy-empty-name", "S('nb201', '', table=df, budget=10)", "InvalidValueError", "empty"),
    ("proxy-int", "S('nb201', 5, table=df, budget=10)", "ArgumentTypeError", "proxy"),
    ("proxy-none", "S('nb201', None, table=df, budget=10)", "ArgumentTypeError", "proxy"),
    ("proxy-raising", "S('nb201', boom, table=df, budget=10)", "InvalidValueError", "boom"),
    (
        "proxy-returns-text",
        "S('nb201', lambda a: 'high', table=df, budget=10)",
        "ArgumentTypeError",
        "'high'",
    ),
    (
        "proxy-returns-none",
        "S('nb201', lambda a: None, table=df, budget=10)",
        "ArgumentTypeError",
        "None",
    ),
    (
        "proxy-returns-array",
        "S('nb201', lambda a: np.array([1.0, 2.0]), table=df, budget=10)",
        "ArgumentTypeError",
        "array",
    ),
    (
        "proxy-returns-complex",
        "S('nb201', lambda a: 1j, table=df, budget=10)",
        "ArgumentTypeError",
        "1j",
    ),
    (
        "top_k-0",
        "S('nb201', P, table=df, budget=5, top_k=0, evaluator='val_accuracy')",
        "ConfigError",
        "top_k",
    ),
    (
        "top_k-float",
        "S('nb201', P, table=df, budget=5, top_k=2.5, evaluator='val_accuracy')",
        "ArgumentTypeError",
        "top_k",
    ),
    (
        "top_k-without-evaluator",
        "S('nb201', P, table=df, budget=5, top_k=3)",
        "ConfigError",
        "top_k, evaluator",
    ),
    (
        "evaluator-raising",
        "S('nb201', P, table=df, budget=5, top_k=3, evaluator=boom)",
        "InvalidValueError",
        "boom",
    ),
    (
        "evaluator-returns-text",
        "S('nb201', P, table=df, budget=5, top_k=3, evaluator=lambda a: 'x')",
        "ArgumentTypeError",
        "evaluator",
    ),
    (
        "evaluator-unknown-column",
        "S('nb201', P, table=df, budget=5, top_k=3, evaluator='nope')",
        "UnknownNameError",
        "nope",
    ),
    (
        "evaluator-text-column",
        "S('nb201', P, table=df, budget=5, top_k=3, evaluator='net_str')",
        "ArgumentTypeError",
        "net_str",
    ),
    (
        "evaluator-int",
        "S('nb201', P, table=df, budget=5, top_k=3, evaluator=5)",
        "ArgumentTypeError",
        "evaluator",
    ),
    (
        "progress-text",
        "S('nb201', P, table=df, budget=5, progress='yes')",
        "ArgumentTypeError",
        "progress",
    ),
    (
        "progress-str",
        "S('nb201', P, table=df, budget=5, progress='yes')",
        "ArgumentTypeError",
        "progress",
    ),
    (
        "algorithm-unknown",
        "S('nb201', P, table=df, budget=5, algorithm='x')",
        "UnknownNameError",
        "algorithm",
    ),
    (
        "algorithm-list",
        "S('nb201', P, table=df, budget=5, algorithm=['random'])",
        "ArgumentTypeError",
        "algorithm",
    ),
    (
        "time_budget-nan",
        "S('nb201', P, table=df, budget=5, time_budget=float('nan'))",
        "ConfigError",
        "time_budget",
    ),
    (
        "time_budget-string",
        "S('nb201', P, table=df, budget=5, time_budget='5')",
        "ArgumentTypeError",
        "time_budget",
    ),
    (
        "time_budget-bool",
        "S('nb201', P, table=df, budget=5, time_budget=True)",
        "ArgumentTypeError",
        "time_budget",
    ),
    ("seed-string", "S('nb201', P, table=df, budget=5, seed='x')", "ArgumentTypeError", "seed"),
    ("seed-float", "S('nb201', P, table=df, budget=5, seed=1.5)", "ArgumentTypeError", "seed"),
    ("seed-negative", "S('nb201', P, table=df, budget=5, seed=-1)", "ConfigError", "seed"),
    ("seed-huge", "S('nb201', P, table=df, budget=5, seed=2**200)", "ConfigError", "2\\*\\*200"),
    (
        "population-0",
        "S('nb201', P, table=df, budget=5, population_size=0)",
        "ConfigError",
        "population_size",
    ),
    (
        "sample-string",
        "S('nb201', P, table=df, budget=5, sample_size='3')",
        "ArgumentTypeError",
        "sample_size",
    ),
    (
        "arch_column-unknown",
        "S('nb201', P, table=df, budget=5, arch_column='nope')",
        "UnknownNameError",
        "nope",
    ),
    (
        "arch_column-int",
        "S('nb201', P, table=df, budget=5, arch_column=5)",
        "ArgumentTypeError",
        "arch_column",
    ),
    ("both-modes", "S('nb201', P, table=df, inputs=np.ones(3), budget=5)", "ConfigError", "both"),
    ("no-mode", "S('nb201', P, budget=5)", "ConfigError", "neither"),
]:
    err(f"search-{id}", SEARCH_SETUP + call, expect, match)
ok(
    "search-bad-evaluator-is-an-error-before-any-scoring",
    SEARCH_SETUP
    + """\
calls = []
try:
    S('nb201', lambda a: calls.append(a) or 1.0, table=df, budget=5, top_k=3, evaluator='nope')
    raise AssertionError('no error')
except zcfast.exceptions.UnknownNameError as exc:
    assert 'nope' in str(exc) and 'expected' in str(exc)
assert calls == [], calls
""",
)
for id, call, check in [
    ("budget-2**70", "S('nb201', P, table=df, budget=2**70)", "r.evaluations == 40"),
    (
        "budget-2**70-random",
        "S('nb201', P, table=df, budget=2**70, algorithm='random')",
        "r.stop_reason == 'exhausted'",
    ),
    (
        "budget-2**70-local",
        "S('nb201', P, table=df, budget=2**70, algorithm='local')",
        "r.evaluations == 40",
    ),
    ("budget-numpy", "S('nb201', P, table=df, budget=np.int64(5))", "r.evaluations == 5"),
    ("proxy-name", "S('nb201', 'nwot', table=df, budget=40)", "r.best_score == df['nwot'].max()"),
    (
        "proxy-nan",
        "S('nb201', lambda a: float('nan'), table=df, budget=10)",
        "r.best_score == -np.inf",
    ),
    (
        "proxy-huge-int",
        "S('nb201', lambda a: 10**400, table=df, budget=10)",
        "r.best_score == -np.inf",
    ),
    (
        "proxy-numpy-scalar",
        "S('nb201', lambda a: np.float32(len(a)), table=df, budget=10)",
        "r.evaluations == 10",
    ),
    (
        "top_k-above-budget",
        "S('nb201', P, table=df, budget=5, top_k=20, evaluator='val_accuracy')",
        "r.top.height == 5",
    ),
    (
        "top_k-2**70",
        "S('nb201', P, table=df, budget=5, top_k=2**70, evaluator='val_accuracy')",
        "r.top.height == 5",
    ),
    (
        "top_k-numpy",
        "S('nb201', P, table=df, budget=5, top_k=np.int64(3), evaluator='val_accuracy')",
        "r.top.height == 3",
    ),
    (
        "evaluator-nan",
        "S('nb201', P, table=df, budget=5, top_k=3, evaluator=lambda a: float('nan'))",
        "r.top['evaluation'].null_count() == 3",
    ),
    (
        "time_budget-tiny",
        "S('nb201', P, table=df, budget=40, time_budget=1e-300)",
        "r.evaluations >= 1 and r.stop_reason == 'time_budget'",
    ),
    (
        "time_budget-inf",
        "S('nb201', P, table=df, budget=5, time_budget=float('inf'))",
        "r.evaluations == 5",
    ),
    (
        "population-2**70",
        "S('nb201', P, table=df, budget=5, population_size=2**70)",
        "r.evaluations == 5",
    ),
    (
        "sample-2**70",
        "S('nb201', P, table=df, budget=40, population_size=3, sample_size=2**70)",
        "r.evaluations == 40",
    ),
    ("seed-largest", "S('nb201', P, table=df, budget=5, seed=2**64 - 1)", "r.evaluations == 5"),
    (
        "table-pandas",
        "S('nb201', P, table=df.to_pandas(), budget=40)",
        "r.best == S('nb201', P, table=df, budget=40).best",
    ),
    (
        "table-lazy",
        "S('nb201', P, table=df.lazy(), budget=40)",
        "r.best == S('nb201', P, table=df, budget=40).best",
    ),
    (
        "table-nan-scores",
        "S('nb201', P, table=df.with_columns(pl.lit(float('nan')).alias('nwot')), budget=10)",
        "r.best_score == -np.inf",
    ),
    (
        "ensemble-proxy",
        "S('nb201', zcfast.Ensemble.from_members([P], df), table=df, budget=10)",
        "r.evaluations == 10",
    ),
    (
        "layerwise-proxy-flat-table",
        "S('nb201', E.parse('sum_layers(nwot)', ['nwot']), table=df, budget=40)",
        "r.best_score == df['nwot'].max()",
    ),
    ("callable-no-table", "S('nb201', lambda a: 1.0, budget=5)", "r.evaluations == 5"),
]:
    ok(
        f"search-{id}",
        SEARCH_SETUP
        + f"""\
r = {call}
assert {check}, r
""",
    )
ok(
    "search-no-mutation",
    SEARCH_SETUP
    + """\
d0 = df.clone()
S('nb201', zcfast.Ensemble.from_members([P], df), table=df, budget=10, top_k=3,
  evaluator='val_accuracy')
assert df.equals(d0)
""",
)

# -- ProxyEvolver ----------------------------------------------------------------------------------

EST_SETUP = """\
P = zcfast.ProxyEvolver
F = dict(population_size=20, generations=1, ensemble=1, random_state=0, n_jobs=1)
m = P(**F).fit(X, y)
"""
for id, call, expect, match in [
    (
        "population-negative",
        "P(**{**F, 'population_size': -1}).fit(X, y)",
        "ConfigError",
        "population_size",
    ),
    (
        "population-2**70",
        "P(**{**F, 'population_size': 2**70}).fit(X, y)",
        "ConfigError",
        "2\\*\\*70",
    ),
    ("fitness-unknown", "P(**{**F, 'fitness': 'r2'}).fit(X, y)", "UnknownNameError", "fitness"),
    ("missing-unknown", "P(**{**F, 'missing': 'x'}).fit(X, y)", "UnknownNameError", "missing"),
    (
        "random_state-string",
        "P(**{**F, 'random_state': 'x'}).fit(X, y)",
        "ArgumentTypeError",
        "seed",
    ),
    (
        "set_params-bad",
        "P(**F).set_params(population_size='x').fit(X, y)",
        "ArgumentTypeError",
        "population_size",
    ),
    ("predict-before-fit", "P(**F).predict(X)", "NotFittedError", "fitted"),
    ("score-before-fit", "P(**F).score(X, y)", "NotFittedError", "fitted"),
    ("predict-wrong-width", "m.predict(np.ones((3, 2)))", "ShapeError", "2 features"),
    ("predict-1d", "m.predict(np.ones(3))", "ShapeError", "2D"),
    ("predict-nan", "m.predict(np.array([[np.nan, 1, 1]]))", "InvalidValueError", "NaN"),
    ("predict-strings", "m.predict([['a', 'b', 'c']])", "InvalidValueError", "X"),
    ("fit-y-none", "P(**F).fit(X, None)", "InvalidValueError", "requires y"),
    ("fit-y-short", "P(**F).fit(X, y[:5])", "ShapeError", "inconsistent"),
    ("fit-y-constant", "P(**F).fit(X, np.ones(20))", "InvalidValueError", "all equal"),
    ("fit-two-rows", "P(**F).fit(X[:2], y[:2])", "ShapeError", "minimum of 3"),
    ("fit-nan", "P(**F).fit(np.where(X > 0.9, np.nan, X), y)", "InvalidValueError", "NaN"),
    ("fit-complex", "P(**F).fit(X.astype(complex), y)", "InvalidValueError", "Complex"),
    ("fit-3d", "P(**F).fit(X[None], y)", "ShapeError", "dim 3"),
    (
        "fit-object-dict",
        "P(**F).fit(np.array([[{'a': 1}, 1.0]] * 20, dtype=object), y)",
        "ArgumentTypeError",
        "X",
    ),
    (
        "fit-duplicate-columns",
        "P(**F).fit(pd.DataFrame(X, columns=['a', 'a', 'b']), y)",
        "InvalidValueError",
        "unique",
    ),
    (
        "predict-reordered-names",
        "P(**F).fit(pd.DataFrame(X, columns=list('abc')), y)"
        ".predict(pd.DataFrame(X, columns=list('cba')))",
        "ShapeError",
        "feature names",
    ),
    ("score-constant", "m.score(X, np.ones(20))", "InvalidValueError", "all equal"),
]:
    err(f"estimator-{id}", EST_SETUP + call, expect, match)
ok(
    "estimator-not-fitted-is-sklearns",
    EST_SETUP
    + """\
from sklearn.exceptions import NotFittedError
try:
    P(**F).predict(X)
except NotFittedError as exc:
    assert isinstance(exc, zcfast.exceptions.ZcfastError)
""",
)
ok(
    "estimator-fit-predict-no-mutation",
    EST_SETUP
    + """\
X0, y0 = X.copy(), y.copy()
s = P(**F).fit(X, y).predict(X)
assert s.shape == (20,) and (X == X0).all() and (y == y0).all()
""",
)
ok(
    "estimator-n_jobs-all-cores",
    EST_SETUP
    + """\
assert P(**{**F, 'n_jobs': -1}).fit(X, y).result_.settings.n_threads >= 1
""",
)
ok(
    "estimator-sentinel-accepts-nan",
    EST_SETUP
    + """\
Xn = np.where(X > 0.9, np.nan, X)
assert P(**{**F, 'missing': 'sentinel'}).fit(Xn, y).predict(Xn).shape == (20,)
""",
)
ok(
    "estimator-odd-names",
    EST_SETUP
    + """\
fit = P(**F).fit(pd.DataFrame(X, columns=['grad norm', '1x', 'c']), y)
e = fit.expression_
assert E.parse(str(e), e.feature_names) == e
""",
)

# -- LayerTable and evolve_layerwise ---------------------------------------------------------------

LAYER_SETUP = """\
L = zcfast.LayerTable
V = rng.random((30, 2)); off = np.arange(0, 31, 3)        # 10 architectures of 3 layers
acc = V.reshape(10, 3, 2)[:, :, 0].sum(axis=1) + 0.1 * rng.random(10)
long = L.from_arrays(V, off, names=['a', 'b']).to_frame()
EL = zcfast.evolve_layerwise
"""
for id, call, expect, match in [
    (
        "offsets-not-monotone",
        "L.from_arrays(V, [0, 5, 3, 30])",
        "InvalidValueError",
        "strictly increasing",
    ),
    (
        "offsets-repeated",
        "L.from_arrays(V, [0, 5, 5, 30])",
        "InvalidValueError",
        "strictly increasing",
    ),
    ("offsets-not-from-0", "L.from_arrays(V, [1, 5, 30])", "InvalidValueError", "start at 0"),
    ("offsets-wrong-end", "L.from_arrays(V, [0, 5, 29])", "ShapeError", "last offset"),
    ("offsets-beyond-rows", "L.from_arrays(V, [0, 5, 2**62])", "ShapeError", "last offset"),
    (
        "offsets-uint64-huge",
        "L.from_arrays(V, np.array([0, 1, 2**64 - 1], dtype=np.uint64))",
        "ShapeError",
        "last offset",
    ),
    ("offsets-negative", "L.from_arrays(V, [-1, 5, 30])", "InvalidValueError", "start at 0"),
    ("offsets-float", "L.from_arrays(V, [0.0, 5, 30])", "ArgumentTypeError", "integers"),
    ("offsets-bool", "L.from_arrays(V, [False, True])", "ArgumentTypeError", "integers"),
    ("offsets-string", "L.from_arrays(V, 'abc')", "ArgumentTypeError", "integers"),
    ("offsets-none", "L.from_arrays(V, None)", "ArgumentTypeError", "integers"),
    ("offsets-2d", "L.from_arrays(V, [[0, 30]])", "ArgumentTypeError", "1-D"),
    ("offsets-one", "L.from_arrays(V, [0])", "ShapeError", "n_archs \\+ 1"),
    ("offsets-2**70", "L.from_arrays(V, [0, 2**70])", "ArgumentTypeError", "integers"),
    ("values-1d", "L.from_arrays(np.ones(3), [0, 3])", "ShapeError", "2-D"),
    ("values-empty", "L.from_arrays(np.ones((0, 2)), [0])", "ShapeError", "values"),
    (
        "values-strings",
        "L.from_arrays(np.array([['a']] * 3), [0, 3])",
        "ArgumentTypeError",
        "numeric",
    ),
    ("names-wrong-length", "L.from_arrays(V, off, names=['a'])", "ShapeError", "2 names"),
    (
        "names-duplicates",
        "L.from_arrays(V, off, names=['a', 'a'])",
        "InvalidValueError",
        "duplicates",
    ),
    (
        "archs-wrong-length",
        "L.from_arrays(V, off, archs=[1, 2])",
        "ShapeError",
        "one key per architecture",
    ),
    ("archs-duplicates", "L.from_arrays(V, off, archs=[1] * 10)", "InvalidValueError", "1"),
    (
        "archs-unhashable",
        "L.from_arrays(V, off, archs=[[i] for i in range(10)])",
        "ArgumentTypeError",
        "hashable",
    ),
    (
        "built-by-hand-mismatch",
        "L(values=V, offsets=off, names=('a',), archs=())",
        "ShapeError",
        "names",
    ),
    (
        "built-by-hand-offsets",
        "L(values=V, offsets=np.array([0, 40]), names=('a', 'b'), archs=(0,))",
        "InvalidValueError",
        "offsets",
    ),
    (
        "built-by-hand-list",
        "L(values=V.tolist(), offsets=off, names=('a', 'b'), archs=range(10))",
        "ArgumentTypeError",
        "from_arrays",
    ),
    ("select-unknown", "L.from_arrays(V, off).select(['zz'])", "UnknownNameError", "zz"),
    ("select-string", "L.from_arrays(V, off).select('x0')", "ArgumentTypeError", "'x0'"),
    (
        "select-archs-wrong-length",
        "L.from_arrays(V, off).select_archs(np.array([True, False]))",
        "ShapeError",
        "boolean mask",
    ),
    (
        "select-archs-integers",
        "L.from_arrays(V, off).select_archs(np.arange(10))",
        "ShapeError",
        "boolean mask",
    ),
    (
        "frame-pandas-duplicates",
        "L.from_frame(pd.DataFrame([[1, 2.0, 3.0]], columns=['arch', 'a', 'a']))",
        "InvalidValueError",
        "unique",
    ),
    ("frame-empty", "L.from_frame(long.head(0))", "ShapeError", "empty"),
    ("frame-no-numeric", "L.from_frame(long.select('arch'))", "ShapeError", "numeric column"),
    ("frame-features-string", "L.from_frame(long, features='a')", "ArgumentTypeError", "features"),
    ("frame-features-unknown", "L.from_frame(long, features=['zz'])", "UnknownNameError", "zz"),
    (
        "frame-features-arch",
        "L.from_frame(long, features=['arch', 'a'])",
        "InvalidValueError",
        "arch_column",
    ),
    (
        "frame-features-duplicates",
        "L.from_frame(long, features=['a', 'a'])",
        "InvalidValueError",
        "duplicates",
    ),
    ("frame-features-empty", "L.from_frame(long, features=[])", "ShapeError", "features"),
    (
        "frame-text-feature",
        "L.from_frame(long.with_columns(pl.lit('s').alias('s')), features=['s'])",
        "ArgumentTypeError",
        "'s'",
    ),
    (
        "frame-arch-not-contiguous",
        "L.from_frame(pl.DataFrame({'arch': [1, 2, 1], 'a': [1.0, 2, 3]}))",
        "InvalidValueError",
        "contiguous",
    ),
    (
        "frame-arch-null",
        "L.from_frame(pl.DataFrame({'arch': [1, None, 1], 'a': [1.0, 2, 3]}))",
        "InvalidValueError",
        "null",
    ),
    (
        "frame-arch-list",
        "L.from_frame(pl.DataFrame({'arch': [[1], [2]], 'a': [1.0, 2.0]}))",
        "ArgumentTypeError",
        "arch",
    ),
    ("frame-arch-column-missing", "L.from_frame(long, arch_column='zz')", "UnknownNameError", "zz"),
    (
        "frame-arch-column-int",
        "L.from_frame(long, arch_column=5)",
        "ArgumentTypeError",
        "arch_column",
    ),
    (
        "frame-list-columns-unequal",
        "L.from_frame(pl.DataFrame({'arch': [1, 2],"
        " 'a': [[1.0, 2.0], [3.0]], 'b': [[1.0], [3.0]]}))",
        "ShapeError",
        "equal length",
    ),
    (
        "frame-list-column-empty",
        "L.from_frame(pl.DataFrame({'arch': [1, 2], 'a': [[1.0, 2.0], []]}))",
        "ShapeError",
        "architecture 2",
    ),
    (
        "frame-list-column-null",
        "L.from_frame(pl.DataFrame({'arch': [1, 2], 'a': [[1.0, 2.0], None]}))",
        "ShapeError",
        "architecture 2",
    ),
    ("frame-dict", "L.from_frame({'arch': [1], 'a': [1.0]})", "ArgumentTypeError", "dict"),
    ("frame-numpy", "L.from_frame(np.ones((3, 3)))", "ArgumentTypeError", "ndarray"),
    (
        "evolve-targets-mapping-incomplete",
        "EL(long, {0: 1.0}, **FAST)",
        "UnknownNameError",
        "9 of them",
    ),
    (
        "evolve-targets-mapping-text",
        "EL(long, {i: 'x' for i in range(10)}, **FAST)",
        "ArgumentTypeError",
        "'x'",
    ),
    (
        "evolve-targets-mapping-nan",
        "EL(long, {i: float('nan') for i in range(10)}, **FAST)",
        "InvalidValueError",
        "finite",
    ),
    ("evolve-targets-short", "EL(long, acc[:5], **FAST)", "ShapeError", "\\(10\\)"),
    ("evolve-targets-constant", "EL(long, np.ones(10), **FAST)", "InvalidValueError", "all equal"),
    ("evolve-empty-list", "EL([], [], **FAST)", "ArgumentTypeError", "layers"),
    (
        "evolve-tables-columns-differ",
        "EL([long, long.rename({'a': 'c'})], [acc, acc], **FAST)",
        "ShapeError",
        "layers\\[1\\]",
    ),
    ("evolve-targets-count", "EL([long, long], [acc], **FAST)", "ShapeError", "2 target"),
    (
        "evolve-nan",
        "EL((np.where(V > 0.9, np.nan, V), off), acc, **FAST)",
        "InvalidValueError",
        "missing=",
    ),
    (
        "evolve-drop_rows-is-flat",
        "EL((V, off), acc, missing='drop_rows', **FAST)",
        "UnknownNameError",
        "drop_archs",
    ),
    (
        "evolve-drop_archs-all",
        "EL((np.where(V > 0.1, np.nan, V), off), acc, missing='drop_archs', **FAST)",
        "ShapeError",
        "at least 3",
    ),
    (
        "evolve-constant",
        "EL((np.ones((30, 2)), off), acc, **FAST)",
        "InvalidValueError",
        "constant",
    ),
    ("evolve-two-archs", "EL((V, [0, 10, 30]), [1.0, 2.0], **FAST)", "ShapeError", "at least 3"),
    ("evolve-three-tuple", "EL((V, off, off), acc, **FAST)", "ArgumentTypeError", "layers"),
    ("evolve-array", "EL(V, acc, **FAST)", "ArgumentTypeError", "layers"),
    ("evolve-features-unknown", "EL(long, acc, features=['zz'], **FAST)", "UnknownNameError", "zz"),
    (
        "evolve-bad-setting",
        "EL(long, acc, **{**FAST, 'reducers': ['median_layers']})",
        "UnknownNameError",
        "reducers",
    ),
    (
        "evaluate-flat-array",
        "E.parse('sum_layers(a * b)', ['a', 'b']).evaluate(V)",
        "ArgumentTypeError",
        "layers",
    ),
    (
        "evaluate-wrong-width",
        "E.parse('sum_layers(a * b)', ['a', 'b']).evaluate((np.ones((3, 3)), np.array([0, 1, 3])))",
        "ShapeError",
        "2 columns",
    ),
    (
        "evaluate-missing-column",
        "E.parse('sum_layers(a * c)', ['a', 'c']).evaluate(long)",
        "UnknownNameError",
        "'c'",
    ),
    (
        "pickle-tampered",
        """\
class Tampered:
    def __reduce__(self):
        return (zcfast.LayerTable, (V, np.array([0, 5, 3, 30]), ('a', 'b'), (0, 1, 2)))
pickle.loads(pickle.dumps(Tampered()))""",
        "InvalidValueError",
        "offsets",
    ),
]:
    err(f"layers-{id}", LAYER_SETUP + call, expect, match)
for id, call, check in [
    ("arrays", "EL((V, off), acc, **FAST)", "r.best.is_layerwise"),
    ("long-table", "EL(long, acc, **FAST)", "set(r.best.features) <= {'a', 'b'}"),
    ("pandas", "EL(long.to_pandas(), acc, **FAST)", "r.best.is_layerwise"),
    ("lazy", "EL(long.lazy(), acc, **FAST)", "r.best.is_layerwise"),
    (
        "mapping-extra-keys",
        "EL(long, {**dict(enumerate(acc.tolist())), 99: 1.0}, **FAST)",
        "r.data['n_archs'] == [10]",
    ),
    ("bool-values", "EL((V > 0.5, off), acc, **FAST)", "r.best.is_layerwise"),
    (
        "drop_archs",
        "EL((np.where(V > 0.95, np.nan, V), off), acc, missing='drop_archs', **FAST)",
        "r.data['n_archs'][0] < 10",
    ),
    (
        "sentinel",
        "EL((np.where(V > 0.95, np.nan, V), off), acc, missing='sentinel', **FAST)",
        "r.data['n_archs'] == [10]",
    ),
    ("two-tasks", "EL([long, long], [acc, acc[::-1]], **FAST)", "len(r.task_fitness) == 2"),
    (
        "list-columns",
        "EL(pl.DataFrame({'arch': list(range(10)), 'a': V[:, 0].reshape(10, 3)"
        ".tolist(), 'b': V[:, 1].reshape(10, 3).tolist()}), acc, **FAST)",
        "r.data['n_units'] == [30]",
    ),
    (
        "float-arch-keys",
        "EL(long.with_columns(pl.col('arch').cast(pl.Float64)), acc, **FAST)",
        "r.best.is_layerwise",
    ),
    (
        "validation",
        "EL(long, acc, validation_fraction=0.3, **FAST)",
        "len(r.validation_rows[0]) == 3",
    ),
    ("ensemble", "EL(long, acc, **{**FAST, 'ensemble': 3})", "len(r.members) == 3"),
]:
    ok(
        f"layers-{id}",
        LAYER_SETUP
        + f"""\
r = {call}
assert {check}
s = r.best.evaluate((V, off))
assert s.shape == (10,)
""",
    )
ok(
    "layers-evaluate-matches-mapping",
    LAYER_SETUP
    + """\
e = E.parse('sum_layers(a) / mean_layers(b)', ['a', 'b'])
np.testing.assert_allclose(e.evaluate(long), e.evaluate((V, off)))
np.testing.assert_allclose(e.evaluate(long.select('b', 'arch', 'a')), e.evaluate((V, off)))
""",
)
ok(
    "layers-select-archs-none",
    LAYER_SETUP
    + """\
t = L.from_arrays(V, off).select_archs(np.zeros(10, dtype=bool))
assert t.n_archs == 0 and t.n_layers == 0
""",
)
ok(
    "layers-pickle-round-trip",
    LAYER_SETUP
    + """\
t = L.from_arrays(V, off, names=['a', 'b'], archs=list('abcdefghij'))
u = pickle.loads(pickle.dumps(t))
assert u.names == t.names and u.archs == t.archs and (u.values == t.values).all()
""",
)
ok(
    "layers-no-mutation",
    LAYER_SETUP
    + """\
V0, off0, acc0, l0 = V.copy(), off.copy(), acc.copy(), long.clone()
mapping = dict(enumerate(acc.tolist())); m0 = dict(mapping)
EL((V, off), acc, **FAST); EL(long, mapping, **FAST, missing='sentinel')
L.from_arrays(V, off).select_archs(np.ones(10, dtype=bool))
assert (V == V0).all() and (off == off0).all() and (acc == acc0).all()
assert long.equals(l0) and mapping == m0
""",
)


# -- the table, run in the worker -----------------------------------------------------------------


def test_cases_are_many_and_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert len(CASES) >= 280


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_hostile_core(case: Case, hostile_worker: Worker) -> None:
    hostile_worker.check(case)


# -- properties (hypothesis) -----------------------------------------------------------------------

FORMULA_NAMES = ["a", "b", "grad norm", "log", "ａ"]
_PIECES = [
    "a",
    "b",
    "`grad norm`",
    "`log`",
    "`ａ`",
    "ａ",
    "log",
    "sqrt",
    "max",
    "sum_layers",
    "(",
    ")",
    ",",
    "+",
    "-",
    "*",
    "/",
    "^2",
    "**",
    "2",
    "0.5",
    "1e308",
    "1e-320",
    "-1",
    " ",
    "`",
    "1x",
    "\u0301",
    "\x00",
    "é",
    "99999999999999999999",
]


@given(st.lists(st.sampled_from(_PIECES), max_size=25) | st.text(max_size=40))
def test_random_formula_text_parses_and_prints_back_or_is_a_clear_error(
    pieces: list[str] | str,
) -> None:
    formula = pieces if isinstance(pieces, str) else "".join(pieces)
    try:
        e = Expression.parse(formula, FORMULA_NAMES)
    except ZcfastError as exc:
        assert "expected" in str(exc)
        return
    back = Expression.parse(str(e), FORMULA_NAMES)
    assert back == e, (formula, str(e), back.tokens, e.tokens)


_UNARY = ["neg", "abs", "log", "sqrt", "square"]
_BINARY = ["add", "sub", "mul", "div", "min", "max"]
_LEAF = st.sampled_from(["x0", "x1", "x2"]) | st.floats(allow_nan=False, allow_infinity=False).map(
    lambda c: f"c{c!r}"
)


def _trees() -> st.SearchStrategy[list[str]]:
    return st.recursive(
        _LEAF.map(lambda t: [t]),
        lambda sub: (
            st.tuples(sub, st.sampled_from(_UNARY)).map(lambda p: [*p[0], p[1]])
            | st.tuples(sub, sub, st.sampled_from(_BINARY)).map(lambda p: [*p[0], *p[1], p[2]])
        ),
        max_leaves=12,
    )


@given(_trees())
def test_any_program_prints_to_text_that_parses_back_to_it(tokens: list[str]) -> None:
    names = ["a", "1x", "sum_layers"]
    e = Expression(tuple(tokens), tuple(names))
    back = Expression.parse(str(e), names)
    assert back == e, (str(e), back.tokens, e.tokens)
    X = np.array([[0.5, 2.0, -3.0], [4.0, -1e-12, 7.0]])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(back.evaluate(X), e.evaluate(X))


_FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [1e300, -1e300, 1e-300, 5e-324, 1.7e308, 0.0, -0.0]
)
_STATS = [
    zcfast.spearman,
    zcfast.kendall,
    zcfast.pearson,
    zcfast.weighted_tau,
    zcfast.top_spearman,
    zcfast.precision,
    zcfast.ndcg,
]


@given(
    st.lists(_FLOATS, max_size=12),
    st.lists(_FLOATS, max_size=12),
    st.sampled_from(range(len(_STATS))),
)
def test_measures_on_random_floats_are_in_range_or_a_clear_error(
    a: list[float], b: list[float], which: int
) -> None:
    f = _STATS[which]
    a0, b0 = np.array(a), np.array(b)
    try:
        value = f(a0, b0)
    except ZcfastError as exc:
        assert "expected" in str(exc)
        finite = np.isfinite(a0).all() and np.isfinite(b0).all()
        assert not (
            finite
            and len(a) == len(b)
            and len(a) >= 2
            and len(set(a)) > 1
            and len(set(b)) > 1
            and f in _STATS[:4]
        ), (a, b, exc)
        return
    assert math.isfinite(value) and -1 - 1e-9 <= value <= 1 + 1e-9, (a, b, value)
    np.testing.assert_array_equal(a0, np.array(a))  # inputs untouched


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=30).filter(lambda v: len(set(v)) > 1),
    st.sampled_from([1e-300, 1e-150, 1.0, 1e150, 1e300]),
)
def test_rank_measures_ignore_scale(values: list[float], scale: float) -> None:
    a = np.array(values)
    b = np.arange(len(values), dtype=float)
    for f in (zcfast.spearman, zcfast.kendall, zcfast.weighted_tau):
        scaled = a * scale
        if len(set(scaled)) != len(set(a)):  # underflow merged values: a different input
            continue
        assert abs(f(scaled, b) - f(a, b)) < 1e-12


_SETTING_VALUES = (
    st.integers(-(2**70), 2**70)
    | st.sampled_from([0, 1, 2, 3, 7, 31, 2**63, 10**400, -1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | st.text(max_size=5)
    | st.sampled_from(["spearman", "min", "add", "sum_layers", "mean"])
    | st.lists(st.sampled_from(["add", "neg", "log", "sum_layers", "x"]), max_size=3)
    | st.tuples(st.integers(-2, 40), st.integers(-2, 40))
    | st.tuples(st.floats(), st.floats())
)


_PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "population_size": st.integers(8, 40),
    "generations": st.integers(1, 3),
    "tournament_size": st.integers(1, 8),
    "max_size": st.integers(1, 100),
    "max_depth": st.integers(0, 20),
    "init_depth": st.tuples(st.integers(0, 3), st.integers(0, 4)),
    "elitism": st.integers(0, 3),
    "ensemble": st.integers(1, 3),
    "n_threads": st.none() | st.integers(1, 4),
    "seed": st.integers(0, 2**64 - 1),
    "crossover": st.floats(0, 0.7),
    "parsimony": st.floats(0, 0.1),
    "top_fraction": st.floats(0.01, 1),
    "validation_fraction": st.none() | st.floats(0.15, 0.6),
    "time_limit": st.none() | st.floats(0.001, 1),
    "target_fitness": st.none() | st.floats(-1, 1),
    "constants": st.none() | st.tuples(st.floats(-10, 0), st.floats(0.5, 10)),
    "functions": st.lists(st.sampled_from(sorted(zcfast.FUNCTIONS)), min_size=1, max_size=5),
    "reducers": st.lists(st.sampled_from(sorted(zcfast.REDUCERS)), min_size=1, max_size=3),
    "fitness": st.sampled_from(
        ["spearman", "kendall", "pearson", "weighted_tau", "top_spearman", "precision", "ndcg"]
    ),
    "aggregate": st.sampled_from(["mean", "min"]),
    "baselines": st.booleans(),
}


def _settings_changes(max_size: int, hostile: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Some settings, each a plausible value (often valid) or, with ``hostile``, possibly a
    hostile one."""
    names = st.lists(st.sampled_from(zcfast.Settings.names()), unique=True, max_size=max_size)

    def value(k: str) -> st.SearchStrategy[Any]:
        plausible = _PLAUSIBLE.get(k, st.floats(0, 0.1))
        return plausible | _SETTING_VALUES if hostile else plausible

    return names.flatmap(lambda keys: st.fixed_dictionaries({k: value(k) for k in keys}))


@given(_settings_changes(5, hostile=True))
def test_random_settings_are_valid_or_a_clear_error(changes: dict[str, Any]) -> None:
    try:
        s = zcfast.Settings(**changes)
    except ZcfastError as exc:
        assert "expected" in str(exc) and any(name in str(exc) for name in s_names(changes))
        return
    assert zcfast.Settings.from_dict(s.to_dict()) == s


def s_names(changes: dict[str, Any]) -> list[str]:
    # a cross-check may name a setting that was not changed (tournament_size against a smaller
    # population_size, say), but always one that takes part in it
    return [*changes, "tournament_size", "elitism", "init_depth", "population_size", "crossover"]


@given(changes=_settings_changes(8, hostile=False))
def test_random_settings_run_or_are_a_clear_error(
    changes: dict[str, Any], hostile_worker: Worker
) -> None:
    # in the worker: an evolution with hostile settings must not take the session down
    code = (
        SETUP
        + """\
try:
    s = zcfast.Settings(**params['changes'])
    s = s.replace(population_size=min(s.population_size, 20), generations=min(s.generations, 2),
                  ensemble=min(s.ensemble, 2), max_size=min(s.max_size, 200),
                  n_threads=1, time_limit=None)
except zcfast.exceptions.ZcfastError as exc:
    assert 'expected' in str(exc)
else:
    try:
        r = ev(X, y, s)
    except zcfast.exceptions.ZcfastError as exc:
        assert 'expected' in str(exc)
    else:
        assert r.best is not None and r.history.height >= 1
"""
    )
    hostile_worker.check(Case("random-settings", code, params={"changes": changes}))
