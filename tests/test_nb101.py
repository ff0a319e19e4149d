"""NAS-Bench-101: encodings, the isomorphism-invariant key, moves, the network, and the exact
params/FLOPs of every architecture in the shared reference data (``zc_nasbench101.json``)."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from zcfast.exceptions import (
    ArgumentTypeError,
    ConfigError,
    InvalidValueError,
    ShapeError,
    UnknownNameError,
    ZcfastError,
)
from zcfast.spaces import SearchSpace, TaskSpec, check_space, get_space, nb101
from zcfast.spaces.nb101 import NASLIB_OPS, NB101Space
from zcfast.spaces.nb101._cell import unflatten

SPACE = NB101Space()
CONV3, CONV1, POOL = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"

#: The spec of NAS-Bench-101's README (an Inception-like cell).
INCEPTION = (
    [
        [0, 1, 1, 1, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    ["input", CONV1, CONV3, CONV3, CONV3, POOL, "output"],
)
#: Three vertices feed the output (128 = 43 + 43 + 42 channels); vertex 1 (43 channels) feeds
#: vertex 4 (42), which cuts it; the input feeds vertices 1 and 3 and the output.
UNEVEN = (
    [
        [0, 1, 0, 1, 0, 1],
        [0, 0, 1, 0, 1, 0],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0],
    ],
    ["input", CONV3, CONV1, POOL, CONV3, "output"],
)


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> dict[str, dict[str, float]]:
    with open(data_dir / "naslib" / "zc_nasbench101.json") as fh:
        table: dict[str, dict[str, float]] = json.load(fh)["nasbench101"]["cifar10"]
    assert len(table) == 500
    return table


def _flat7(key: str) -> tuple[list[list[int]], list[int]]:
    values = json.loads(key.replace("(", "[").replace(")", "]"))
    assert len(values) == 56
    return [values[i * 7 : (i + 1) * 7] for i in range(7)], values[49:]


def _random_topological_order(matrix: list[list[int]], rng: random.Random) -> list[int]:
    """A uniformly chosen next vertex among the ready ones, input first and output last."""
    n = len(matrix)
    order, placed = [0], {0}
    while len(order) < n - 1:
        ready = [
            v
            for v in range(1, n - 1)
            if v not in placed and all(u in placed for u in range(1, v) if matrix[u][v])
        ]
        v = rng.choice(ready)
        order.append(v)
        placed.add(v)
    return [*order, n - 1]


def _relabel(matrix: list[list[int]], ops: list[Any], order: list[int]) -> tuple[Any, Any]:
    return [[matrix[a][b] for b in order] for a in order], [ops[a] for a in order]


def _wl_hash(arch: Any) -> str:
    """NAS-Bench-101's graph hash (``hash_module``): iterated MD5 of each vertex's
    (out-degree, in-degree, op label) with its sorted in- and out-neighbour hashes."""
    n, matrix, ops = unflatten(nb101.parse(arch))
    label = {0: -1, 1: -2, 4: 0, 3: 1, 2: 2}  # NASLib index -> NB101 label
    ins = [sum(matrix[i][j] for i in range(n)) for j in range(n)]
    outs = [sum(row) for row in matrix]
    hashes = [
        hashlib.md5(str((outs[v], ins[v], label[ops[v]])).encode()).hexdigest() for v in range(n)
    ]
    for _ in range(n):
        hashes = [
            hashlib.md5(
                (
                    "".join(sorted(hashes[w] for w in range(n) if matrix[w][v]))
                    + "|"
                    + "".join(sorted(hashes[w] for w in range(n) if matrix[v][w]))
                    + "|"
                    + hashes[v]
                ).encode()
            ).hexdigest()
            for v in range(n)
        ]
    return hashlib.md5(str(sorted(hashes)).encode()).hexdigest()


def _brute_canonical(arch: Any) -> tuple[int, ...]:
    """An independent canonical form: the smallest relabelling over *all* permutations of
    the interior vertices (upper-triangular or not)."""
    n, matrix, ops = unflatten(nb101.parse(arch))
    best = None
    for perm in itertools.permutations(range(1, n - 1)):
        order = [0, *perm, n - 1]
        code = (*(matrix[a][b] for a in order for b in order), *(ops[a] for a in order))
        best = code if best is None or code < best else best
    assert best is not None
    return best


def _is_valid(arch: tuple[int, ...]) -> bool:
    n, matrix, ops = unflatten(arch)
    reach = [True] + [False] * (n - 1)
    for j in range(1, n):
        reach[j] = any(reach[i] and matrix[i][j] for i in range(j))
    back = [False] * (n - 1) + [True]
    for i in range(n - 2, -1, -1):
        back[i] = any(back[j] and matrix[i][j] for j in range(i + 1, n))
    return (
        2 <= n <= 7
        and all(matrix[i][j] == 0 for i in range(n) for j in range(i + 1))
        and sum(map(sum, matrix)) <= 9
        and all(reach) and all(back)  # pruned: every vertex on an input→output path
        and ops[0] == 0 and ops[-1] == 1 and all(o in (2, 3, 4) for o in ops[1:-1])
        and nb101.parse(arch) == arch
    )  # fmt: skip


# ------------------------------------------------------------------------------ encodings


def test_naslib_keys_are_a_flattened_matrix_and_op_indices(rows: dict[str, Any]) -> None:
    """The 56 numbers are the 7×7 adjacency matrix row by row, then 7 op indices of
    ``input, output, maxpool3x3, conv1x1, conv3x3``: input first, output last."""
    assert NASLIB_OPS == ("input", "output", POOL, CONV1, CONV3)
    for key in rows:
        matrix, ops = _flat7(key)
        assert all(matrix[i][j] == 0 for i in range(7) for j in range(i + 1))
        assert ops[0] == 0 and ops[-1] == 1 and set(ops[1:-1]) <= {2, 3, 4}
        spec = {"matrix": matrix, "ops": [NASLIB_OPS[o] for o in ops]}
        assert nb101.parse(key) == nb101.parse(spec) == nb101.parse(_flat7_tuple(key))


def _flat7_tuple(key: str) -> tuple[int, ...]:
    matrix, ops = _flat7(key)
    return (*(v for row in matrix for v in row), *ops)


def test_every_encoding_agrees(rows: dict[str, Any]) -> None:
    for key in rows:
        flat = nb101.parse(key)
        spec = nb101.to_spec(flat)
        matrix, ops = spec["matrix"], spec["ops"]
        forms = [
            key,
            _flat7_tuple(key),
            list(_flat7_tuple(key)),
            np.array(_flat7_tuple(key)),
            str(flat),
            flat,
            list(flat),
            (matrix, ops),
            [matrix, ops],
            (np.array(matrix), ops),
            (np.array(matrix, dtype=bool), np.array(ops)),
            (np.array(matrix, dtype=float), tuple(ops)),
            {"matrix": matrix, "ops": ops},
            {"module_adjacency": np.array(matrix, dtype=np.int8), "module_operations": ops},
            _Spec(np.array(matrix), ops),
        ]
        for form in forms:
            assert nb101.parse(form) == flat, form
            assert SPACE.parse(form) == flat
        assert nb101.parse(flat) == flat  # idempotent


class _Spec:
    """Stands in for ``nasbench.api.ModelSpec`` (``matrix`` and ``ops`` attributes)."""

    def __init__(self, matrix: Any, ops: Any) -> None:
        self.matrix, self.ops = matrix, ops


def test_pruning_removes_vertices_off_every_input_output_path() -> None:
    # vertex 1 has no input, vertex 2 is a dead end, vertex 3 carries the path
    matrix = [
        [0, 0, 1, 1, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
    ]
    cell = nb101.parse((matrix, ["input", POOL, CONV1, CONV3, "output"]))
    assert nb101.to_spec(cell) == {
        "matrix": [[0, 1, 0], [0, 0, 1], [0, 0, 0]],
        "ops": ["input", CONV3, "output"],
    }
    # NASLib pads a cell of n < 7 vertices to 7 with unconnected conv3x3 vertices
    padded = [[0] * 7 for _ in range(7)]
    for i in range(6):
        for j in range(5):
            padded[i][j] = UNEVEN[0][i][j]
        padded[i][6] = UNEVEN[0][i][5]
    ops = [*UNEVEN[1][:5], CONV3, "output"]
    assert nb101.parse((padded, ops)) == nb101.parse(UNEVEN)


def test_the_nine_edge_limit_is_on_the_pruned_cell(rows: dict[str, Any]) -> None:
    """As in NAS-Bench-101 (``is_valid`` counts the pruned matrix): many stored rows have
    more than 9 edges before pruning, none after."""
    raw = [sum(map(sum, _flat7(key)[0])) for key in rows]
    assert max(raw) > 9
    assert all(sum(nb101.parse(key)[: unflatten(nb101.parse(key))[0] ** 2]) <= 9 for key in rows)
    dense = np.triu(np.ones((7, 7), dtype=int), 1)
    dense[0, 1:] = 0
    dense[0, 1] = 1  # input only reaches vertex 1; 1→2..6 and the rest: 16 pruned edges
    with pytest.raises(InvalidValueError, match=r"^arch: expected at most 9 edges.*found 16"):
        nb101.parse((dense, ["input", CONV3, CONV3, CONV3, CONV3, CONV3, "output"]))


@pytest.mark.parametrize(
    ("bad", "error", "match"),
    [
        ("(0, 1, 0, 0, 0, 1, 0)", ShapeError, "n·n \\+ n numbers"),
        ((0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1), InvalidValueError, "no input→output path"),
        ((0, 2, 0, 0, 0, 1), InvalidValueError, "0/1 adjacency entries"),
        ((0, 1, 0, 0, 0, 5), InvalidValueError, "op indices in 0..4"),
        ((0, 1, 0, 0, 1, 0), InvalidValueError, "first vertex to be 'input'"),
        ((0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1), InvalidValueError, "interior vertices"),
        ((0, 1.5, 0, 0, 0, 1), InvalidValueError, "0/1 adjacency entries"),
        ((0, 1, 0, 0, 0, 1.0), ArgumentTypeError, "int op indices"),
        ((0, "1", 0, 0, 0, 1), ArgumentTypeError, "0/1 adjacency entries"),
        ("hello", InvalidValueError, "flattened NB101 cell string"),
        ("(0, 1, 0, 0, 0, -1)", InvalidValueError, "flattened NB101 cell string"),
        # (matrix, ops) form
        (([[0, 1], [1, 0]], ["input", "output"]), InvalidValueError, "upper-triangular"),
        (([[1, 1], [0, 0]], ["input", "output"]), InvalidValueError, "edge 0→0"),
        (([[0, 1, 0], [0, 0, 1]], ["input", CONV3, "output"]), ShapeError, "square"),
        (([[0, 1], [0, 0]], ["input", CONV3, "output"]), ShapeError, "one op per vertex"),
        (([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "output"]), ShapeError, "one op per"),
        (([[0, 1], [0, 0]], ["input", "conv5x5"]), UnknownNameError, "op names from"),
        (([[0, 1], [0, 0]], ["input", 1]), ArgumentTypeError, "op names \\(str\\)"),
        (([[0, 1], [0, 0]], "input,output"), ArgumentTypeError, "list of op names"),
        (([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", CONV3, "output"]), InvalidValueError,
         "no input→output path"),
        ((np.zeros((8, 8), dtype=int), ["input"] + [CONV3] * 6 + ["output"]), ShapeError,
         "2 to 7 vertices"),
        ((np.zeros((1, 1), dtype=int), ["input"]), ShapeError, "2 to 7 vertices"),
        ((np.zeros((2, 2, 2)), ["input", "output"]), ShapeError, "2-D adjacency matrix"),
        (([[0, [1]], [0, 0]], ["input", "output"]), ShapeError, "2-D adjacency matrix"),
        (([[0, 1], [0, 0]], ["output", "input"]), InvalidValueError, "first vertex"),
        (([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "input", "output"]), InvalidValueError,
         "interior vertices with ops from"),
        (({"matrix": [[0, 1], [0, 0]]}), InvalidValueError, "keys 'matrix' and 'ops'"),
        ((_Spec(None, None)), InvalidValueError, "valid cell"),
        (np.zeros((3, 4)), ShapeError, "flattened cell \\(a 1-D array\\)"),
        # wrong types
        (None, ArgumentTypeError, "found None$"),
        (3, ArgumentTypeError, "found int"),
        (2.5, ArgumentTypeError, "found float"),
        (True, ArgumentTypeError, "found bool"),
        (object(), ArgumentTypeError, "found object"),
        ((3.0, ["input", "output"]), ArgumentTypeError, "adjacency matrix.*found float"),
        (([[0, 1], [0, 0]], "input"), ArgumentTypeError, "list of op names"),
        (({0, 1}, ["input", "output"]), ArgumentTypeError, "adjacency matrix"),
    ],
)  # fmt: skip
def test_bad_cells_raise_a_clear_error(bad: Any, error: type[ZcfastError], match: str) -> None:
    with pytest.raises(error, match=match) as info:
        nb101.parse(bad)
    assert str(info.value).startswith("arch: expected"), str(info.value)
    assert " found " in str(info.value)
    with pytest.raises(error):
        SPACE.key(bad)


def test_more_than_nine_edges_after_pruning() -> None:
    # 7 vertices on two chains joined at 5, plus 0→6 and 3→6: 9 edges, valid
    m = np.zeros((7, 7), dtype=int)
    for i, j in ((0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 5), (5, 6), (0, 6), (3, 6)):
        m[i, j] = 1
    ops = ["input", CONV3, CONV1, POOL, CONV3, CONV1, "output"]
    cell = nb101.parse((m, ops))
    assert unflatten(cell)[0] == 7 and sum(cell[:49]) == 9
    m[1, 2] = 1
    with pytest.raises(InvalidValueError, match=r"^arch: expected at most 9 edges.*found 10"):
        nb101.parse((m, ops))


# ---------------------------------------------------------------------- the canonical key


def test_key_is_invariant_under_renumbering_every_row(rows: dict[str, Any]) -> None:
    """Random topological renumberings of the interior vertices (of the stored 7-vertex
    spec and of the pruned cell) never change the key; the key parses back to itself."""
    rng = random.Random(0)
    moved = 0
    for key in rows:
        k = nb101.key(key)
        matrix, ops = _flat7(key)
        names = [NASLIB_OPS[o] for o in ops]
        spec = nb101.to_spec(key)
        for _ in range(4):
            order = _random_topological_order(matrix, rng)
            moved += order != list(range(7))
            assert nb101.key(_relabel(matrix, names, order)) == k, (key, order)
            small = _random_topological_order(spec["matrix"], rng)
            assert nb101.key(_relabel(spec["matrix"], spec["ops"], small)) == k
        assert nb101.key(k) == k
        assert nb101.parse(k) == nb101.canonical(key)
        assert nb101.key(nb101.parse(k)) == k
        assert SPACE.key(key) == k
    assert moved > 1000


def test_keys_match_nasbench_graph_hash_on_the_data(rows: dict[str, Any]) -> None:
    """Two stored cells share a key exactly when NAS-Bench-101's graph hash calls them one
    graph; the exhaustive check below covers the rest."""
    by_key: dict[str, set[str]] = defaultdict(set)
    by_hash: dict[str, set[str]] = defaultdict(set)
    for key in rows:
        by_key[nb101.key(key)].add(_wl_hash(key))
        by_hash[_wl_hash(key)].add(nb101.key(key))
    assert all(len(v) == 1 for v in by_key.values())
    assert all(len(v) == 1 for v in by_hash.values())
    assert len(by_key) == 292  # 500 rows, 292 distinct cells (55 are input → output alone)


def test_stored_results_are_consistent_with_the_key(rows: dict[str, Any]) -> None:
    """NAS-Bench-101 trains each graph 3 times and NASLib reports one run: rows with one key
    have at most 3 accuracies; rows with one parsed (numbered) cell have one params/flops."""
    accuracies: dict[str, set[float]] = defaultdict(set)
    counts: dict[tuple[int, ...], set[tuple[float, float]]] = defaultdict(set)
    for key, rec in rows.items():
        accuracies[nb101.key(key)].add(rec["val_accuracy"])
        counts[nb101.parse(key)].add((rec["params"], rec["flops"]))
    assert max(len(v) for v in accuracies.values()) <= 3
    assert all(len(v) == 1 for v in counts.values())


def test_keys_are_exact_on_every_small_cell() -> None:
    """For every valid cell of up to 4 vertices and every 5-vertex cell with one op, keys
    agree with an independent brute-force canonical form (equal iff isomorphic)."""
    cells = []
    for n, interior in ((2, [()]), (3, [(o,) for o in (2, 3, 4)])):
        cells += [(n, m, ops) for m in itertools.product((0, 1), repeat=n * (n - 1) // 2)
                  for ops in interior]  # fmt: skip
    cells += [(4, m, ops) for m in itertools.product((0, 1), repeat=6)
              for ops in itertools.product((2, 3, 4), repeat=2)]  # fmt: skip
    cells += [(5, m, (4, 4, 4)) for m in itertools.product((0, 1), repeat=10)]
    keys: dict[str, set[tuple[int, ...]]] = defaultdict(set)
    brutes: dict[tuple[int, ...], set[str]] = defaultdict(set)
    valid = 0
    for n, upper, interior in cells:
        matrix = [[0] * n for _ in range(n)]
        for (i, j), v in zip(itertools.combinations(range(n), 2), upper):
            matrix[i][j] = v
        flat = (*(v for row in matrix for v in row), 0, *interior, 1)
        try:
            k = nb101.key(flat)
        except InvalidValueError:
            continue
        valid += 1
        b = _brute_canonical(flat)
        keys[k].add(b)
        brutes[b].add(k)
    assert valid > 1000
    assert all(len(v) == 1 for v in keys.values())
    assert all(len(v) == 1 for v in brutes.values())


# ----------------------------------------------------------------------- params and FLOPs


def test_analytic_counts_of_every_row(rows: dict[str, Any]) -> None:
    """The per-module formulas reproduce every stored ``params`` and ``flops`` exactly."""
    for key, rec in rows.items():
        p, f = nb101.analytic_counts(key)
        assert round(p / 1e6, 6) == rec["params"], key
        assert round(f / 1e6, 6) == rec["flops"], key


def _check_built(key: str, rec: dict[str, float]) -> None:
    import torch

    task = SPACE.task("cifar10")
    with torch.device("meta"):
        net = SPACE.build(key, "cifar10")
    p, f = SPACE.count_params(net), SPACE.count_flops(net, task)
    assert round(p / 1e6, 6) == rec["params"], key
    assert round(f / 1e6, 6) == rec["flops"], key
    assert (p, f) == nb101.analytic_counts(key)


def test_built_networks_reproduce_params_and_flops_sample(rows: dict[str, Any]) -> None:
    """``count_params``/``count_flops`` of built networks (meta device) on 3 rows of every
    size; the test below does all 500 (slow: a meta forward costs ~0.2 s per network)."""
    pytest.importorskip("torch")
    by_size: dict[int, list[str]] = defaultdict(list)
    for key in rows:
        by_size[unflatten(nb101.parse(key))[0]].append(key)
    picked = [k for keys in by_size.values() for k in keys[:3]]
    assert len(picked) >= 16
    for key in picked:
        _check_built(key, rows[key])


@pytest.mark.slow
def test_built_networks_reproduce_params_and_flops_of_every_row(rows: dict[str, Any]) -> None:
    """The acceptance test: ``count_params(net)/1e6`` and ``count_flops(net, task)/1e6``
    equal the stored ``params`` and ``flops`` on all 500 rows (1–3 minutes)."""
    pytest.importorskip("torch")
    for key, rec in rows.items():
        _check_built(key, rec)


def test_counts_depend_on_the_numbering() -> None:
    """How the output's channels are split follows the vertex order, so the network is built
    in the order given, not the canonical one (as the stored counts require)."""
    a = UNEVEN
    with pytest.raises(InvalidValueError, match="upper-triangular"):
        nb101.parse(_relabel(a[0], a[1], [0, 2, 1, 3, 4, 5]))  # 1→2 would point backwards
    b = _relabel(a[0], a[1], [0, 1, 2, 4, 3, 5])  # the 42-channel conv3x3 gets 43
    assert nb101.key(a) == nb101.key(b)
    assert nb101.analytic_counts(a) != nb101.analytic_counts(b)


# ---------------------------------------------------------------------------------- moves


def test_random_cells_are_valid_and_deterministic() -> None:
    cells = [SPACE.random(random.Random(seed)) for seed in range(100)]
    assert all(_is_valid(c) for c in cells)
    assert cells == [SPACE.random(random.Random(seed)) for seed in range(100)]
    # NB101's sampler repeats cells often (many specs prune to a few small cells; the data,
    # drawn the same way, has 292 distinct cells in 500 rows)
    assert len({nb101.key(c) for c in cells}) > 50
    rng = random.Random(7)
    stream = [SPACE.random(rng) for _ in range(20)]
    rng = random.Random(7)
    assert stream == [SPACE.random(rng) for _ in range(20)]
    sizes = {unflatten(c)[0] for c in cells}
    assert {3, 4, 5, 6} <= sizes
    with pytest.raises(ArgumentTypeError, match="rng"):
        SPACE.random(0)  # type: ignore[arg-type]


def test_sample_is_distinct_and_deterministic() -> None:
    a = SPACE.sample(50, seed=3)
    assert a == SPACE.sample(50, seed=3)
    assert a != SPACE.sample(50, seed=4)
    assert len({nb101.key(c) for c in a}) == 50
    assert all(_is_valid(c) for c in a)
    assert SPACE.sample(0) == []
    with pytest.raises(ConfigError, match=r"^n: expected"):
        SPACE.sample(-1)


def test_mutate_gives_a_valid_different_cell() -> None:
    rng = random.Random(1)
    for seed in range(100):
        cell = SPACE.random(random.Random(seed))
        child = SPACE.mutate(cell, rng)
        assert _is_valid(child)
        assert nb101.key(child) != nb101.key(cell)
        assert nb101.key(child) in {nb101.key(c) for c in SPACE.neighbours(cell)}
    assert SPACE.mutate(INCEPTION, random.Random(5)) == SPACE.mutate(INCEPTION, random.Random(5))
    with pytest.raises(ArgumentTypeError, match="rng"):
        SPACE.mutate(INCEPTION, 5)  # type: ignore[arg-type]


def test_mutation_can_grow_a_cell_to_seven_vertices() -> None:
    """Starting from input → output alone, mutations reach every cell size."""
    rng = random.Random(0)
    cell = nb101.parse("(0, 1, 0, 0, 0, 1)")
    sizes = set()
    for _ in range(300):
        cell = SPACE.mutate(cell, rng)
        sizes.add(unflatten(cell)[0])
    assert sizes == {2, 3, 4, 5, 6, 7}


def test_neighbours_are_valid_distinct_and_ordered() -> None:
    for seed in range(30):
        cell = SPACE.random(random.Random(seed))
        nbrs = SPACE.neighbours(cell)
        keys = [nb101.key(c) for c in nbrs]
        assert nbrs and all(_is_valid(c) for c in nbrs)
        assert len(set(keys)) == len(keys)
        assert nb101.key(cell) not in keys
        assert SPACE.neighbours(cell) == nbrs
        assert SPACE.neighbours(nb101.to_spec(cell)) == nbrs
    # input → output alone: the one edge cannot go; a vertex can be added on it (3 ops)
    bare = SPACE.neighbours("(0, 1, 0, 0, 0, 1)")
    assert [nb101.to_spec(c)["ops"][1] for c in bare] == [CONV3, CONV1, POOL]
    # op changes come first, vertex by vertex, in NB101's op order
    first = SPACE.neighbours(INCEPTION)[:2]
    assert [nb101.to_spec(c)["ops"][1] for c in first] == [CONV3, POOL]


def test_neighbours_of_a_full_cell() -> None:
    """The README's Inception-like cell: 7 vertices (no vertex can be added) and 9 edges (no
    edge can be added).  Its 10 op changes are all distinct; removing any edge of a branch
    drops the branch, so the 9 removals give 4 cells."""
    cell = nb101.parse(INCEPTION)
    nbrs = SPACE.neighbours(cell)
    assert len(nbrs) == 14
    assert [unflatten(c)[0] for c in nbrs] == [7] * 10 + [6, 6, 5, 6]
    assert all(c[:49] == cell[:49] for c in nbrs[:10])


# -------------------------------------------------------------------------------- network


def test_forward_of_real_networks(single_torch_thread: None) -> None:
    torch = pytest.importorskip("torch")
    from torch import nn

    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32)
    for arch in (INCEPTION, UNEVEN, "(0, 1, 0, 0, 0, 1)"):
        net = SPACE.build(arch)
        assert net.input_shape == (3, 32, 32)
        assert net.arch == nb101.parse(arch)
        feats: list[Any] = []
        task = SPACE.task()
        assert task.feature_module is not None
        pool = dict(net.named_modules())[task.feature_module]
        pool.register_forward_hook(lambda m, i, o, sink=feats: sink.append(i[0].shape))
        out = net(x)
        assert out.shape == (2, 10) and torch.isfinite(out).all()
        assert feats == [torch.Size([2, 512, 8, 8])]
        kinds = {type(m) for m in net.modules()}
        assert {nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Linear} <= kinds
        assert nn.MaxPool2d in kinds
        assert not any(isinstance(m, nn.ReLU) and m.inplace for m in net.modules())


def test_cell_wiring() -> None:
    torch = pytest.importorskip("torch")
    from zcfast.spaces.nb101 import NB101Cell

    cell = NB101Cell(nb101.parse(UNEVEN), 16, 128)
    assert cell.channels == [16, 43, 43, 43, 42, 128]
    assert set(cell.projections) == {"1", "3", "5"}
    assert cell.projections["5"][0].out_channels == 128
    assert cell(torch.randn(2, 16, 8, 8)).shape == (2, 128, 8, 8)
    # input → output alone is the projection
    bare = NB101Cell(nb101.parse("(0, 1, 0, 0, 0, 1)"), 16, 32)
    assert bare(torch.randn(1, 16, 4, 4)).shape == (1, 32, 4, 4)
    assert sum(p.numel() for p in bare.parameters()) == 16 * 32 + 2 * 32


def test_network_arguments_and_tasks() -> None:
    pytest.importorskip("torch")
    import torch

    with torch.device("meta"):
        net = nb101.build(INCEPTION, 100, input_size=16, C=16, N=1)
        assert net.classifier.out_features == 100 and net.input_shape == (3, 16, 16)
        other = SPACE.build(INCEPTION, TaskSpec.classification("c100", 100, (3, 24, 24)))
        assert other.input_shape == (3, 24, 24)
    assert SPACE.tasks == ("cifar10",)
    assert SPACE.task().feature_module == "global_pooling"
    with pytest.raises(UnknownNameError, match=r"^task: expected"):
        SPACE.task("cifar100")
    with pytest.raises(InvalidValueError, match=r"^task: expected a classification"):
        SPACE.build(INCEPTION, TaskSpec("seg", (3, 32, 32), "dense_logits", 5))
    with pytest.raises(InvalidValueError, match=r"^task: expected images of at least 4"):
        SPACE.build(INCEPTION, TaskSpec.classification("tiny", 10, (3, 2, 2)))
    for kwargs in ({"C": 4}, {"C": 2000}, {"N": 0}, {"input_size": 3}, {"num_classes": 0}):
        with pytest.raises(ConfigError, match="expected"):
            nb101.build(INCEPTION, **kwargs)


def test_build_is_deterministic_under_a_seed() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    a = nb101.build(UNEVEN, C=16, N=1)
    torch.manual_seed(5)
    b = nb101.build(UNEVEN, C=16, N=1)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


# ------------------------------------------------------------------------------- contract


def test_registry_and_contract() -> None:
    space = get_space("nb101")
    assert space is get_space("NAS-Bench-101")
    assert isinstance(space, NB101Space) and isinstance(space, SearchSpace)
    assert check_space("nb101", "encoding", "moves", "builder") is space
    assert not hasattr(space, "size") and not hasattr(space, "enumerate")
    assert space.flops_convention == "tensorwatch"
    assert repr(space) == "NB101Space(name='nb101')"


def test_space_imports_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from zcfast.spaces import nb101, get_space\n"
        "space = get_space('nb101')\n"
        "assert len(space.sample(3)) == 3\n"
        "assert nb101.analytic_counts('(0, 1, 0, 0, 0, 1)')[0] == 882570\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
