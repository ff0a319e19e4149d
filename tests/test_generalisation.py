"""What evolve returns never loses to the best single proxy, and its estimate can be trusted.

Runs ``scripts/generalisation_experiment.py``'s tasks (the NAS-Bench-Suite-Zero tasks, 12
robustness targets of all NB201 cells, 20 and 50 training cells, noisy targets, a target one
proxy dominates) with default settings, 20 splits each, and checks on every task: what evolve
returns is at least as good on the held-out architectures as the best single proxy chosen on
the same training rows on at least 95 % of the splits, its median is never lower, and the
out-of-bag estimate it reports is on average (over all splits) within 0.05 of the held-out
figure. (The estimate comes from 100 training architectures, so on a task where ρ is near 0.5
a single split's estimate is off by about 0.1 through sampling alone; per task the test only
bounds the mean signed error, at 0.1.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "generalisation_experiment.py"
SPLITS = 20


def _experiment():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generalisation_experiment", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generalisation_experiment"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> list[dict]:
    experiment = _experiment()
    out = [  # evolve and the best single proxy; no learned predictors (the script's option)
        experiment.run_split(t, s, {}, learned=())
        for t in experiment.tasks()
        for s in range(SPLITS)
    ]
    print("\n" + experiment.summarise(out))
    return out


def _tasks(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["task"] for r in rows))


def test_never_loses_to_the_best_single_proxy(rows: list[dict]) -> None:
    assert len(_tasks(rows)) >= 4 + 10 + 4
    for task in _tasks(rows):
        rs = [r for r in rows if r["task"] == task]
        evolved = np.array([r["evolved"]["spearman"] for r in rs])
        single = np.array([r["single"]["spearman"] for r in rs])
        assert (evolved >= single - 1e-12).mean() >= 0.95, task
        assert np.median(evolved) >= np.median(single), task


def test_the_reported_estimate_tracks_held_out_quality(rows: list[dict]) -> None:
    errors = np.array([r["estimate"] - r["evolved"]["spearman"] for r in rows])
    print(
        f"\nestimate - held-out: mean {errors.mean():+.3f},"
        f" mean absolute {np.abs(errors).mean():.3f}"
    )
    assert np.abs(errors).mean() <= 0.05
    assert abs(errors.mean()) <= 0.05
    for task in _tasks(rows):
        bias = np.mean(
            [r["estimate"] - r["evolved"]["spearman"] for r in rows if r["task"] == task]
        )
        assert abs(bias) <= 0.1, (task, bias)
