"""Live search on the one scoring path: the same scores as score_archs, the same search on any
executor, a resumable score cache (a killed search reruns without re-scoring), ask/tell
batches, known architectures, and live search in every space."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
import zcfast  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.exceptions import ConfigError  # noqa: E402
from zcfast.spaces import get_space  # noqa: E402

from .scale_spaces import CountingSpace  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_torch_thread")

FORMULA = "nwot + log(params) * synflow"
SEED = 2


@pytest.fixture(scope="module")
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    return metrics.example_batch(8, 16, source="noise", seed=SEED)


@pytest.fixture(scope="module")
def proxy() -> zcfast.Expression:
    return zcfast.Expression.parse(FORMULA, list(metrics.PROXIES))


def _search(batch: Any, proxy: Any, **kw: Any) -> zcfast.SearchResult:
    x, y = batch
    args: dict[str, Any] = dict(inputs=x, labels=y, budget=12, seed=SEED, progress=False)
    return zcfast.search(kw.pop("space", "nb201"), proxy, **{**args, **kw})


@pytest.fixture(scope="module")
def reference(batch: Any, proxy: Any) -> zcfast.SearchResult:
    return _search(batch, proxy)


def test_live_scores_equal_score_archs(batch: Any, proxy: Any, reference: Any) -> None:
    x, y = batch
    archs = reference.history["arch"].to_list()
    table = metrics.score_archs(
        "nb201", archs, inputs=x, labels=y, proxies=list(proxy.features), seed=SEED,
        progress=False,
    )  # fmt: skip
    expected = proxy.evaluate(table.select(proxy.features))
    assert reference.history["score"].to_list() == pytest.approx(expected.tolist(), rel=0, abs=0)
    assert reference.scored == 12 and reference.seconds_per_arch > 0


def test_a_process_executor_gives_the_same_search(batch: Any, proxy: Any, reference: Any) -> None:
    other = _search(batch, proxy, executor="processes", workers=2)
    assert other.history["arch"].to_list() == reference.history["arch"].to_list()
    assert other.history["score"].to_list() == reference.history["score"].to_list()
    assert other.best == reference.best


def test_a_search_is_the_same_for_its_batch_size(batch: Any, proxy: Any, reference: Any) -> None:
    assert reference.settings["batch_size"] == 8
    one = _search(batch, proxy, batch_size=1, population_size=4, sample_size=2)
    again = _search(batch, proxy, batch_size=1, population_size=4, sample_size=2)
    assert one.evaluations == 12 and one.history["arch"].n_unique() == 12
    assert again.history.drop("elapsed").equals(one.history.drop("elapsed"))
    three = _search(batch, proxy, batch_size=3, population_size=4, sample_size=2)
    assert three.history["arch"].to_list()[:4] == one.history["arch"].to_list()[:4]


def test_the_cache_serves_a_rerun_and_another_search(
    tmp_path: Path, batch: Any, proxy: Any, reference: Any
) -> None:
    cache = tmp_path / "cache"
    first = _search(batch, proxy, out=cache)
    assert first.history.drop("elapsed").equals(reference.history.drop("elapsed"))
    space = CountingSpace()
    rerun = _search(batch, proxy, space=space, out=cache)
    assert space.built == [] and rerun.scored == 0
    assert rerun.history.drop("elapsed").equals(first.history.drop("elapsed"))
    # a search reading a subset of the proxies reads the same store
    subset = zcfast.Expression.parse("nwot", list(metrics.PROXIES))
    space = CountingSpace()
    other = _search(batch, subset, space=space, out=cache, budget=16)
    assert set(space.built).isdisjoint(first.history["arch"].to_list())
    assert (
        other.scored
        == len(space.built)
        == 16 - len(set(other.history["arch"].to_list()) & set(first.history["arch"].to_list()))
    )
    assert len(list(cache.iterdir())) == 1


_KILLED_RUN = textwrap.dedent(
    """
    import sys
    import torch
    import zcfast
    from zcfast import metrics
    torch.set_num_threads(1)
    x, y = metrics.example_batch(8, 16, source="noise", seed={seed})
    proxy = zcfast.Expression.parse({formula!r}, list(metrics.PROXIES))
    zcfast.search("nb201", proxy, inputs=x, labels=y, budget=40, seed={seed}, batch_size=2,
                  progress=False, out=sys.argv[1])
    """
)


def test_a_killed_search_resumes_without_rescoring(tmp_path: Path, batch: Any, proxy: Any) -> None:
    cache = tmp_path / "cache"
    script = _KILLED_RUN.format(seed=SEED, formula=FORMULA)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.Popen([sys.executable, "-c", script, str(cache)], env=env)
    try:
        deadline = time.monotonic() + 240
        while len(list(cache.glob("*/proxies/part-*.parquet"))) < 3:
            assert run.poll() is None, "the search ended before it could be killed"
            assert time.monotonic() < deadline, "no parts written within 240 s"
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
    finally:
        run.wait()
    scored = set(metrics.read_scores(next(cache.iterdir())).collect()["arch"].to_list())
    assert 3 <= len(scored) < 40
    space = CountingSpace()
    resumed = _search(batch, proxy, space=space, out=cache, budget=40, batch_size=2)
    assert set(space.built).isdisjoint(scored), "a finished architecture was scored again"
    assert len(space.built) == 40 - len(scored)
    whole = _search(batch, proxy, budget=40, batch_size=2)
    assert resumed.history.drop("elapsed").equals(whole.history.drop("elapsed"))


def test_known_architectures_join_the_multi_fidelity_stage() -> None:
    df = zcfast.datasets.load_demo()
    acc = dict(zip(df["arch"].to_list(), df["val_accuracy"].to_list()))
    labelled = dict(list(acc.items())[:100])
    calls: list[str] = []

    def evaluator(a: str) -> float:
        calls.append(a)
        return acc[a]

    r = zcfast.search(
        "nb201", "fisher", table=df, budget=100, seed=0, top_k=5, evaluator=evaluator,
        known=labelled,
    )  # fmt: skip
    best_known = max(labelled, key=labelled.get)  # type: ignore[arg-type]
    assert acc[r.best] >= labelled[best_known]
    assert r.winner in ("proxy", "known") and (r.winner == "known") == (r.best not in calls)
    assert not set(calls) & set(labelled), "a known architecture was evaluated again"
    with pytest.raises(ConfigError, match=r"^known"):
        zcfast.search("nb201", "fisher", table=df, budget=10, known=labelled)


@pytest.mark.parametrize("space", ["nb101", "nb301"])
def test_live_search_in_the_new_spaces(space: str) -> None:
    sp = get_space(space)
    x, y = sp.task().with_input_size(8).example_batch(4, seed=0)
    proxy = zcfast.Expression.parse("synflow + nwot", list(metrics.PROXIES))
    kw: dict[str, Any] = dict(inputs=x, labels=y, budget=4, seed=1, batch_size=2, progress=False)
    r = zcfast.search(space, proxy, **kw)
    again = zcfast.search(space, proxy, **kw)
    assert r.evaluations == 4 and np.isfinite(r.best_score)
    assert r.history.drop("elapsed").equals(again.history.drop("elapsed"))
    assert all(sp.key(a) == a for a in r.history["arch"].to_list())


def test_an_ensemble_evolved_on_other_values_warns(batch: Any) -> None:
    """Issue 14, finding 10: a proxy applied to live values unlike its training values (the
    README's old example) scored every candidate low in silence."""
    nwot = zcfast.Expression.parse("nwot", list(metrics.PROXIES))
    elsewhere = zcfast.Ensemble((nwot,), ((1e12, 2e12),))  # trained where nwot was huge
    with pytest.warns(zcfast.exceptions.ProxyRangeWarning, match="outside the range"):
        _search(batch, elsewhere, budget=8)
    alike = zcfast.Ensemble((nwot,), ((-1e12, 1e12),))
    _search(batch, alike, budget=8)  # filterwarnings = error: any warning fails here
