"""Flat ``evolve`` gives the formulas it gave before the evaluate → reduce → rank redesign.

The expected results in ``tests/data/flat_regression.json`` were recorded with the engine as it
was before layer-wise evolution existed (``ZCFAST_RECORD_REGRESSION=1 pytest
tests/test_flat_regression.py`` rewrites them; do that only for a deliberate change to the
search, and say why in the commit). Each case covers a different path: fitness measures,
constants, validation rows, several tasks, extra functions and both thread counts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zcfast

RECORD = Path(__file__).parent / "data" / "flat_regression.json"


def _demo() -> tuple[np.ndarray, np.ndarray, list[str]]:
    X, y = zcfast.datasets.features_and_targets(zcfast.datasets.load_demo())
    return X.to_numpy(), y.to_numpy(), X.columns


def _synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.abs(rng.normal(size=(n, 6))) + 0.05
    y = np.log(X[:, 0] * X[:, 1]) / X[:, 2] + rng.normal(scale=0.1, size=n)
    return X, y


# One GP run each (ensemble=1), at the engine's settings of the time of recording: the test
# pins the engine, not the defaults of evolve (which became a bagged ensemble later).
ENGINE = {"ensemble": 1}
SMALL: dict[str, Any] = {"population_size": 500, "generations": 20, **ENGINE}
RECORDED_DEFAULTS: dict[str, Any] = {"population_size": 4000, "generations": 100, **ENGINE}
CASES: dict[str, dict[str, Any]] = {
    "demo-default-1-thread": {"seed": 0, "n_threads": 1, **RECORDED_DEFAULTS},
    "demo-default-2-threads": {"seed": 1, "n_threads": 2, **RECORDED_DEFAULTS},
    "demo-kendall": {"seed": 2, "fitness": "kendall", **SMALL},
    "demo-pearson": {"seed": 3, "fitness": "pearson", **SMALL},
    "demo-constants": {"seed": 4, "constants": (-2.0, 2.0), **SMALL},
    "demo-validation": {"seed": 5, "validation_fraction": 0.3, **SMALL},
    "demo-all-functions": {
        "seed": 6,
        "functions": list(zcfast.FUNCTIONS),
        "parsimony": 0.01,
        "max_size": 15,
        "init_depth": (1, 3),
        **SMALL,
    },
    "demo-operators": {
        "seed": 7,
        "crossover": 0.5,
        "subtree_mutation": 0.2,
        "hoist_mutation": 0.1,
        "point_mutation": 0.15,
        "point_replace": 0.3,
        "tournament_size": 3,
        "elitism": 5,
        "init_depth": (2, 4),  # (2, 5) was recorded first; its full trees cannot fit max_size
        "max_depth": 8,
        **SMALL,
    },
    "synthetic-multi-mean": {"seed": 8, "aggregate": "mean", "multi": True, **SMALL},
    "synthetic-multi-min": {"seed": 9, "aggregate": "min", "multi": True, **SMALL},
}


def _run(case: dict[str, Any]) -> dict[str, Any]:
    settings = dict(case)
    if settings.pop("multi", False):
        (X1, y1), (X2, y2) = _synthetic(90, 1), _synthetic(70, 2)
        result = zcfast.evolve([X1, X2], [y1, y2], **settings)
    else:
        X, y, names = _demo()
        result = zcfast.evolve(X[:100], y[:100], feature_names=names, **settings)
    return {
        "best": list(result.best.tokens),
        "best_fitness": result.best.fitness,
        "validation_fitness": result.best.validation_fitness,
        "front": [list(e.tokens) for e in result.front],
        "best_by_generation": result.history["best_fitness"].to_list(),
    }


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    if os.environ.get("ZCFAST_RECORD_REGRESSION"):
        lines = [f"{json.dumps(k)}: {json.dumps(_run(c))}" for k, c in CASES.items()]
        RECORD.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    return json.loads(RECORD.read_text())


@pytest.mark.parametrize("name", list(CASES))
def test_flat_evolve_is_unchanged(recorded: dict[str, Any], name: str) -> None:
    assert _run(CASES[name]) == recorded[name]
