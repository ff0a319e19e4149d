"""zcfast.metrics.layer_primitives and its many-architecture versions on real PyTorch models.

Values are checked against the scalar proxies (the table's sums), against numpy computations
from the definitions on a small MLP, and for finiteness on degenerate networks (disconnected
NB201 cells, unexecuted layers, NaN outputs).
"""

from __future__ import annotations

import copy
import math

import pytest

torch = pytest.importorskip("torch")
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import zcfast  # noqa: E402
from polars.testing import assert_frame_equal  # noqa: E402
from torch import nn  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.exceptions import ArgumentTypeError, ConfigError  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

from tests.toy_spaces import ToySpace  # noqa: E402

NUMERIC = [c for c, kind in metrics.LAYER_COLUMNS.items() if kind != "str"]
WEIGHT_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
                nn.ConvTranspose3d, nn.Linear)  # fmt: skip
CONNECTED = (2, 3, 4, 0, 2, 3)
ALL_NONE = (1, 1, 1, 1, 1, 1)
# every edge out of the input node is 'none': the convs on the later edges run on zeros
INPUT_CUT = (1, 1, 1, 2, 3, 2)


def _batch(shape: tuple[int, ...], n: int = 8, classes: int = 5, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *shape, generator=g, dtype=torch.float64)
    return x, torch.arange(n) % classes


def _nb201(arch, seed=0) -> nn.Module:
    torch.manual_seed(seed)
    return nb201.build(arch, 10, input_size=8).double()


class MLP(nn.Module):
    """Two Linear layers and one that is never executed."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.fc2 = nn.Linear(6, 3)
        self.unused = nn.Linear(3, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class GroupedCNN(nn.Module):
    """Plain, grouped and depthwise Conv2d, BatchNorm, a Linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1, groups=2, bias=False),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1, groups=8),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        return self.head(self.features(x))


class TransposedNet(nn.Module):
    """Conv1d over rows, a grouped ConvTranspose2d and a Conv2d: the other layer kinds."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = nn.Conv1d(3, 4, 3, padding=1)
        self.up = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
        self.bn = nn.BatchNorm2d(6)
        self.conv = nn.Conv2d(6, 4, 3, bias=False)
        self.head = nn.Linear(4, 5)

    def forward(self, x):
        n, c, h, w = x.shape
        rows = self.rows(x.permute(0, 2, 1, 3).reshape(n * h, c, w))
        z = rows.reshape(n, h, 4, w).permute(0, 2, 1, 3)
        z = self.conv(torch.relu(self.bn(self.up(torch.relu(z)))))
        return self.head(z.mean(dim=(2, 3)))


class TwiceLinear(nn.Module):
    """One Linear applied twice (two calls of the same layer)."""

    def __init__(self) -> None:
        super().__init__()
        self.shared = nn.Linear(4, 4)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        return self.head(self.shared(torch.relu(self.shared(x))))


def _seeded(cls, seed=0):
    torch.manual_seed(seed)
    return cls().double()


# name → (model factory, sample shape, classes)
MODELS = {
    "nb201": (lambda: _nb201(CONNECTED), (3, 8, 8), 10),
    "nb201-all-none": (lambda: _nb201(ALL_NONE), (3, 8, 8), 10),
    "nb201-input-cut": (lambda: _nb201(INPUT_CUT), (3, 8, 8), 10),
    "mlp": (lambda: _seeded(MLP), (4,), 3),
    "grouped-cnn": (lambda: _seeded(GroupedCNN), (3, 6, 6), 5),
    "transposed": (lambda: _seeded(TransposedNet), (3, 5, 5), 5),
}


@pytest.fixture(scope="module")
def tables():
    """name → (model, x, y, table), computed once."""
    out = {}
    for name, (make, shape, classes) in MODELS.items():
        model = make()
        x, y = _batch(shape, classes=classes)
        out[name] = (model, x, y, metrics.layer_primitives(model, x, y))
    return out


# ----------------------------------------------------------------------------------------------
# schema


@pytest.mark.parametrize("name", list(MODELS))
def test_schema_rows_and_dtypes(tables, name) -> None:
    model, _x, _y, df = tables[name]
    assert df.columns == list(metrics.LAYER_COLUMNS)
    expected = {"str": pl.String, "int64": pl.Int64, "float64": pl.Float64}
    for col, kind in metrics.LAYER_COLUMNS.items():
        assert df[col].dtype == expected[kind], col
        assert df[col].null_count() == 0, col
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, WEIGHT_TYPES)]
    assert df["layer"].to_list() == [n for n, _ in layers]
    assert df["index"].to_list() == list(range(len(layers)))
    assert df["depth"][0] == 0.0 and df["depth"][-1] == 1.0
    assert df["depth"].is_sorted()
    assert df["n_params"].sum() == sum(
        p.numel() for _, m in layers for p in m.parameters(recurse=False)
    )
    # zero-copy numpy buffers, as the Rust core takes them
    for col in NUMERIC:
        assert df[col].to_numpy(allow_copy=False).dtype in (np.int64, np.float64)


def test_kinds_and_shapes_of_the_other_layer_types(tables) -> None:
    _model, _x, _y, df = tables["transposed"]
    rows = {r["layer"]: r for r in df.iter_rows(named=True)}
    assert [rows[n]["kind"] for n in ("rows", "up", "conv", "head")] == [
        "conv1d",
        "conv_transpose2d",
        "conv2d",
        "linear",
    ]
    up = rows["up"]  # weight (4, 3, 3, 3): C_in/groups·kernel = 2·9 per output channel
    assert (up["fan_in"], up["fan_out"], up["kernel"], up["groups"]) == (18, 6, 9, 2)
    # transposed: kernel·C_in·C_out/groups per input position (5×5) + bias per output (11×11)
    assert up["flops"] == 9 * 4 * 6 // 2 * 25 + 6 * 11 * 11
    rows_conv = rows["rows"]  # Conv1d called on n·h sequences: per-sample FLOPs of one call
    assert (rows_conv["fan_in"], rows_conv["kernel"]) == (9, 3)
    assert rows_conv["flops"] == (9 * 4 + 4) * 5  # (k·C_in·C_out + C_out) per position, width 5
    for name in ("rows", "up"):  # the non-reference kinds get gradients too
        assert rows[name]["grad_norm"] > 0 and rows[name]["wg_abs_sum"] > 0
        assert rows[name]["out_grad_norm"] > 0 and rows[name]["calls"] == 1

    _model, _x, _y, cnn = tables["grouped-cnn"]
    assert cnn["groups"].to_list() == [1, 2, 8, 1]
    assert cnn["fan_in"].to_list() == [27, 36, 9, 8]


# ----------------------------------------------------------------------------------------------
# finite values, degenerate networks


@pytest.mark.parametrize("name", list(MODELS))
def test_every_value_is_finite(tables, name) -> None:
    df = tables[name][3]
    values = df.select(NUMERIC).to_numpy().astype(np.float64)
    assert np.isfinite(values).all()


def test_disconnected_cells_give_defined_values(tables) -> None:
    _model, x, _y, df = tables["nb201-all-none"]
    n = x.shape[0]
    cut = tables["nb201-input-cut"][3]
    # convs on edges out of a node that only ever receives zeros: X = 0 everywhere
    dead = cut.filter(pl.col("layer").str.starts_with("cells.0.layers.2"))
    assert dead.height == 1
    row = dead.row(0, named=True)
    assert row["calls"] == 1 and row["in_pos_frac"] == 0.0 and row["in_std"] == 0.0
    assert row["in_rank"] == pytest.approx(1 / n)  # every sample has the same (all-off) code
    # K = D·J: eigenvalues n·D and n−1 zeros, floored at 1e-12·n·D
    d = row["in_units"]
    assert row["in_logdet"] == pytest.approx(math.log(n * d) + (n - 1) * math.log(1e-12 * n * d))
    assert row["grad_norm"] == 0.0 and row["wg_cos"] == 0.0
    assert row["out_std"] == 0.0 and row["sensitivity"] == 0.0
    # the all-none network's classifier sees constant features: no signal reaches it
    head = df.filter(pl.col("kind") == "linear").row(0, named=True)
    assert head["in_std"] == 0.0 and head["sensitivity"] == 0.0


def test_unexecuted_layer_is_a_row_of_zeros(tables) -> None:
    _model, _x, _y, df = tables["mlp"]
    row = df.filter(pl.col("layer") == "unused").row(0, named=True)
    assert row["calls"] == 0 and row["flops"] == 0 and row["in_units"] == 0
    zero = [c for c in NUMERIC if c.startswith(("grad", "wg_", "in_", "out_", "noise", "sens"))]
    zero += ["fisher", "grasp", "synflow"]
    assert all(row[c] == 0 for c in zero), {c: row[c] for c in zero if row[c] != 0}
    assert row["weight_norm"] > 0 and row["n_params"] == 12


def test_nan_becomes_the_sentinel() -> None:
    class NanNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(x) * float("nan")

    x, y = _batch((4,), classes=3)
    df = metrics.layer_primitives(NanNet().double(), x, y)
    assert df["grad_norm"].to_list() == [metrics.SENTINEL]
    assert df["out_grad_norm"].to_list() == [metrics.SENTINEL]
    assert np.isfinite(df.select(NUMERIC).to_numpy().astype(float)).all()


# ----------------------------------------------------------------------------------------------
# state, determinism


def _state(model: nn.Module):
    return (
        {k: v.detach().clone() for k, v in model.state_dict().items()},
        {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()},
        {n: m.training for n, m in model.named_modules()},
        {n: p.requires_grad for n, p in model.named_parameters()},
        torch.get_rng_state(),
    )


def _assert_same_state(a, b) -> None:
    for k in a[0]:
        assert torch.equal(a[0][k], b[0][k]), k
    for k, g in a[1].items():
        assert (g is None) == (b[1][k] is None) and (g is None or torch.equal(g, b[1][k])), k
    assert a[2] == b[2] and a[3] == b[3]
    assert torch.equal(a[4], b[4])


def test_model_state_is_untouched() -> None:
    model = _seeded(TransposedNet)
    x, y = _batch((3, 5, 5))
    nn.functional.cross_entropy(model(x), y).backward()  # stale grads, used BN statistics
    model.eval()
    model.rows.weight.requires_grad_(False)  # a frozen non-reference layer
    model.up.weight.grad = None
    before = _state(model)
    metrics.layer_primitives(model, x, y)
    _assert_same_state(before, _state(model))


def test_other_dtype_works_on_a_copy(tables) -> None:
    _model, x, y, _df = tables["grouped-cnn"]
    single = _seeded(GroupedCNN).float()
    before = _state(single)
    copied = metrics.layer_primitives(single, x, y, dtype=torch.float64)
    _assert_same_state(before, _state(single))
    assert next(single.parameters()).dtype == torch.float32
    # the same as converting the model itself (float32 → float64 is exact)
    direct = metrics.layer_primitives(copy.deepcopy(single).double(), x, y)
    assert_frame_equal(copied, direct, rel_tol=1e-12)


def test_same_seed_gives_the_same_table(tables) -> None:
    model, x, y, df = tables["grouped-cnn"]
    assert_frame_equal(metrics.layer_primitives(model, x, y), df, check_exact=True)
    other = metrics.layer_primitives(model, x, y, seed=1)
    noise = ["noise_in_pos_frac", "noise_out_std", "sensitivity"]
    assert_frame_equal(other.drop(noise), df.drop(noise), check_exact=True)
    assert other["noise_out_std"].to_list() != df["noise_out_std"].to_list()


# ----------------------------------------------------------------------------------------------
# the table's sums are the proxies


@pytest.mark.parametrize("name", ["nb201", "nb201-input-cut", "grouped-cnn", "transposed"])
def test_sums_reproduce_compute(tables, name) -> None:
    model, x, y, df = tables[name]
    scores = metrics.compute(
        model, x, y, ["grad_norm", "snip", "plain", "l2_norm", "fisher", "grasp", "synflow"]
    )
    ref = df.filter(pl.col("kind").is_in(["conv2d", "linear"]))
    sums = {
        "grad_norm": ref["grad_norm"].sum(),
        "snip": ref["wg_abs_sum"].sum(),
        "plain": ref["wg_sum"].sum(),
        "l2_norm": ref["weight_norm"].sum(),
        "fisher": ref["fisher"].sum(),
        "grasp": ref["grasp"].sum(),
        # ln Σ when the sum is > 0; a network whose output ignores its weights has synflow 0
        "synflow": math.log(ref["synflow"].sum()) if ref["synflow"].sum() > 0 else 0.0,
    }
    for proxy, total in sums.items():
        assert total == pytest.approx(scores[proxy], rel=1e-9, abs=1e-12), proxy


#: The proxies as layer-wise expressions over the table (what evolution can rediscover).
PROXY_EXPRESSIONS = {
    "grad_norm": "sum_layers(grad_norm)",
    "snip": "sum_layers(wg_abs_sum)",
    "plain": "sum_layers(wg_sum)",
    "l2_norm": "sum_layers(weight_norm)",
    "fisher": "sum_layers(fisher)",
    "grasp": "sum_layers(grasp)",
    "synflow": "log(sum_layers(synflow))",
}


@pytest.mark.parametrize("name", ["nb201", "nb201-input-cut"])
def test_layer_wise_expressions_reproduce_compute(tables, name) -> None:
    model, x, y, df = tables[name]
    scores = metrics.compute(model, x, y, list(PROXY_EXPRESSIONS))
    table = df.with_columns(pl.lit("net").alias("arch"))
    numeric = [c for c, t in metrics.LAYER_COLUMNS.items() if t != "str"]
    for proxy, formula in PROXY_EXPRESSIONS.items():
        (value,) = zcfast.Expression.parse(formula, numeric).evaluate(table)
        if proxy == "synflow" and table["synflow"].sum() == 0:
            value = 0.0  # a network whose output ignores its weights: synflow 0, as compute says
        assert value == pytest.approx(scores[proxy], rel=1e-9, abs=1e-12), (proxy, formula)


def test_proxies_computed_with_the_table_equal_compute(tables) -> None:
    from zcfast.metrics._api import compute_and_layers

    model, x, y, df = tables["transposed"]
    scores, table = compute_and_layers(model, x, y)
    assert scores == metrics.compute(model, x, y)
    assert_frame_equal(table, df, check_exact=True)


# ----------------------------------------------------------------------------------------------
# hand-checked values on a two-layer MLP


def _mlp_by_hand(model: MLP, x: torch.Tensor, y: torch.Tensor, seed: int):
    """Forward, backward and noise forwards of the MLP in numpy, from the definitions."""
    w1, b1 = model.fc1.weight.detach().numpy(), model.fc1.bias.detach().numpy()
    w2, b2 = model.fc2.weight.detach().numpy(), model.fc2.bias.detach().numpy()
    xn, n = x.numpy(), x.shape[0]
    z1 = xn @ w1.T + b1
    a = np.maximum(z1, 0)
    z2 = a @ w2.T + b2
    p = np.exp(z2 - z2.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz2 = (p - np.eye(3)[y.numpy()]) / n  # ∂(mean cross-entropy)/∂logits
    dz1 = (dz2 @ w2) * (z1 > 0)
    eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed), dtype=x.dtype)
    eps = eps.numpy()
    noise_z1 = eps @ w1.T + b1
    moved_z1 = (xn + 0.01 * eps) @ w1.T + b1
    moved_z2 = np.maximum(moved_z1, 0) @ w2.T + b2
    return {
        "W": (w1, w2),
        "G": (dz1.T @ xn, dz2.T @ a),
        "X": (xn, a),
        "Z": (z1, z2),
        "dZ": (dz1, dz2),
        "noise_X": (eps, np.maximum(noise_z1, 0)),
        "noise_Z": (noise_z1, np.maximum(noise_z1, 0) @ w2.T + b2),
        "moved_Z": (moved_z1, moved_z2),
    }


def _hamming_logdet(x: np.ndarray) -> float:
    codes = (x > 0).astype(float)
    k = codes @ codes.T + (1 - codes) @ (1 - codes).T  # agreements
    lam = np.linalg.eigvalsh(k)
    return float(np.sum(np.log(np.maximum(lam, 1e-12 * max(lam.max(), 1.0)))))


def test_mlp_values_match_the_definitions(tables) -> None:
    model, x, y, df = tables["mlp"]
    ref = _mlp_by_hand(model, x, y, seed=0)
    n = x.shape[0]
    for i in range(2):
        row = df.row(i, named=True)
        w, g = ref["W"][i], ref["G"][i]
        xi, zi, dz = ref["X"][i], ref["Z"][i], ref["dZ"][i]
        signs = np.where(xi > 0, 1.0, -1.0)
        expected = {
            "weight_std": w.std(),
            "weight_abs_mean": np.abs(w).mean(),
            "grad_mean": g.mean(),
            "grad_std": g.std(),
            "grad_norm": np.linalg.norm(g),
            "wg_cos": (w * g).sum() / (np.linalg.norm(w) * np.linalg.norm(g)),
            "fisher": w.shape[1] * (0.5 * ((zi * dz) ** 2).mean(0)).sum(),
            "in_mean": xi.mean(),
            "in_pos_frac": (xi > 0).mean(),
            "in_rank": np.linalg.matrix_rank(signs) / n,
            "in_logdet": _hamming_logdet(xi),
            "out_std": zi.std(),
            "out_grad_norm": np.linalg.norm(dz),
            "out_grad_abs_mean": np.abs(dz).mean(),
            "noise_in_pos_frac": (ref["noise_X"][i] > 0).mean(),
            "noise_out_std": ref["noise_Z"][i].std(),
            "sensitivity": np.abs(ref["moved_Z"][i] - zi).sum() / np.abs(zi).sum(),
        }
        for col, value in expected.items():
            assert row[col] == pytest.approx(value, rel=1e-10, abs=1e-14), (i, col)
        assert row["in_patterns"] == len({tuple(c) for c in (xi > 0).T})
        assert row["in_units"] == xi.shape[1]
        assert (row["fan_in"], row["fan_out"], row["kernel"], row["groups"]) == (
            w.shape[1],
            w.shape[0],
            1,
            1,
        )
        assert row["flops"] == w.size  # Linear: in·out per sample, bias not counted


def test_a_layer_called_twice_reports_the_mean_of_its_calls() -> None:
    model = _seeded(TwiceLinear)
    x, y = _batch((4,), classes=3)
    row = metrics.layer_primitives(model, x, y).row(0, named=True)
    with torch.no_grad():
        z_first = model.shared(x)
        second_in = torch.relu(z_first)
        z_second = model.shared(second_in)
    assert row["calls"] == 2
    assert row["in_mean"] == pytest.approx(float((x.mean() + second_in.mean()) / 2), rel=1e-12)
    assert row["out_std"] == pytest.approx(
        float((z_first.std(correction=0) + z_second.std(correction=0)) / 2), rel=1e-12
    )
    assert row["flops"] == 2 * 16  # summed over calls


# ----------------------------------------------------------------------------------------------
# many architectures


@pytest.fixture(scope="module")
def nb201_batch():
    return _batch((3, 8, 8), n=6, classes=10, seed=1)


ARCHS = ["(4, 0, 3, 1, 4, 3)", (2, 3, 4, 0, 2, 3), 1, "(9, 9, 9, 9, 9, 9)"]  # `net` string,
# tuple, NB201 index, malformed


def test_layer_primitives_many_long_table(nb201_batch) -> None:
    x, y = nb201_batch
    df = metrics.layer_primitives_many(
        "nb201", ARCHS, inputs=x, labels=y, num_classes=10, progress=False, dtype=torch.float64
    )
    assert df.columns == ["arch", *metrics.LAYER_COLUMNS, "error"]
    keys = ["(4, 0, 3, 1, 4, 3)", "(2, 3, 4, 0, 2, 3)", "(2, 2, 0, 4, 2, 0)"]
    assert df["arch"].unique(maintain_order=True).to_list() == [*keys, "(9, 9, 9, 9, 9, 9)"]
    bad = df.filter(pl.col("arch") == "(9, 9, 9, 9, 9, 9)")
    assert bad.height == 1 and "arch" in bad["error"][0]
    assert bad.drop("arch", "error").null_count().row(0) == (1,) * len(metrics.LAYER_COLUMNS)
    for key in keys:  # each block is layer_primitives of the freshly built network
        block = df.filter(pl.col("arch") == key)
        assert block["error"].null_count() == block.height
        torch.manual_seed(0)
        net = nb201.build(key, 10, input_size=8).double()
        assert_frame_equal(
            block.drop("arch", "error"), metrics.layer_primitives(net, x, y), check_exact=True
        )


def test_score_archs_and_layers_equals_the_separate_functions(nb201_batch) -> None:
    x, y = nb201_batch
    archs = ARCHS[1:]
    kw = {"inputs": x, "labels": y, "num_classes": 10, "progress": False, "dtype": torch.float64}
    proxies, layers = metrics.score_archs_and_layers("nb201", archs, **kw)
    assert_frame_equal(proxies, metrics.score_archs("nb201", archs, **kw), rel_tol=1e-12)
    assert_frame_equal(layers, metrics.layer_primitives_many("nb201", archs, **kw), rel_tol=1e-12)
    assert proxies["error"].null_count() == 2 and layers.height > 2


def test_archs_must_be_a_collection(nb201_batch) -> None:
    x, y = nb201_batch
    kw = {"inputs": x, "labels": y, "num_classes": 10, "progress": False}
    for fn in (metrics.layer_primitives_many, metrics.score_archs, metrics.score_archs_and_layers):
        with pytest.raises(ArgumentTypeError, match=r"^archs: .*single string"):
            fn("nb201", "(4, 0, 3, 1, 4, 3)", **kw)
        with pytest.raises(ArgumentTypeError, match=r"^archs: .*found int"):
            fn("nb201", 5, **kw)
    with pytest.raises(ConfigError, match=r"^fused: expected True for layer_primitives_many"):
        metrics.layer_primitives_many("nb201", [0], fused=False, **kw)


class _ToySpace(ToySpace):
    """A search space of Linear models whose build fails for "bad" and Ctrl-Cs at "stop"."""

    def network(self, arch, task):
        if arch == "bad":
            raise RuntimeError("cannot build")
        if arch == "stop":
            raise KeyboardInterrupt  # what Ctrl-C raises in the loop
        return super().network(arch, task)


def test_failing_build_and_ctrl_c(nb201_batch) -> None:
    x, y = nb201_batch
    kw = {"inputs": x.float(), "labels": y, "num_classes": 10, "progress": False}
    with pytest.warns(UserWarning, match="returning the 3 architectures scored so far"):
        df = metrics.layer_primitives_many(_ToySpace(), ["ok", "bad", "ok", "stop", "ok"], **kw)
    assert df["arch"].to_list() == ["ok", "bad", "ok"]
    assert df["error"].to_list()[1] == "RuntimeError: cannot build"
    assert df["fan_in"].to_list() == [192, None, 192]
