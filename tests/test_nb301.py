"""NAS-Bench-301 / DARTS: both encodings and the canonical key, validation, moves, the two
networks, and the exact params/FLOPs of every architecture in the shared reference data."""

from __future__ import annotations

import ast
import csv
import random
from collections import Counter, namedtuple
from pathlib import Path
from typing import Any

import pytest
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    UnknownNameError,
)
from zcfast.spaces import Enumerable, SearchSpace, TaskSpec, check_space, get_space, nb301

# one intra-op torch thread: no spinning threads on a loaded 2-core machine
pytestmark = pytest.mark.usefixtures("single_torch_thread")

#: DARTS op names by NASLib's compact op index, written out here independently of the package.
NAMES = [
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]
#: DARTS's namedtuple, as ``genotypes.py`` defines it.
DartsGenotype = namedtuple("DartsGenotype", "normal normal_concat reduce reduce_concat")

#: DARTS_V1 and DARTS_V2 as quark0/darts ``cnn/genotypes.py`` holds them.
DARTS_V1 = (
    "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0),"
    " ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0),"
    " ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0),"
    " ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0),"
    " ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])"
)
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0),"
    " ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0),"
    " ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0),"
    " ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0),"
    " ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
DARTS_V2_COMPACT = [
    [(0, 3), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)],
    [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)],
]
#: DARTS_V2's parameters in DARTS's evaluation network without the auxiliary head: the
#: "param size = 3.349342MB" DARTS's train.py logs (the paper's 3.3M).
DARTS_V2_PARAMS = 3_349_342


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> list[dict[str, Any]]:
    with open(data_dir / "spaces" / "nb301_params_flops.csv", newline="") as fh:
        out = list(csv.DictReader(fh))
    for row in out:
        row["compact"] = ast.literal_eval(row["arch"])
    return out


@pytest.fixture(scope="module")
def space() -> nb301.NB301Space:
    return nb301.NB301Space()


def genotype_text(compact: Any, concat: str = "[2, 3, 4, 5]") -> str:
    """DARTS's text of a compact encoding, built from :data:`NAMES` (not the package)."""
    cells = [
        "[" + ", ".join(f"({NAMES[op]!r}, {src})" for src, op in cell) + "]" for cell in compact
    ]
    return (
        f"Genotype(normal={cells[0]}, normal_concat={concat}, reduce={cells[1]},"
        f" reduce_concat={concat})"
    )


def assert_valid(arch: Any) -> None:
    """``arch`` is in canonical form and satisfies every rule of the space."""
    assert nb301.parse(arch) == arch
    assert len(arch) == 2
    for cell in arch:
        assert len(cell) == 8
        for node in range(4):
            (a, o1), (b, o2) = cell[2 * node], cell[2 * node + 1]
            assert 0 <= a < b <= node + 1
            assert 0 <= o1 < 7 and 0 <= o2 < 7


def differing_edges(a: Any, b: Any) -> list[tuple[int, int]]:
    """``(cell, node)`` positions where two canonical architectures differ."""
    return [
        (c, n)
        for c in range(2)
        for n in range(4)
        if set(a[c][2 * n : 2 * n + 2]) != set(b[c][2 * n : 2 * n + 2])
    ]


# --------------------------------------------------------------------------------- encodings


def test_both_encodings_agree_on_every_csv_row(rows: list[dict[str, Any]]) -> None:
    assert len(rows) == 725
    keys = set()
    for row in rows:
        compact = row["compact"]
        key = nb301.to_key(row["arch"])
        keys.add(key)
        assert nb301.to_key(compact) == key
        assert nb301.to_key(genotype_text(compact)) == key
        assert nb301.to_key(genotype_text(compact, "range(2, 6)")) == key
        cells = [[(NAMES[op], src) for src, op in cell] for cell in compact]
        darts = DartsGenotype(cells[0], range(2, 6), cells[1], [2, 3, 4, 5])
        assert nb301.to_key(darts) == key
        # a node's two edges are unordered: swapping them gives the same key
        swapped = [[cell[i ^ 1] for i in range(8)] for cell in compact]
        assert nb301.to_key(swapped) == key
        # the key is a compact encoding of the same cells, each node's pair by input
        parsed = ast.literal_eval(key)
        for cell, orig in zip(parsed, compact):
            for n in range(4):
                assert cell[2 * n : 2 * n + 2] == sorted(orig[2 * n : 2 * n + 2])
        assert nb301.parse(key) == nb301.parse(row["arch"])
        assert nb301.to_key(key) == key
    assert len(keys) == 725


def test_genotype_round_trips_and_is_what_darts_reads(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        a = nb301.parse(row["arch"])
        text = nb301.genotype(a)
        assert text.startswith("Genotype(normal=[(") and text.endswith(
            "reduce_concat=[2, 3, 4, 5])"
        )
        assert nb301.parse(text) == a
        # what DARTS gets when genotypes.py holds the text
        darts = eval(text, {"__builtins__": {}}, {"Genotype": DartsGenotype})
        assert darts.normal_concat == darts.reduce_concat == [2, 3, 4, 5]
        assert all(name in NAMES and 0 <= src <= 4 for name, src in darts.normal + darts.reduce)
        assert nb301.parse(darts) == a
        g = nb301.to_genotype(a)
        assert repr(g) == text and nb301.parse(g) == a


def test_darts_genotypes_from_the_darts_repository() -> None:
    v2 = nb301.parse(DARTS_V2)
    assert v2 == nb301.parse(DARTS_V2_COMPACT)
    assert nb301.to_key(DARTS_V2) == (
        "[[(0, 3), (1, 3), (0, 3), (1, 3), (0, 2), (1, 3), (0, 2), (2, 5)],"
        " [(0, 0), (1, 0), (1, 0), (2, 2), (0, 0), (2, 2), (1, 0), (2, 2)]]"
    )
    v1 = nb301.parse(DARTS_V1)
    assert v1 != v2
    assert nb301.op_counts(v1)["sep_conv_3x3"] == (5, 0)
    assert nb301.op_counts(v2)["max_pool_3x3"] == (0, 5)
    # as DARTS's search prints a genotype (concat as range), and namespaced
    printed = DARTS_V2.replace("[2, 3, 4, 5]", "range(2, 6)")
    assert nb301.parse(printed) == v2
    assert nb301.parse("genotypes." + DARTS_V2) == v2
    assert nb301.parse("DARTS = " + DARTS_V2) == v2  # a line of genotypes.py
    # positional fields, as the namedtuple takes them
    normal = [(NAMES[op], src) for src, op in DARTS_V2_COMPACT[0]]
    reduce = [(NAMES[op], src) for src, op in DARTS_V2_COMPACT[1]]
    assert nb301.parse(f"Genotype({normal}, [2, 3, 4, 5], {reduce}, [2, 3, 4, 5])") == v2
    assert nb301.parse(f"  {DARTS_V2}\n") == v2


def test_other_accepted_forms() -> None:
    np = pytest.importorskip("numpy")
    a = nb301.parse(DARTS_V2_COMPACT)
    assert nb301.parse(np.array(DARTS_V2_COMPACT)) == a
    assert nb301.parse(tuple(tuple(map(list, cell)) for cell in DARTS_V2_COMPACT)) == a
    with_np_ints = [[(np.int64(s), np.int32(o)) for s, o in cell] for cell in DARTS_V2_COMPACT]
    assert nb301.parse(with_np_ints) == a
    assert nb301.parse(str(DARTS_V2_COMPACT)) == a
    assert nb301.key(a) == nb301.to_key(a) == get_space("nb301").key(a)
    # the canonical form is hashable tuples of ints
    assert hash(a) == hash(nb301.parse(a))
    assert all(type(v) is int for cell in a for edge in cell for v in edge)


def first_node(cell: int, pair: list[Any]) -> list[list[Any]]:
    """DARTS_V2's compact encoding with the first node of ``cell`` reading ``pair``."""
    out = [list(c) for c in DARTS_V2_COMPACT]
    out[cell][:2] = pair
    return out


BAD_VALUES = {
    "later node": [
        [(0, 3), (1, 3), (0, 3), (3, 3), (0, 3), (1, 3), (0, 3), (1, 3)],
        DARTS_V2_COMPACT[1],
    ],
    "node 0 reads state 2": first_node(0, [(0, 3), (2, 3)]),
    "same input twice": first_node(1, [(0, 0), (0, 1)]),
    "same input twice, same op": first_node(0, [(1, 3), (1, 3)]),
    "negative input": first_node(0, [(-1, 3), (1, 3)]),
    "op index 7": first_node(0, [(0, 7), (1, 3)]),
    "op index -1": first_node(1, [(0, -1), (1, 0)]),
    "op name in compact": first_node(0, [(0, "sep_conv_3x3"), (1, 3)]),
    "float op": first_node(0, [(0, 3.0), (1, 3)]),
    "bool input": first_node(0, [(False, 3), (1, 3)]),
    "7 pairs": [DARTS_V2_COMPACT[0][:7], DARTS_V2_COMPACT[1]],
    "9 pairs": [[*DARTS_V2_COMPACT[0], (0, 0)], DARTS_V2_COMPACT[1]],
    "1 cell": [DARTS_V2_COMPACT[0]],
    "3 cells": [*DARTS_V2_COMPACT, DARTS_V2_COMPACT[0]],
    "triple": [[(0, 3, 1), *DARTS_V2_COMPACT[0][1:]], DARTS_V2_COMPACT[1]],
    "flat": [src for cell in DARTS_V2_COMPACT for src, _ in cell],
    "empty": [],
    "string cells": ["normal", "reduce"],
    "compact text, later node": "[[(0, 3), (3, 3), (0, 3), (1, 3), (0, 3), (1, 3), (0, 3), (1, 3)],"
    " [(0, 0), (1, 0), (1, 0), (2, 2), (0, 0), (2, 2), (1, 0), (2, 2)]]",
    "garbage text": "hello",
    "unbalanced text": "[[(0, 3), (1, 3)",
    "code, not a literal": "[[__import__('os').getpid()]]",
    "huge text": "[" * 20_000,
    "unknown op name": DARTS_V2.replace("'dil_conv_3x3'", "'conv_7x1_1x7'"),
    "none op": DARTS_V2.replace("'dil_conv_3x3'", "'none'"),
    "genotype reads a later node": DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"),
    "genotype same input twice": DARTS_V2.replace(
        "('sep_conv_3x3', 0), ('sep_conv_3x3', 1)", "('sep_conv_3x3', 0), ('sep_conv_3x3', 0)", 1
    ),
    "genotype 5 nodes": DARTS_V2.replace(
        "('dil_conv_3x3', 2)]", "('dil_conv_3x3', 2), ('skip_connect', 0), ('skip_connect', 1)]"
    ),
    "genotype 3 nodes": DARTS_V2.replace(", ('skip_connect', 0), ('dil_conv_3x3', 2)]", "]"),
    "concat of 3": DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[3, 4, 5]"),
    "concat range(2, 7)": DARTS_V2.replace(
        "reduce_concat=[2, 3, 4, 5]", "reduce_concat=range(2, 7)"
    ),
    "concat out of order": DARTS_V2.replace(
        "normal_concat=[2, 3, 4, 5]", "normal_concat=[5, 4, 3, 2]"
    ),
    "missing field": DARTS_V2.replace(", reduce_concat=[2, 3, 4, 5]", ""),
    "unknown field": DARTS_V2.replace("reduce_concat=", "reduction_concat="),
    "field twice": DARTS_V2[:-1] + ", normal=[])",
    "genotype with code": DARTS_V2.replace("[2, 3, 4, 5]", "list(range(2, 6))", 1),
    "not a Genotype call": DARTS_V2.replace("Genotype(", "Phenotype(", 1),
    "two statements": "DARTS = " + DARTS_V2 + "; x = 1",
    "genotype pair reversed": DARTS_V2.replace("('sep_conv_3x3', 0)", "(0, 'sep_conv_3x3')", 1),
    "genotype object, bad concat": DartsGenotype(
        [(NAMES[op], src) for src, op in DARTS_V2_COMPACT[0]],
        [2, 3, 4],
        [(NAMES[op], src) for src, op in DARTS_V2_COMPACT[1]],
        [2, 3, 4, 5],
    ),
    "genotype object, op index": DartsGenotype(
        [(op, src) for src, op in DARTS_V2_COMPACT[0]],
        [2, 3, 4, 5],
        [(NAMES[op], src) for src, op in DARTS_V2_COMPACT[1]],
        [2, 3, 4, 5],
    ),
    "genotype object, unknown op": DartsGenotype(
        [("sep_conv_7x7", src) for src, op in DARTS_V2_COMPACT[0]],
        range(2, 6),
        [(NAMES[op], src) for src, op in DARTS_V2_COMPACT[1]],
        range(2, 6),
    ),
}


@pytest.mark.parametrize("bad", list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_malformed_architectures_raise_naming_the_argument(bad: object) -> None:
    with pytest.raises(InvalidValueError, match=r"^arch: expected .*found") as info:
        nb301.parse(bad)
    assert len(str(info.value)) < 1000


def test_error_messages_say_what_is_wrong() -> None:
    def message(bad: object) -> str:
        with pytest.raises(InvalidValueError) as info:
            nb301.parse(bad)
        return str(info.value)

    assert "two different inputs, got input 0 twice" in message(BAD_VALUES["same input twice"])
    assert "node 1 (edge 3): input in 0..2" in message(BAD_VALUES["later node"])
    assert "op index in 0..6, got 7" in message(BAD_VALUES["op index 7"])
    assert "'none' is not an op of NB301" in message(BAD_VALUES["none op"])
    assert "'conv_7x1_1x7'" in message(BAD_VALUES["unknown op name"])
    assert "normal_concat [2, 3, 4, 5]" in message(BAD_VALUES["concat of 3"])
    assert "reduce_concat" in message(BAD_VALUES["concat range(2, 7)"])
    assert "8 (input, op) pairs, got 7" in message(BAD_VALUES["7 pairs"])
    assert "reduce_concat" in message(BAD_VALUES["missing field"])


@pytest.mark.parametrize("bad", [3, 3.5, None, True, b"[[(0, 1)]]", {"normal": []}, object()])
def test_wrong_types(bad: object) -> None:
    with pytest.raises(ArgumentTypeError, match=r"^arch: expected .*found"):
        nb301.parse(bad)


# ------------------------------------------------------------------------------------- moves


def test_random_architectures_are_valid_and_uniform() -> None:
    rng = random.Random(0)
    archs = [nb301.random_arch(rng) for _ in range(2000)]
    for a in archs[:100]:
        assert_valid(a)
        assert nb301.parse(nb301.to_key(a)) == a
    ops = Counter(op for a in archs for cell in a for _, op in cell)
    assert all(abs(ops[o] / (2000 * 16) - 1 / 7) < 0.01 for o in range(7)), ops
    # node 3 reads each of the 10 pairs of its 5 states equally often
    pairs = Counter((a[0][6][0], a[0][7][0]) for a in archs)
    assert len(pairs) == 10 and all(150 < n < 250 for n in pairs.values()), pairs
    assert len({nb301.to_key(a) for a in archs}) == 2000


def test_mutate_changes_one_op_or_one_input(space: nb301.NB301Space) -> None:
    rng = random.Random(1)
    kinds: Counter[str] = Counter()
    for a in space.sample(100, seed=3):
        b = space.mutate(a, rng)
        assert_valid(b)
        assert space.key(b) != space.key(a)
        diff = differing_edges(a, b)
        assert len(diff) == 1
        c, n = diff[0]
        old, new = set(a[c][2 * n : 2 * n + 2]), set(b[c][2 * n : 2 * n + 2])
        assert len(old - new) == len(new - old) == 1
        (s0, o0), (s1, o1) = (old - new).pop(), (new - old).pop()
        assert (s0 == s1) != (o0 == o1)
        kinds["op" if s0 == s1 else "input"] += 1
    assert kinds["op"] > 20 and kinds["input"] > 20, kinds


def test_neighbours_are_every_single_change(space: nb301.NB301Space) -> None:
    for a in space.sample(30, seed=5):
        nbrs = space.neighbours(a)
        assert len(nbrs) == 120
        keys = [space.key(b) for b in nbrs]
        assert len(set(keys)) == 120 and space.key(a) not in keys
        for b in nbrs:
            assert_valid(b)
            assert len(differing_edges(a, b)) == 1
        assert nbrs == space.neighbours(nb301.genotype(a))  # fixed order, any encoding
        rng = random.Random(9)
        assert {space.key(space.mutate(a, rng)) for _ in range(50)} <= set(keys)


def test_moves_are_deterministic_per_seed(space: nb301.NB301Space) -> None:
    assert space.sample(50, seed=7) == space.sample(50, seed=7)
    assert space.sample(50, seed=7) != space.sample(50, seed=8)
    assert len({space.key(a) for a in space.sample(200, seed=0)}) == 200
    a = space.random(random.Random(4))
    assert a == space.random(random.Random(4))
    walk = [space.mutate(a, random.Random(s)) for s in range(10)]
    assert walk == [space.mutate(a, random.Random(s)) for s in range(10)]
    with pytest.raises(ArgumentTypeError, match="rng: expected"):
        space.random(4)
    with pytest.raises(ArgumentTypeError, match="rng: expected"):
        space.mutate(a, None)


def test_registry_and_contract() -> None:
    space = get_space("nb301")
    assert space is get_space("darts") and space is get_space("NAS-Bench-301")
    assert isinstance(space, nb301.NB301Space) and space.name == "nb301"
    assert isinstance(space, SearchSpace)
    assert not isinstance(space, Enumerable) and not hasattr(space, "size")
    assert check_space("nb301", "moves", "builder") is space
    assert space.tasks == ("cifar10",)
    task = space.task()
    assert task is space.task("cifar10")
    assert (task.num_outputs, task.input_shape, task.feature_module) == (
        10,
        (3, 32, 32),
        "global_pooling",
    )
    assert space.flops_convention == "tensorwatch"
    assert repr(space) == "NB301Space(name='nb301')"


def test_spaces_import_without_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from zcfast.spaces import nb301, get_space\n"
        "s = get_space('nb301')\n"
        "a = s.sample(3)\n"
        "assert len(s.neighbours(a[0])) == 120 and s.key(s.genotype(a[1])) == s.key(a[1])\n"
        "print(nb301.analytic_counts(a[2])[0] > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


# ------------------------------------------------------------------------- params and FLOPs


def test_analytic_counts_reproduce_every_reference_row(rows: list[dict[str, Any]]) -> None:
    """Per-module formulas give NASLib's params and FLOPs exactly, for all 725 rows."""
    for row in rows:
        p, f = nb301.analytic_counts(row["arch"])
        assert p == round(float(row["params"]) * 1e6), row["arch"]
        assert f == round(float(row["flops"]) * 1e6), row["arch"]
        assert f"{p / 1e6:.6f}" == f"{float(row['params']):.6f}"
        assert f"{f / 1e6:.6f}" == f"{float(row['flops']):.6f}"


def covering_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the CSV that together hold every op at every edge position of both cells, every
    input of every edge, and the smallest and largest params and FLOPs."""
    need = {(c, e, "op", o) for c in range(2) for e in range(8) for o in range(7)}
    need |= {(c, e, "in", s) for c in range(2) for e in range(8) for s in range(e // 2 + 2)}

    def features(row: dict[str, Any]) -> set[tuple[int, int, str, int]]:
        return {
            f
            for c, cell in enumerate(row["compact"])
            for e, (s, o) in enumerate(cell)
            for f in ((c, e, "op", o), (c, e, "in", s))
        }

    chosen = [
        min(rows, key=lambda r: float(r["params"])),
        max(rows, key=lambda r: float(r["params"])),
        min(rows, key=lambda r: float(r["flops"])),
        max(rows, key=lambda r: float(r["flops"])),
    ]
    for row in chosen:
        need -= features(row)
    while need:
        best = max(rows, key=lambda r: len(features(r) & need))
        assert features(best) & need, f"no row holds {sorted(need)[:3]}"
        chosen.append(best)
        need -= features(best)
    return chosen


def test_built_networks_reproduce_the_reference_counts(
    rows: list[dict[str, Any]], space: nb301.NB301Space
) -> None:
    """``count_params``/``count_flops`` of meta-device networks equal the CSV on rows that
    cover every op and input at every position (every row: the slow test below)."""
    torch = pytest.importorskip("torch")
    task = space.task("cifar10")
    chosen = covering_rows(rows)
    assert 10 <= len(chosen) <= 40
    for row in chosen:
        with torch.device("meta"):
            net = space.build(row["arch"], "cifar10")
        p, f = space.count_params(net), space.count_flops(net, task)
        assert f"{p / 1e6:.6f}" == f"{float(row['params']):.6f}", row["arch"]
        assert f"{f / 1e6:.6f}" == f"{float(row['flops']):.6f}", row["arch"]
        assert (p, f) == nb301.analytic_counts(row["arch"])


@pytest.mark.slow
def test_built_networks_reproduce_every_reference_row(
    rows: list[dict[str, Any]], space: nb301.NB301Space
) -> None:
    """The acceptance test: all 725 rows through ``count_params``/``count_flops`` (a meta
    forward costs about 0.2 s per network, so this takes minutes)."""
    torch = pytest.importorskip("torch")
    task = space.task()
    for row in rows:
        with torch.device("meta"):
            net = space.build(row["arch"])
        p, f = space.count_params(net), space.count_flops(net, task)
        assert f"{p / 1e6:.6f}" == f"{float(row['params']):.6f}", row["arch"]
        assert f"{f / 1e6:.6f}" == f"{float(row['flops']):.6f}", row["arch"]


def test_analytic_counts_match_hooks_in_other_configurations() -> None:
    torch = pytest.importorskip("torch")
    from zcfast.metrics import count_flops, count_params

    rng = random.Random(2)
    cases: list[tuple[Any, dict[str, Any]]] = [
        (nb301.random_arch(rng), dict(config="darts")),
        (nb301.random_arch(rng), dict(config="darts", auxiliary=True)),
        (nb301.random_arch(rng), dict(C=16, layers=5, input_size=16)),
        (nb301.random_arch(rng), dict(num_classes=100, C=8, layers=3, input_size=64)),
    ]
    for arch, kw in cases:
        with torch.device("meta"):
            net = nb301.build(arch, **kw)
        assert (count_params(net), count_flops(net)) == nb301.analytic_counts(arch, **kw)
    with torch.device("meta"):
        v2 = nb301.evaluation_network(DARTS_V2)
    assert (count_params(v2), count_flops(v2)) == nb301.analytic_counts(
        DARTS_V2, C=36, layers=20, config="darts"
    )


# ------------------------------------------------------------------------------ the networks


def test_naslib_network_structure(space: nb301.NB301Space) -> None:
    pytest.importorskip("torch")
    from torch import nn
    from zcfast.spaces.nb301._torch import DARTSCell, FactorizedReduce

    net = space.build(DARTS_V2)
    assert net.arch == nb301.parse(DARTS_V2) and net.input_shape == (3, 32, 32)
    assert net.training
    assert net.stem[0].out_channels == 96
    cells = list(net.cells)
    assert len(cells) == 8 and all(isinstance(c, DARTSCell) for c in cells)
    assert [c.reduction for c in cells] == [False, False, True, False, False, True, False, False]
    assert [type(c.preprocess0).__name__ for c in cells].count("FactorizedReduce") == 2
    assert isinstance(cells[3].preprocess0, FactorizedReduce)
    assert isinstance(cells[6].preprocess0, FactorizedReduce)
    assert net.classifier.in_features == 512 and net.auxiliary_head is None
    assert isinstance(dict(net.named_modules())["global_pooling"], nn.AdaptiveAvgPool2d)
    # only the chosen ops exist; NASLib's ops: non-affine BN, BN after each pool
    normal = [type(m).__name__ for m in cells[0].ops]
    assert normal == ["SepConv"] * 4 + ["Identity", "SepConv", "Identity", "DilConv"]
    reduce = cells[2].ops
    assert [type(m).__name__ for m in reduce] == [
        "Sequential",
        "Sequential",
        "Sequential",
        "Identity",
        "Sequential",
        "Identity",
        "Sequential",
        "Identity",
    ]
    assert isinstance(reduce[0][0], nn.MaxPool2d) and reduce[0][0].stride == 2
    assert isinstance(reduce[0][1], nn.BatchNorm2d) and not reduce[0][1].affine
    for cell in cells:
        for op in cell.ops:
            assert all(not bn.affine for bn in op.modules() if isinstance(bn, nn.BatchNorm2d))
        assert cell.preprocess1[2].affine
    assert sum(isinstance(m, nn.ReLU) and m.inplace for m in net.modules()) == 0


def test_forward_on_a_tiny_batch(space: nb301.NB301Space) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    for arch in (DARTS_V2, space.sample(1, seed=11)[0]):
        net = space.build(arch)
        out = net(x)
        assert out.shape == (2, 10) and torch.isfinite(out).all()
        out.sum().backward()
        assert all(p.grad is not None for p in net.parameters())
    task = TaskSpec.classification("cifar100", 100, (3, 32, 32))
    assert space.build(DARTS_V2, task).eval()(x).shape == (2, 100)


def test_feature_module_sees_the_pre_pooling_map(space: nb301.NB301Space) -> None:
    torch = pytest.importorskip("torch")
    net = space.build(DARTS_V2).eval()
    seen: list[tuple[int, ...]] = []
    module = dict(net.named_modules())[space.task().feature_module]
    module.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
    with torch.no_grad():
        net(torch.randn(1, 3, 32, 32))
    assert seen == [(1, 512, 8, 8)]


def test_build_is_deterministic_under_a_seed(space: nb301.NB301Space) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    a = space.build(DARTS_V1)
    torch.manual_seed(3)
    b = space.build(DARTS_V1)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_build_refuses_other_tasks(space: nb301.NB301Space) -> None:
    with pytest.raises(InvalidValueError, match="task: expected a classification task"):
        space.build(DARTS_V2, TaskSpec("seg", (3, 32, 32), "dense_logits", 5))
    with pytest.raises(InvalidValueError, match="task: expected images whose sides"):
        space.build(DARTS_V2, TaskSpec.classification("odd", 10, (3, 30, 30)))
    with pytest.raises(InvalidValueError, match="arch: expected"):
        space.build("[[(0, 1)]]")


# ---------------------------------------------------------------- DARTS's evaluation network


def test_darts_evaluation_network_has_the_published_size(space: nb301.NB301Space) -> None:
    torch = pytest.importorskip("torch")
    from torch import nn

    with torch.device("meta"):
        net = space.evaluation_network(DARTS_V2)
        aux = space.evaluation_network(DARTS_V2, auxiliary=True)
    params = sum(p.numel() for p in net.parameters())
    assert params == DARTS_V2_PARAMS and 3.25e6 <= params <= 3.35e6
    assert (net.C, net.layers, net.config, net.drop_path_prob) == (36, 20, "darts", 0.0)
    assert net.stem[0].out_channels == 108 and net.classifier.in_features == 576
    reductions = [i for i, c in enumerate(net.cells) if c.reduction]
    assert reductions == [6, 13]
    # DARTS's ops: affine BN everywhere, pooling without BN
    assert all(m.affine for m in net.modules() if isinstance(m, nn.BatchNorm2d))
    assert isinstance(net.cells[6].ops[0], nn.MaxPool2d)
    aux_params = sum(p.numel() for n, p in aux.named_parameters() if "auxiliary" in n)
    assert sum(p.numel() for p in aux.parameters()) == params + aux_params
    assert aux_params == 576 * 128 + 256 + 128 * 768 * 4 + 2 * 768 + 768 * 10 + 10


def test_darts_evaluation_network_trains_with_its_auxiliary_head() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = nb301.evaluation_network(DARTS_V2, C=8, layers=5, auxiliary=True, drop_path_prob=0.2)
    x = torch.randn(2, 3, 32, 32)
    logits, logits_aux = net.forward_aux(x)
    assert logits.shape == (2, 10) and logits_aux is not None and logits_aux.shape == (2, 10)
    (logits.sum() + 0.4 * logits_aux.sum()).backward()
    assert net(x).shape == (2, 10)
    net.eval()
    logits, logits_aux = net.forward_aux(x)
    assert logits_aux is None and torch.equal(logits, net(x))


def test_network_arguments_are_checked() -> None:
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        (dict(C=0), ConfigError, r"C: expected an int in \[1, 1,024\], found 0"),
        (dict(C=2000), ConfigError, r"C: expected an int in \[1, 1,024\], found 2000"),
        (dict(layers=2), ConfigError, r"layers: expected an int in \[3, 100\], found 2"),
        (dict(num_classes=0), ConfigError, "num_classes: expected a positive int, found 0"),
        (dict(auxiliary=1), ArgumentTypeError, "auxiliary: expected True or False, found int 1"),
        (dict(drop_path_prob=1.0), ConfigError, r"drop_path_prob: expected a number in \[0, 1\)"),
        (dict(drop_path_prob="0.2"), ArgumentTypeError, "drop_path_prob: expected .* found str"),
    ]
    for kw, error, match in cases:
        with pytest.raises(error, match=match):
            nb301.evaluation_network(DARTS_V2, **kw)
    with pytest.raises(UnknownNameError, match="config: expected one of naslib, darts"):
        nb301.build(DARTS_V2, config="nasbench")
    with pytest.raises(ConfigError, match="input_size: expected a multiple of 4"):
        nb301.analytic_counts(DARTS_V2, input_size=30)
    with pytest.raises(ConfigError, match="input_size: expected 32 with auxiliary=True"):
        nb301.build(DARTS_V2, auxiliary=True, input_size=64)
