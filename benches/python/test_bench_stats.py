"""zcfast's correlation kernels against scipy's, in the same groups.

pytest benches/python/test_bench_stats.py --benchmark-only --benchmark-json=stats.json
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import zcfast

SIZES = [1_000, 15_625]
IMPLEMENTATIONS = {
    "spearman": {"zcfast": zcfast.spearman, "scipy": lambda a, b: scipy.stats.spearmanr(a, b)[0]},
    "kendall": {"zcfast": zcfast.kendall, "scipy": lambda a, b: scipy.stats.kendalltau(a, b)[0]},
}


def data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    a = rng.normal(size=n)
    return a, np.round(a + rng.normal(size=n), 2)  # rounding gives ties, as accuracies have


@pytest.mark.parametrize("library", ["zcfast", "scipy"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", ["spearman", "kendall"])
def test_correlation(benchmark, kind: str, n: int, library: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"{kind}-{n}"
    a, b = data(n)
    f = IMPLEMENTATIONS[kind][library]
    value = benchmark(f, a, b)
    assert value == pytest.approx(IMPLEMENTATIONS[kind]["scipy"](a, b), abs=1e-9)
