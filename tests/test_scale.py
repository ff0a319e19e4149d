"""Scoring on local worker processes and on a local Ray cluster: the same rows as in-process,
and a worker killed mid-run costs no row.

The Ray tests start a 2-CPU cluster in this process (``ray.init(num_cpus=2)``) and shut it down
after the module; they are skipped, with a message, only where Ray is not installed
(``pip install 'zcfast[ray]'``).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

from .scale_spaces import (  # noqa: E402
    PoisonSpace,
    VictimSpace,
    kill_stalled_worker,
    noise_settings,
)

pytestmark = pytest.mark.usefixtures("single_torch_thread")

needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="Ray is not installed (pip install 'zcfast[ray]'); the Ray executor is not tested",
)

#: Cheap proxies whose values do not depend on the number of torch threads (workers use one).
PROXIES = ["synflow", "params", "nwot"]
ARCHS = nb201.sample(10, seed=1)


@pytest.fixture(scope="module")
def settings() -> dict[str, Any]:
    return noise_settings(PROXIES)


@pytest.fixture(scope="module")
def reference(settings: dict[str, Any]) -> Any:
    return metrics.score_archs("nb201", ARCHS, **settings)


@pytest.fixture(scope="module")
def ray_cluster() -> Any:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


def _score_while_killing(
    folder: Path, settings: dict[str, Any], **executor: Any
) -> tuple[Any, int]:
    """Scores ARCHS on ``executor`` while the test kills the worker building ARCHS[4]."""
    space = VictimSpace(nb201.to_tuple_str(ARCHS[4]), folder)
    result: dict[str, Any] = {}

    def score() -> None:
        result["df"] = metrics.score_archs(space, ARCHS, chunk_size=2, **executor, **settings)

    thread = threading.Thread(target=score)
    thread.start()
    try:
        killed = kill_stalled_worker(folder)
    finally:
        (folder / "killed").touch()  # never leave the victim stalled
        thread.join(timeout=300)
    assert not thread.is_alive()
    return result["df"], killed


def test_processes_equal_inline(settings: dict[str, Any], reference: Any) -> None:
    df = metrics.score_archs(
        "nb201", ARCHS, executor="processes", workers=2, chunk_size=3, **settings
    )
    assert_frame_equal(df, reference, check_exact=True)


def test_processes_worker_killed_costs_no_row(
    tmp_path: Path, settings: dict[str, Any], reference: Any
) -> None:
    df, _ = _score_while_killing(tmp_path, settings, executor="processes", workers=2)
    assert_frame_equal(df, reference, check_exact=True)
    assert df["error"].null_count() == df.height


def test_an_architecture_that_kills_every_worker_gets_an_error_row(
    settings: dict[str, Any], reference: Any
) -> None:
    """Its chunk is sent out MAX_ATTEMPTS times, then split; the poison alone fails again and
    gets an error row; every other architecture is scored."""
    poison = nb201.to_tuple_str(ARCHS[2])
    space = PoisonSpace(poison)
    df = metrics.score_archs(
        space, ARCHS[:4], executor="processes", workers=1, chunk_size=2, **settings
    )
    assert df["arch"].to_list() == reference["arch"].head(4).to_list()
    assert "died 3 times" in df.filter(pl.col("arch") == poison)["error"].item()
    ok = df.filter(pl.col("arch") != poison)
    expected = reference.head(4).filter(pl.col("arch") != poison)
    assert_frame_equal(ok, expected, check_exact=True)


@needs_ray
def test_ray_equals_inline(ray_cluster: Any, settings: dict[str, Any], reference: Any) -> None:
    df = metrics.score_archs("nb201", ARCHS, executor="ray", chunk_size=3, **settings)
    assert_frame_equal(df, reference, check_exact=True)
    assert ray_cluster.is_initialized()  # a connection the caller opened stays open


@needs_ray
def test_ray_worker_killed_costs_no_row(
    ray_cluster: Any, tmp_path: Path, settings: dict[str, Any], reference: Any
) -> None:
    df, _ = _score_while_killing(tmp_path, settings, executor="ray")
    assert_frame_equal(df, reference, check_exact=True)
    assert df["error"].null_count() == df.height


@needs_ray
def test_ray_address_from_another_driver(ray_cluster: Any, tmp_path: Path) -> None:
    """A second process connects to the cluster by its address (the CLI's --executor)."""
    address = ray_cluster.get_runtime_context().gcs_address
    out = tmp_path / "scores"
    archs = ARCHS[:4]
    cmd = [sys.executable, "-m", "zcfast", "score-archs", "--archs", str(tmp_path / "a.txt")]
    (tmp_path / "a.txt").write_text("\n".join(nb201.to_tuple_str(a) for a in archs))
    cmd += ["--proxies", ",".join(PROXIES), "--batch-size", "8", "--input-size", "16"]
    cmd += ["--data", "noise", "--out", str(out), "--executor", address, "--no-progress"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    x, y = metrics.example_batch(8, 16, source="noise", seed=0)
    expected = metrics.score_archs(
        "nb201", archs, inputs=x, labels=y, num_classes=10, proxies=PROXIES, progress=False
    )
    assert_frame_equal(metrics.read_scores(out).collect(), expected, check_exact=True)
