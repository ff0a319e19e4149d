"""Evolved proxies on the real NAS-Bench-Suite-Zero data, with default settings.

Training uses 100 random architectures of a task; quality is measured on the rest (held out).
"""

from __future__ import annotations

import numpy as np
import pytest
import zcfast

pytestmark = pytest.mark.slow

SEEDS = range(5)
# CIFAR-10's 0.90 bar is checked on 20 random splits: on 100 training architectures the
# held-out figure moves by several hundredths from one split to the next, and the median of
# 20 splits is a far steadier estimate than that of 5. Each block of 5 is printed too.
C10_SEEDS = range(20)
TRAIN = 100
#: Medians of the same splits with the defaults before model selection (one GP run of
#: 4,000 x 100, issue 9's "today"): the defaults must not lose more than 0.005 on them.
PREVIOUS_MEDIANS = {
    "nb201-cifar10": 0.907,
    "nb201-cifar100": 0.911,
    "nb201-ImageNet16-120": 0.863,
    "nb101-cifar10": 0.865,
}


def held_out_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return order[:TRAIN], order[TRAIN:]


def best_single_proxy(X: np.ndarray, y: np.ndarray, names: list[str]) -> tuple[str, float]:
    scores = {
        name: zcfast.spearman(X[:, j], y) for j, name in enumerate(names) if np.ptp(X[:, j]) > 0
    }
    name = max(scores, key=lambda k: abs(scores[k]))
    return name, abs(scores[name])


@pytest.fixture(scope="module")
def runs(suite_zero_tasks: dict) -> dict[str, list[tuple[float, float, str]]]:
    """Per task and seed: (held-out Spearman of the evolved proxy, of the best single proxy,
    formula), all with default settings."""
    out: dict[str, list[tuple[float, float, str]]] = {}
    for task, (X, y, names) in suite_zero_tasks.items():
        out[task] = []
        for seed in C10_SEEDS if task == "nb201-cifar10" else SEEDS:
            train, test = held_out_split(len(y), seed)
            result = zcfast.evolve(X[train], y[train], feature_names=names, seed=seed)
            rho = zcfast.spearman(result.best.evaluate(X[test]), y[test])
            _, single = best_single_proxy(X[test], y[test], names)
            out[task].append((rho, single, str(result.best)))
    return out


def test_nb201_cifar10_median_held_out_spearman_at_least_0_90(runs: dict) -> None:
    rhos = [r for r, _, _ in runs["nb201-cifar10"]]
    blocks = [float(np.median(rhos[i : i + 5])) for i in range(0, len(rhos), 5)]
    print(
        f"\nNB201 CIFAR-10 held-out Spearman over {len(rhos)} splits: median"
        f" {np.median(rhos):.3f}, min {min(rhos):.3f}; medians of blocks of 5 seeds:"
        f" {', '.join(f'{b:.3f}' for b in blocks)}"
    )
    assert np.median(rhos) >= 0.90


@pytest.mark.parametrize(
    "task", ["nb201-cifar10", "nb201-cifar100", "nb201-ImageNet16-120", "nb101-cifar10"]
)
def test_evolved_proxy_beats_best_single_proxy_on_held_out(runs: dict, task: str) -> None:
    rows = runs[task]
    evolved = [r for r, _, _ in rows]
    single = [s for _, s, _ in rows]
    print(
        f"\n{task}: evolved median {np.median(evolved):.3f} (min {min(evolved):.3f}),"
        f" best single proxy median {np.median(single):.3f}; e.g. {rows[0][2]}"
    )
    assert np.median(evolved) > np.median(single)
    assert np.median(evolved) >= PREVIOUS_MEDIANS[task] - 0.005
    # Per seed as well: the evolved proxy wins on at least 4 of 5 held-out splits.
    assert sum(e > s for e, s in zip(evolved, single)) >= len(rows) - 1
