"""Nothing lost: a scoring run stopped by Ctrl-C (SIGINT) or killed (SIGKILL) leaves every
finished row in its ``out=`` directory, and a rerun scores only the missing architectures.

The interrupted run is the real CLI in a subprocess; the reference is the same scoring done
in this process without interruption.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import polars as pl  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

from .scale_spaces import CountingSpace, noise_settings  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_torch_thread")

PROXIES = ["synflow", "params", "nwot"]
N_ARCHS, SEED, BATCH, SIZE = 60, 3, 8, 16


@pytest.fixture(scope="module")
def settings() -> dict[str, Any]:
    return noise_settings(PROXIES, seed=SEED, batch=BATCH, size=SIZE)


@pytest.fixture(scope="module")
def reference(settings: dict[str, Any]) -> pl.DataFrame:
    return metrics.score_archs("nb201", nb201.sample(N_ARCHS, seed=SEED), **settings)


def _start_cli(out: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "zcfast", "score-archs", "--sample", str(N_ARCHS)]
    cmd += ["--seed", str(SEED), "--proxies", ",".join(PROXIES), "--batch-size", str(BATCH)]
    cmd += ["--input-size", str(SIZE), "--data", "noise", "--chunk-size", "1"]
    cmd += ["--out", str(out), "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _parts(out: Path) -> int:
    folder = out / "proxies"
    return len(list(folder.glob("part-*.parquet"))) if folder.is_dir() else 0


def _wait_for_parts(out: Path, n: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while _parts(out) < n:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the scoring run wrote no rows in time"
        time.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_interrupted_run_keeps_finished_rows_and_resumes(
    tmp_path: Path, signum: int, settings: dict[str, Any], reference: pl.DataFrame
) -> None:
    out = tmp_path / "scores"
    process = _start_cli(out)
    _wait_for_parts(out, 3, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == (130 if signum == signal.SIGINT else -signal.SIGKILL), stderr

    kept = metrics.read_scores(out).collect()
    assert 3 <= kept.height < N_ARCHS
    assert_frame_equal(kept, reference.head(kept.height), check_exact=True)
    assert not [f for f in (out / "proxies").iterdir() if not f.name.startswith("part-")]

    space = CountingSpace()
    resumed = metrics.score_archs(space, nb201.sample(N_ARCHS, seed=SEED), out=out, **settings)
    assert len(space.built) == N_ARCHS - kept.height
    assert set(space.built).isdisjoint(kept["arch"].to_list())
    assert_frame_equal(resumed.collect(), reference, check_exact=True)


def test_rerun_of_a_finished_directory_computes_nothing(
    tmp_path: Path, settings: dict[str, Any], reference: pl.DataFrame
) -> None:
    archs = nb201.sample(N_ARCHS, seed=SEED)[:6]
    metrics.score_archs("nb201", archs, out=tmp_path / "s", **settings)
    space = CountingSpace()
    again = metrics.score_archs(space, archs + archs[:2], out=tmp_path / "s", **settings)
    assert space.built == []
    assert_frame_equal(again.collect(), reference.head(6), check_exact=True)


def test_duplicates_in_the_request_are_scored_once(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    archs = nb201.sample(4, seed=0)
    df = metrics.score_archs("nb201", archs + archs[::-1], out=tmp_path / "s", **settings)
    assert df.collect()["arch"].to_list() == [nb201.to_tuple_str(a) for a in archs]


def test_layer_tables_stream_and_resume(tmp_path: Path, settings: dict[str, Any]) -> None:
    kw = {k: v for k, v in settings.items() if k != "proxies"}
    archs = nb201.sample(5, seed=2)
    proxies, layers = metrics.score_archs_and_layers("nb201", archs, proxies=PROXIES, **kw)
    metrics.score_archs_and_layers("nb201", archs[:2], out=tmp_path / "b", proxies=PROXIES, **kw)
    got_p, got_l = metrics.score_archs_and_layers(
        "nb201", archs, out=tmp_path / "b", proxies=PROXIES, **kw
    )
    assert_frame_equal(got_p.collect(), proxies, check_exact=True)
    assert_frame_equal(got_l.collect(), layers, check_exact=True)
    assert_frame_equal(metrics.read_scores(tmp_path / "b", "layers").collect(), layers)
    only = metrics.layer_primitives_many("nb201", archs, out=tmp_path / "l", **kw)
    assert_frame_equal(only.collect(), layers, check_exact=True)
