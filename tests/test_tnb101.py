"""TransNAS-Bench-101 micro and macro: encodings, moves, enumeration, the seven tasks, real
forwards on small inputs, and NASLib's exact params/FLOPs on a fixed subset of the reference
rows (``scripts/check_tnb101_counts.py`` checks every row)."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, ShapeError, UnknownNameError
from zcfast.spaces import SearchSpace, check_space, get_space, tnb101
from zcfast.spaces.tnb101 import TNB101MacroSpace, TNB101MicroSpace

SPACES = ("micro", "macro")
TASK_NAMES = (
    "class_scene",
    "class_object",
    "autoencoder",
    "normal",
    "jigsaw",
    "room_layout",
    "segmentsemantic",
)
#: Rows per space and task whose built networks are counted (fixed random subset; the
#: analytic counts are checked on every row).
ROWS_PER_TASK = 4


def _space(name: str) -> TNB101MicroSpace | TNB101MacroSpace:
    space = get_space(f"tnb101_{name}")
    assert isinstance(space, (TNB101MicroSpace, TNB101MacroSpace))
    return space


def _hamming(a: Any, b: Any) -> int:
    return sum(x != y for x, y in zip(a, b))


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> dict[str, list[dict[str, str]]]:
    out = {}
    for name in SPACES:
        with open(data_dir / "spaces" / f"tnb101_{name}_params_flops.csv", newline="") as fh:
            out[name] = list(csv.DictReader(fh))
    return out


# ------------------------------------------------------------------------------ the spaces


@pytest.mark.parametrize("name", SPACES)
def test_space_has_every_capability(name: str) -> None:
    space = _space(name)
    assert isinstance(space, SearchSpace)
    check_space(space.name, "encoding", "moves", "enumeration", "builder")
    assert space.name == f"tnb101_{name}"
    assert get_space(f"TransNAS-Bench-101-{name}") is space
    assert space.flops_convention == "tensorwatch-once"


@pytest.mark.parametrize("name", SPACES)
def test_tasks_are_the_seven_of_the_data(name: str, rows: dict[str, list[dict[str, str]]]) -> None:
    space = _space(name)
    assert space.tasks == TASK_NAMES
    assert set(space.tasks) == {r["task"] for r in rows[name]}
    assert space.task().name == "class_scene"
    for t in space.tasks:
        assert space.task(t).name == t


@pytest.mark.parametrize("name", SPACES)
def test_unknown_task_is_an_error_naming_task(name: str) -> None:
    space = _space(name)
    with pytest.raises(UnknownNameError, match=r"^task: expected one of class_scene"):
        space.task("cifar10")
    with pytest.raises(UnknownNameError, match=r"^task"):
        space.build((1, 1, 1, 4, 0, 0) if name == "macro" else (3,) * 6, "inpainting")


def test_task_specs() -> None:
    t = tnb101.TASKS
    assert (t["class_scene"].num_outputs, t["class_object"].num_outputs) == (63, 100)
    for name in ("class_scene", "class_object"):
        assert (t[name].labels, t[name].loss) == ("distribution", "soft_cross_entropy")
    assert t["jigsaw"].input_shape == (9, 3, 64, 64)
    assert (t["jigsaw"].num_outputs, t["jigsaw"].loss) == (1000, "cross_entropy")
    assert (t["room_layout"].output, t["room_layout"].num_outputs, t["room_layout"].loss) == (
        "vector",
        9,
        "mse",
    )
    seg = t["segmentsemantic"]
    assert (seg.output, seg.num_outputs, seg.loss) == ("dense_logits", 17, "cross_entropy")
    assert (t["autoencoder"].output, t["autoencoder"].loss) == ("image", "l1")
    assert (t["normal"].output, t["normal"].num_outputs, t["normal"].loss) == ("dense", 3, "l1")
    for name in TASK_NAMES:
        if name != "jigsaw":
            assert t[name].input_shape == (3, 256, 256)
        assert t[name].feature_module


# ------------------------------------------------------------------------------- encodings


def test_encodings_round_trip() -> None:
    import numpy as np

    micro, macro = _space("micro"), _space("macro")
    for arch in ((1, 0, 0, 2, 1, 3), [1, 0, 0, 2, 1, 3], "(1, 0, 0, 2, 1, 3)", "[1,0,0,2,1,3]"):
        assert micro.parse(arch) == (1, 0, 0, 2, 1, 3)
    assert micro.parse(np.array([1, 0, 0, 2, 1, 3])) == (1, 0, 0, 2, 1, 3)
    assert micro.parse("64-41414-1_00_213") == (1, 0, 0, 2, 1, 3)
    assert micro.to_str((1, 0, 0, 2, 1, 3)) == "64-41414-1_00_213"
    assert macro.parse("64-1242-basic") == (1, 2, 4, 2, 0, 0)
    assert macro.parse((np.int64(4), 1, 3, 2, 1, 1)) == (4, 1, 3, 2, 1, 1)
    assert macro.to_str("(1, 2, 4, 2, 0, 0)") == "64-1242-basic"
    for space in (micro, macro):
        for arch in space.enumerate():
            assert space.parse(space.key(arch)) == arch
            assert space.parse(space.to_str(arch)) == arch
            assert space.parse(list(arch)) == arch


@pytest.mark.parametrize("name", SPACES)
def test_every_data_key_parses_to_itself(name: str, rows: dict[str, list[dict[str, str]]]) -> None:
    space = _space(name)
    keys = {r["arch"] for r in rows[name]}
    assert len(keys) == {"micro": 711, "macro": 725}[name]
    assert {space.key(k) for k in keys} == keys
    assert keys <= {space.key(a) for a in space.enumerate()}


def test_micro_ops_and_edges() -> None:
    assert tnb101.MICRO_OPS == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
    assert tnb101.MICRO_EDGES == ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
    assert not tnb101.is_connected((0, 0, 3, 0, 3, 3))
    assert tnb101.is_connected((0, 3, 0, 0, 0, 2))
    assert sum(map(tnb101.is_connected, _space("micro").enumerate())) < 4096


@pytest.mark.parametrize(
    "bad",
    [
        (1, 0, 0, 2, 1, 4),
        (1, 0, 0, 2, 1),
        (1, 0, 0, 2, 1, 3, 0),
        (1, 0, 0, 2, 1, -1),
        (1, 0, 0, 2, 1, 2.0),
        (1, 0, 0, 2, 1, True),
        "(1, 0, 0, 2, 1)",
        "64-41414-1_00_214",
        "64-41414-1_00",
        "64-1242-basic",
        "hello",
    ],
)
def test_bad_micro_cells_raise_naming_arch(bad: object) -> None:
    with pytest.raises(InvalidValueError, match=r"^arch: expected a TransNAS-Bench-101 micro"):
        _space("micro").parse(bad)


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ((1, 2, 4, 5, 0, 0), "stage codes in 0..4"),
        ((1, 2, 0, 4, 0, 0), "only after the last stage"),
        ((1, 2, 4, 0, 0, 0), "4 to 6 stages, got 3"),
        ((1, 1, 1, 1, 0, 0), "1 to 4 downsampling stages"),
        ((3, 3, 3, 3, 4, 0), "1 to 4 downsampling stages"),
        ((3, 1, 1, 1, 0, 0), "1 to 3 channel-doubling stages"),
        ((2, 2, 2, 4, 0, 0), "1 to 3 channel-doubling stages"),
        ((1, 2, 4, 2, 0), "6 ints, got 5"),
        ((1, 2, 4, 2, 0, 0.0), "integer entries"),
        ("64-124-basic", "4 to 6 stage codes"),
        ("64-1250-basic", "stage codes in 0..4"),
        ("64-41414-1_00_213", "official string"),
        ("(1, 2, 4, 2)", "6-tuple string"),
    ],
)
def test_bad_macro_codes_raise_naming_arch(bad: object, why: str) -> None:
    with pytest.raises(InvalidValueError, match=r"^arch: expected a TransNAS-Bench-101 macro") as e:
        _space("macro").parse(bad)
    assert why in str(e.value)
    if isinstance(bad, tuple):
        assert str(e.value).endswith(f"found {bad}")


@pytest.mark.parametrize("name", SPACES)
def test_wrong_types_raise_naming_arch(name: str) -> None:
    space = _space(name)
    for bad in (3.5, 17, None, {1: 2}):
        with pytest.raises(ArgumentTypeError, match=r"^arch: expected"):
            space.parse(bad)


# ----------------------------------------------------------------------- enumeration, moves


def test_enumeration() -> None:
    micro, macro = _space("micro"), _space("macro")
    cells = list(micro.enumerate())
    assert len(cells) == micro.size == 4096 == len(set(cells))
    assert cells == sorted(cells)
    skeletons = list(macro.enumerate())
    assert len(skeletons) == macro.size == 3256 == len(set(skeletons))
    assert skeletons == sorted(skeletons)
    for arch in skeletons:
        assert macro.parse(arch) == arch
        stages = [c for c in arch if c]
        assert 4 <= len(stages) <= 6 and arch[len(stages) :] == (0,) * (6 - len(stages))


@pytest.mark.parametrize("name", SPACES)
def test_random_mutate_and_neighbours(name: str) -> None:
    space = _space(name)
    a = [space.random(random.Random(3)) for _ in range(2)]
    assert a[0] == a[1] and space.parse(a[0]) == a[0]
    draws = {space.random(rng) for rng in [random.Random(0)] for _ in range(300)}
    assert len(draws) > 200
    rng = random.Random(1)
    for arch in space.sample(60, seed=5):
        nbrs = space.neighbours(arch)
        assert nbrs == space.neighbours(space.key(arch))
        assert len(nbrs) == len(set(nbrs)) > 0
        assert all(space.parse(n) == n and _hamming(n, arch) == 1 for n in nbrs)
        child = space.mutate(arch, rng)
        assert child in nbrs and space.key(child) != space.key(arch)
        assert space.mutate(arch, random.Random(9)) == space.mutate(arch, random.Random(9))
    with pytest.raises(ArgumentTypeError, match=r"^rng"):
        space.random(0)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"^rng"):
        space.mutate(next(space.enumerate()), None)  # type: ignore[arg-type]
    sample = space.sample(25, seed=2)
    assert len({space.key(s) for s in sample}) == 25 and sample == space.sample(25, seed=2)


def test_micro_neighbours_are_the_18_single_edge_changes() -> None:
    assert _space("micro").neighbours((0, 1, 2, 3, 0, 1))[:4] == [
        (1, 1, 2, 3, 0, 1),
        (2, 1, 2, 3, 0, 1),
        (3, 1, 2, 3, 0, 1),
        (0, 0, 2, 3, 0, 1),
    ]


def test_macro_neighbours_are_every_valid_single_change() -> None:
    macro = _space("macro")
    everything = list(macro.enumerate())
    for arch in everything[::31]:
        want = [b for b in everything if _hamming(arch, b) == 1]
        got = macro.neighbours(arch)
        assert sorted(got) == want
        assert got == sorted(got, key=lambda b: next(i for i in range(6) if b[i] != arch[i]))
    assert all(macro.neighbours(arch) for arch in everything)
    # appending and removing a stage are moves
    assert (1, 2, 4, 2, 1, 0) in macro.neighbours((1, 2, 4, 2, 0, 0))
    assert (1, 2, 4, 2, 0, 0) in macro.neighbours((1, 2, 4, 2, 1, 0))


# ------------------------------------------------------------------------- params and FLOPs


@pytest.mark.parametrize("name", SPACES)
def test_analytic_counts_match_naslib_on_every_row(
    name: str, rows: dict[str, list[dict[str, str]]]
) -> None:
    """The per-module formulas give NASLib's stored params and FLOPs on all 9,926 rows."""
    space = _space(name)
    for row in rows[name]:
        params, flops = space.analytic_counts(row["arch"], row["task"])
        assert (round(params / 1e6, 6), round(flops / 1e6, 6)) == (
            float(row["params"]),
            float(row["flops"]),
        ), row
    assert len(rows[name]) == {"micro": 4977, "macro": 4949}[name]


def _subset(space_rows: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    """``ROWS_PER_TASK`` rows of each task drawn with a fixed seed, plus (macro) one row per
    task and number of downsampling stages (every decoder depth and head input size)."""
    by_task: dict[str, list[dict[str, str]]] = {}
    for r in space_rows:
        by_task.setdefault(r["task"], []).append(r)
    rng = random.Random(2024)
    chosen = []
    for task_rows in by_task.values():
        chosen += rng.sample(task_rows, ROWS_PER_TASK)
    if name == "macro":
        patterns: dict[tuple[str, int], dict[str, str]] = {}
        for r in space_rows:
            codes = [int(c) for c in r["arch"].strip("()").split(",")]
            down = sum(c in (3, 4) for c in codes)
            double = sum(c in (2, 4) for c in codes)
            if double == 1 + down % 3:  # widths 256, 512, 128, 256 for 1..4 downsamplings
                patterns.setdefault((r["task"], down), r)
        assert len(patterns) == 7 * 4
        chosen += patterns.values()
    return chosen


@pytest.mark.parametrize("name", SPACES)
def test_built_networks_count_what_naslib_stores(
    name: str, rows: dict[str, list[dict[str, str]]], single_torch_thread: None
) -> None:
    """``count_params`` and ``count_flops`` of meta-device networks (a shape-only forward)
    on a fixed subset of the rows (the script checks them all)."""
    import torch

    space = _space(name)
    checked = 0
    for row in _subset(rows[name], name):
        task = space.task(row["task"])
        with torch.device("meta"):
            net = space.build(row["arch"], task)
        got = (
            round(space.count_params(net) / 1e6, 6),
            round(space.count_flops(net, task) / 1e6, 6),
        )
        assert got == (float(row["params"]), float(row["flops"])), row
        checked += 1
    assert checked >= 7 * ROWS_PER_TASK


@pytest.mark.parametrize("name", SPACES)
def test_analytic_counts_are_the_built_networks_counts(
    name: str, single_torch_thread: None
) -> None:
    """Outside the data too: random architectures, every task, other input sizes."""
    import torch

    space = _space(name)
    rng = random.Random(11)
    for i, task_name in enumerate(TASK_NAMES * 2):
        arch = space.random(rng)
        task = space.task(task_name)
        if i >= len(TASK_NAMES):
            task = task.with_input_size(64 if task_name != "jigsaw" else 48)
        with torch.device("meta"):
            net = space.build(arch, task)
        assert space.analytic_counts(arch, task) == (
            space.count_params(net),
            space.count_flops(net, task),
        ), (arch, task)


def test_jigsaw_flops_count_the_encoder_once(single_torch_thread: None) -> None:
    """The benchmark's counter keeps one record per module: the encoder, run once per tile,
    counts one tile; zcfast's plain convention would count all nine."""
    import torch
    from zcfast.metrics import count_flops

    space = _space("micro")
    task = space.task("jigsaw")
    with torch.device("meta"):
        net: Any = space.build((1, 0, 0, 2, 1, 0), task)
    once = space.count_flops(net, task)
    assert once == space.count_flops(net) == 21_101_056
    head = count_flops(net.head, (512 * 9, 2, 2))
    assert count_flops(net, task.input_shape) == 9 * (once - head) + head


# ------------------------------------------------------------------------------- networks

#: Small, cheap architectures: the macro one downsamples four times (decoders start at 1×1).
SMALL = {"micro": (1, 0, 0, 2, 1, 0), "macro": (3, 3, 3, 4, 0, 0)}


@pytest.mark.parametrize("task_name", TASK_NAMES)
@pytest.mark.parametrize("name", SPACES)
def test_forward_and_loss_on_a_small_input(
    name: str, task_name: str, single_torch_thread: None
) -> None:
    import torch

    space = _space(name)
    task = space.task(task_name)
    task = task.with_input_size(32 if task.output in ("logits", "vector") else 64)
    torch.manual_seed(0)
    net = space.build(SMALL[name], task)
    assert net.arch == SMALL[name] and net.input_shape == task.input_shape
    x, y = task.example_batch(2, seed=1)
    assert tuple(x.shape[1:]) == task.input_shape
    out = task.check_output(net(x), 2)
    assert tuple(out.shape[1:]) == task.output_shape()
    labels = task.check_labels(y, out, 2)
    loss = task.loss_fn(out, labels)
    assert loss.dim() == 0 and bool(torch.isfinite(loss))
    loss.backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and bool(torch.isfinite(g).all()) for g in grads)
    assert any(bool(g.abs().sum() > 0) for g in grads if g is not None)


@pytest.mark.parametrize("name", SPACES)
def test_module_names_say_their_part(name: str) -> None:
    import torch
    from torch import nn

    space = _space(name)
    for task_name in TASK_NAMES:
        with torch.device("meta"):
            net = space.build(SMALL[name], task_name)
        parts = {tnb101.part_of(n) for n, m in net.named_modules() if n and not m._modules}
        dense = task_name in ("autoencoder", "normal", "segmentsemantic")
        assert parts == ({"encoder", "decoder"} if dense else {"encoder", "head"})
        modules = dict(net.named_modules())
        feature = modules[space.task(task_name).feature_module or ""]
        assert isinstance(feature, nn.AdaptiveAvgPool2d) != dense
        kinds = {type(m) for m in net.modules()}
        assert {nn.Conv2d, nn.BatchNorm2d, nn.ReLU} <= kinds
        assert (nn.ConvTranspose2d in kinds) == dense
        assert (nn.Linear in kinds) != dense
    assert space.part_of("decoder.layers.7.conv") == "decoder"
    with pytest.raises(InvalidValueError, match=r"^layer_name: expected"):
        tnb101.part_of("stem.0")
    with pytest.raises(ArgumentTypeError, match=r"^layer_name"):
        tnb101.part_of(3)  # type: ignore[arg-type]


def test_micro_cell_structure() -> None:
    import torch
    from torch import nn
    from zcfast.spaces.tnb101._torch import FactorizedReduce, MicroCell, Zero

    with torch.device("meta"):
        net = _space("micro").build((1, 0, 2, 3, 1, 0), "class_scene")
    cells = [m for m in net.modules() if isinstance(m, MicroCell)]
    assert len(cells) == 10
    first: Any = cells[0].edges  # reduction cell: edges from the input change the shape
    assert isinstance(first[0], FactorizedReduce) and isinstance(first[1], Zero)
    assert isinstance(first[2][1], nn.Conv2d) and first[2][1].kernel_size == (1, 1)
    assert isinstance(first[3][1], nn.Conv2d) and first[3][1].stride == (2, 2)
    assert isinstance(cells[1].edges[0], nn.Identity)
    assert isinstance(first[3][1], nn.Conv2d) and first[3][1].kernel_size == (3, 3)


def test_dense_tasks_need_an_input_divisible_by_the_downsampling() -> None:
    macro = _space("macro")
    task = macro.task("segmentsemantic").with_input_size(32)
    with pytest.raises(ShapeError, match=r"^task: expected an input size divisible by 64"):
        macro.build((3, 3, 3, 4, 0, 0), task)
    net = macro.build((1, 2, 3, 2, 0, 0), task)  # one downsampling: 8× suffices
    assert net.input_shape == (3, 32, 32)


def test_spaces_import_without_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from zcfast.spaces import get_space, tnb101\n"
        "m = get_space('tnb101_macro')\n"
        "assert len(m.sample(3)) == 3 and m.task('jigsaw').input_shape == (9, 3, 64, 64)\n"
        "assert tnb101.part_of('head.fc') == 'head'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
