"""The embedded mini-benchmark: shape, spread, `zcfast evolve --demo`, and that the shipped
file is what ``scripts/make_mini_benchmark.py`` produces."""

from __future__ import annotations

import importlib.util
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import zcfast
from zcfast import datasets
from zcfast.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_mini_benchmark.py"


@pytest.fixture(scope="module")
def demo():
    return datasets.load_demo()


def test_demo_table(demo) -> None:
    assert demo.height >= 300
    assert demo.columns[0] == "arch" and demo.columns[-1] == "val_accuracy"
    assert demo["arch"].n_unique() == demo.height, "architectures are distinct"
    X, y = datasets.features_and_targets(demo)
    assert set(X.columns) >= {"synflow", "nwot", "params", "flops", "jacov", "zen", "swap"}
    m = X.to_numpy()
    assert np.isfinite(m).all()
    acc = y.to_numpy()
    # spread enough to be worth ranking: a wide middle, not a saturated ceiling
    q10, q90 = np.percentile(acc, [10, 90])
    assert q90 - q10 > 5.0 and acc.max() < 99.0
    shipped = resources.files("zcfast").joinpath("data", "nb201_digits.csv").read_bytes()
    assert len(shipped) < 1_000_000


def test_demo_is_learnable(demo) -> None:
    """Evolving on 100 rows ranks the other 200 better than chance and than the mean proxy."""
    X, y = datasets.features_and_targets(demo)
    m, t = X.to_numpy(), y.to_numpy()
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(t))
    tr, te = idx[:100], idx[100:]
    res = zcfast.evolve(m[tr], t[tr], feature_names=X.columns, seed=0, generations=30)
    held_out = zcfast.spearman(res.best.evaluate(m[te]), t[te])
    singles = [abs(zcfast.spearman(m[te, j], t[te])) for j in range(m.shape[1]) if np.ptp(m[te, j])]
    assert held_out > 0.3
    assert held_out > float(np.median(singles))


def test_cli_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evolve", "--demo", "--generations", "5", "--population", "300"]) == 0
    out = capsys.readouterr().out
    assert "held-out" in out and "spearman" in out


def _script():
    torch = pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("make_mini_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_mini_benchmark"] = mod
    spec.loader.exec_module(mod)
    return mod, torch


def test_shipped_proxies_are_what_the_script_computes(demo) -> None:
    mod, torch = _script()
    threads = torch.get_num_threads()
    try:
        for row in demo.head(3).iter_rows(named=True):
            arch = tuple(int(v) for v in row["arch"].strip("()").split(","))
            got = mod.proxies_one(arch)
            for p in mod.PROXY_COLUMNS:
                assert got[p] == pytest.approx(row[p], rel=1e-4, abs=1e-6), (arch, p)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)


def test_shipped_accuracy_is_what_the_script_trains(demo) -> None:
    mod, torch = _script()
    threads = torch.get_num_threads()
    try:
        row = demo.row(0, named=True)
        arch = tuple(int(v) for v in row["arch"].strip("()").split(","))
        got = mod.train_one(arch)["val_accuracy"]
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)
    # bit-identical on the PyTorch build that made the file; other builds may round differently,
    # so allow a handful of the 797 validation images to flip
    assert got == pytest.approx(row["val_accuracy"], abs=1.0)


def test_demo_layers_table(demo) -> None:
    layers = datasets.load_demo_layers()
    table = zcfast.LayerTable.from_frame(layers)
    assert table.archs == tuple(demo["arch"].to_list()), "the same cells, in the same order"
    assert np.isfinite(table.values).all()
    assert set(table.layer_counts()) <= set(range(1, 40))
    shipped = resources.files("zcfast").joinpath("data", "nb201_digits_layers.parquet")
    assert len(shipped.read_bytes()) < 1_000_000


def test_shipped_layers_are_what_the_script_computes(demo) -> None:
    import polars as pl

    mod, torch = _script()
    threads = torch.get_num_threads()
    layers = datasets.load_demo_layers()
    try:
        for key in demo["arch"].head(2).to_list():
            arch = tuple(int(v) for v in key.strip("()").split(","))
            got = mod.layers_one(arch)
            shipped = layers.filter(pl.col("arch") == key)
            assert got.columns == shipped.columns and got.height == shipped.height
            for col in got.columns:
                if got[col].dtype.is_numeric():
                    np.testing.assert_allclose(
                        got[col].to_numpy(), shipped[col].to_numpy(), rtol=1e-4, atol=1e-6
                    )
                else:
                    assert got[col].to_list() == shipped[col].to_list(), col
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)


def test_layer_wise_demo_beats_the_flat_proxies(demo) -> None:
    """Layer-wise evolution on 100 cells ranks the other 200 better than the best proxy."""
    accuracy = datasets.accuracy_by_arch(demo)
    table = zcfast.LayerTable.from_frame(datasets.load_demo_layers())
    y = np.array([accuracy[a] for a in table.archs])
    train = np.zeros(table.n_archs, dtype=bool)
    train[np.random.default_rng(0).permutation(table.n_archs)[:100]] = True
    result = zcfast.evolve_layerwise(table.select_archs(train), y[train], seed=0)
    held_out = zcfast.spearman(result.best.evaluate(table.select_archs(~train)), y[~train])
    X, _ = datasets.features_and_targets(demo)
    singles = [abs(zcfast.spearman(X[c].to_numpy()[~train], y[~train])) for c in X.columns]
    assert held_out > max(singles), (str(result.best), held_out, max(singles))


def test_cli_layerwise_demo(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evolve", "--layerwise", "--demo", "--generations", "5", "--population", "300"]
    assert main([*args, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "_layers(" in out and "held-out: spearman" in out and "(200 archs)" in out
