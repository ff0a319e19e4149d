"""TransNAS-Bench-101 through metrics, scoring and search, task by task: every proxy finite or
documented undefined for 30 random architectures per space and task, a finite layer table with
decoder layers and their part, labels of the wrong kind refused, a small live search per task
that repeats itself, and flops reported at the benchmark's input size."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import zcfast  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.exceptions import InvalidValueError, ShapeError, UnknownNameError  # noqa: E402
from zcfast.spaces import get_space  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_torch_thread")

SPACES = ("tnb101_micro", "tnb101_macro")
TASKS = get_space("tnb101_micro").tasks
#: Scoring sizes: every macro skeleton needs 64 (four downsampling stages); jigsaw tiles 16.
SIZE = {"tnb101_micro": 32, "tnb101_macro": 64}
N_ARCHS, BATCH = 30, 4


def _setup(space_name: str, task_name: str) -> tuple[Any, Any, Any, Any]:
    space = get_space(space_name)
    task = space.task(task_name)
    size = 16 if task_name == "jigsaw" else SIZE[space_name]
    scored = task.with_input_size(size)
    x, y = scored.example_batch(BATCH, seed=0)
    return space, task, x, y


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("space_name", SPACES)
def test_every_proxy_and_layer_is_finite_or_undefined(space_name: str, task_name: str) -> None:
    space, task, x, y = _setup(space_name, task_name)
    archs = space.sample(N_ARCHS, seed=1)
    proxies, layers = metrics.score_archs_and_layers(
        space, archs, inputs=x, labels=y, task=task_name, progress=False
    )
    assert proxies["error"].null_count() == N_ARCHS, proxies["error"].drop_nulls().to_list()[:3]
    expected = metrics.proxies_for(task)
    assert list(proxies.columns[1:-1]) == list(expected)
    if task.labels != "class":
        assert "epe_nas" not in expected  # documented: it groups by class index
    values = proxies.drop("arch", "error").to_numpy()
    assert np.isfinite(values).all()
    # the sentinel marks a value that is undefined for that network (NaN/inf, as in the
    # reference): only a micro cell whose output ignores its input may have one
    from zcfast.spaces.tnb101 import is_connected

    has_sentinel = (values == metrics.SENTINEL).any(axis=1)
    for arch, flagged in zip(proxies["arch"].to_list(), has_sentinel):
        assert not flagged or (space_name == "tnb101_micro" and not is_connected(arch)), arch
    numeric = layers.drop("arch", "layer", "kind", "part", "error").to_numpy().astype(float)
    assert np.isfinite(numeric).all()
    parts = set(layers["part"].to_list())
    assert "encoder" in parts and parts <= {"encoder", "decoder", "head"}
    if task.output in ("dense_logits", "dense", "image"):
        decoder = layers.filter(pl.col("part") == "decoder")
        assert "conv_transpose2d" in decoder["kind"].to_list() or decoder.height > 0
    # flops at the benchmark's input size, although scored at a smaller one
    counted = space.analytic_counts(archs[0], task)[1] / 1e6
    assert proxies["flops"][0] == pytest.approx(counted, rel=0, abs=1e-6)


@pytest.mark.parametrize("task_name", TASKS)
def test_a_small_live_search_per_task_repeats_itself(task_name: str) -> None:
    space, _, x, y = _setup("tnb101_micro", task_name)
    proxy = zcfast.Expression.parse("synflow + log(params)", list(metrics.PROXIES))
    kw: dict[str, Any] = dict(inputs=x, labels=y, task=task_name, budget=4, seed=3)
    a = zcfast.search(space, proxy, batch_size=2, progress=False, **kw)
    b = zcfast.search(space, proxy, batch_size=2, progress=False, **kw)
    assert a.evaluations == 4 and np.isfinite(a.best_score)
    assert a.history.drop("elapsed").equals(b.history.drop("elapsed"))


def test_labels_of_the_wrong_kind_for_the_task() -> None:
    space, _, x, _ = _setup("tnb101_micro", "segmentsemantic")
    archs = space.sample(1, seed=0)
    with pytest.raises(ShapeError, match=r"^labels: expected a class index per pixel"):
        metrics.score_archs(space, archs, inputs=x, labels=torch.arange(BATCH),
                            task="segmentsemantic", progress=False)  # fmt: skip
    with pytest.raises(ShapeError, match=r"^labels: .*\(4, 32, 32\)"):
        metrics.score_archs(space, archs, inputs=x, labels=torch.zeros(BATCH, 8, 8).long(),
                            task="segmentsemantic", progress=False)  # fmt: skip
    _, _, xr, _ = _setup("tnb101_micro", "room_layout")
    with pytest.raises(ShapeError, match=r"^labels: expected target values"):
        metrics.score_archs(space, archs, inputs=xr, labels=torch.arange(BATCH),
                            task="room_layout", progress=False)  # fmt: skip
    with pytest.raises(UnknownNameError, match=r"^task: expected one of class_scene"):
        metrics.score_archs(space, archs, inputs=x, labels=torch.arange(BATCH),
                            task="depth", progress=False)  # fmt: skip
    with pytest.raises(InvalidValueError, match=r"^arch: expected a TransNAS-Bench-101"):
        get_space("tnb101_macro").parse("(5, 1, 1, 1, 0, 0)")


def test_the_cli_scores_a_task(tmp_path: Any) -> None:
    from zcfast.cli import main

    out = tmp_path / "seg"
    assert main(["score-archs", "--space", "tnb101_micro", "--task", "segmentsemantic",
                 "--sample", "2", "--input-size", "32", "--batch-size", "4", "--data",
                 "noise", "--proxies", "synflow,params,flops", "--out", str(out),
                 "--no-progress"]) == 0  # fmt: skip
    rows = metrics.read_scores(out).collect()
    assert rows.height == 2 and rows["error"].null_count() == 2
