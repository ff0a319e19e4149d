"""Benchmarks run only when asked for: ``pytest benches/python --benchmark-only``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
NB201_JSON = DATA / "naslib" / "zc_nasbench201.json"


@pytest.fixture(scope="session")
def nb201_cifar10() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from zcfast import datasets

    if not NB201_JSON.exists():
        pytest.skip(f"reference data not present at {DATA}")
    X, y = datasets.features_and_targets(datasets.load_suite_zero(NB201_JSON, "cifar10"))
    return datasets.replace_missing(X.to_numpy()), y.to_numpy(), X.columns
