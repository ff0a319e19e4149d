"""zcfast.metrics behaviour: no side effects, score_archs, devices, import.

The per-layer table (layer_primitives and its many-architecture versions) is tested in
test_layer_primitives.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
import numpy as np  # noqa: E402
from torch import nn  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

from tests.toy_spaces import ToySpace  # noqa: E402

ARCH = (2, 3, 4, 0, 2, 3)


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(10, 3, 8, 8, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 3, 3, 4, 0])
    return x, y


def _net(arch=ARCH, seed=0):
    torch.manual_seed(seed)
    return nb201.build(arch, 10, input_size=8).double()


def _state(model: nn.Module):
    return {
        "sd": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "grads": {
            n: (None if p.grad is None else p.grad.detach().clone())
            for n, p in model.named_parameters()
        },
        "modes": {n: m.training for n, m in model.named_modules()},
        "rg": {n: p.requires_grad for n, p in model.named_parameters()},
        "rng": torch.get_rng_state(),
    }


def _assert_same(before, after) -> None:
    assert before["sd"].keys() == after["sd"].keys()
    for k in before["sd"]:
        assert torch.equal(before["sd"][k], after["sd"][k]), k
    for n, g in before["grads"].items():
        h = after["grads"][n]
        assert (g is None) == (h is None), n
        if g is not None:
            assert torch.equal(g, h), n
    assert before["modes"] == after["modes"]
    assert before["rg"] == after["rg"]
    assert torch.equal(before["rng"], after["rng"])


def _dirty_model():
    """A model in a non-default state: stale grads, mixed modes, frozen params, used BN stats."""
    model = _net()
    x = torch.randn(6, 3, 8, 8, dtype=torch.float64)
    model.train()
    nn.functional.cross_entropy(model(x), torch.arange(6)).backward()  # grads + BN stats
    model.eval()
    model.cells[3].train()  # mixed modes
    model.stem[0].weight.requires_grad_(False)  # a frozen conv
    model.classifier.bias.requires_grad_(False)
    model.cells[7].layers[0][2].weight.grad = None  # some grads absent
    return model


def test_compute_leaves_the_model_exactly_as_it_was(batch) -> None:
    x, y = batch
    model = _dirty_model()
    before = _state(model)
    scores = metrics.compute(model, x, y)
    _assert_same(before, _state(model))
    assert set(scores) == set(metrics.PROXIES)
    # and the frozen/eval state did not change the values: a clean copy scores the same
    clean = _dirty_model()
    clean.train()
    for p in clean.parameters():
        p.requires_grad_(True)
        p.grad = None
    again = metrics.compute(clean, x, y)
    for p in metrics.PROXIES:
        assert again[p] == pytest.approx(scores[p], rel=1e-9, abs=1e-12), p


def test_layer_primitives_and_separate_path_leave_the_model_untouched(batch) -> None:
    x, y = batch
    model = _dirty_model()
    before = _state(model)
    metrics.layer_primitives(model, x, y)
    _assert_same(before, _state(model))
    metrics.compute(model, x, y, ["grasp", "zen", "swap", "flops"], fused=False)
    _assert_same(before, _state(model))
    # a failing call restores the state too
    with pytest.raises(ValueError):
        metrics.compute(model, x, torch.tensor([0, 1, 2, 0, 1, 2, 3, 3, 4, 99]))
    _assert_same(before, _state(model))


def test_other_dtype_or_device_works_on_a_copy(batch) -> None:
    x, y = batch
    model = _net().float()
    before = _state(model)
    s64 = metrics.compute(model, x, y, ["snip", "nwot", "params"], dtype=torch.float64)
    _assert_same(before, _state(model))
    s32 = metrics.compute(model, x.float(), y, ["snip", "nwot", "params"])
    assert s64["snip"] == pytest.approx(s32["snip"], rel=1e-4)
    assert s64["params"] == s32["params"]
    assert next(model.parameters()).dtype == torch.float32


def test_score_archs_matrix(batch) -> None:
    x, y = batch
    archs = ["(2, 3, 4, 0, 2, 3)", (0, 2, 1, 4, 3, 2), "(9, 9, 9, 9, 9, 9)", 1]
    df = metrics.score_archs(
        "nb201",
        archs,
        inputs=x,
        labels=y,
        num_classes=10,
        proxies=["synflow", "params", "nwot"],
        progress=False,
        dtype=torch.float64,
        seed=0,
    )
    assert df.columns == ["arch", "nwot", "params", "synflow", "error"]
    assert df.height == 4
    assert df["arch"].to_list()[:2] == ["(2, 3, 4, 0, 2, 3)", "(0, 2, 1, 4, 3, 2)"]
    assert df["arch"][3] == "(2, 2, 0, 4, 2, 0)"  # NB201 index 1
    err = df["error"].to_list()
    assert err[0] is None and err[1] is None and err[3] is None
    assert err[2] is not None and "arch" in err[2]
    assert df.row(2, named=True)["synflow"] is None
    assert df["params"][0] == pytest.approx(
        nb201.analytic_counts(archs[0], 10, input_size=8)[0] / 1e6
    )
    # each row equals compute() on the same freshly built network
    torch.manual_seed(0)
    net = nb201.build(archs[1], 10, input_size=8).double()
    direct = metrics.compute(net, x, y, ["synflow", "params", "nwot"])
    for p in ("synflow", "params", "nwot"):
        assert df[p][1] == pytest.approx(direct[p], rel=1e-12)
    # the matrix evolve takes
    m = df.drop(["arch", "error"]).drop_nulls().to_numpy()
    assert m.shape == (3, 3) and m.dtype == np.float64


def test_score_archs_error_row_for_a_failing_build(batch) -> None:
    x, y = batch

    class Broken(ToySpace):
        name = "broken"

        def network(self, arch, task):
            if arch == "bad":
                raise RuntimeError("cannot build")
            return super().network(arch, task)

    df = metrics.score_archs(
        Broken(),
        ["ok", "bad", "ok"],
        inputs=x.float(),
        labels=y,
        num_classes=10,
        proxies=["grad_norm", "params"],
        progress=False,
    )
    assert df["error"].to_list()[0] is None and df["error"].to_list()[2] is None
    assert "cannot build" in df["error"][1]
    assert df["grad_norm"][1] is None and df["grad_norm"][0] is not None


def test_score_archs_ctrl_c_returns_the_finished_rows(batch) -> None:
    x, y = batch

    class InterruptedAtThird(ToySpace):
        name = "interrupted"

        def __init__(self) -> None:
            self.built = 0

        def network(self, arch, task):
            self.built += 1
            if self.built == 3:
                raise KeyboardInterrupt  # what Ctrl-C raises in the loop
            return super().network(arch, task)

    with pytest.warns(UserWarning, match="returning the 2 architectures scored so far"):
        df = metrics.score_archs(
            InterruptedAtThird(),
            range(5),
            inputs=x.float(),
            labels=y,
            num_classes=10,
            proxies=["params"],
            progress=False,
        )
    assert df["arch"].to_list() == ["0", "1"]
    assert df["params"].null_count() == 0 and df["error"].null_count() == 2


def test_sentinel_replaces_nan() -> None:
    class Nan(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            return self.fc(x) * float("nan")

    got = metrics.compute(
        Nan(), torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1]), ["grad_norm", "jacov", "snip"]
    )
    assert got == {
        "grad_norm": metrics.SENTINEL,
        "jacov": metrics.SENTINEL,
        "snip": metrics.SENTINEL,
    }
    assert metrics.SENTINEL == -1e8


def test_tf32_switch_is_restored(batch) -> None:
    x, y = batch
    old = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    metrics.compute(_net(), x, y, ["params"], tf32=False)
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == old


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_cpu(batch) -> None:  # pragma: no cover - needs a GPU
    x, y = batch
    model = _net()
    cpu = metrics.compute(model, x, y)
    gpu = metrics.compute(model, x, y, device="cuda", tf32=False)
    for p in metrics.PROXIES:
        assert gpu[p] == pytest.approx(cpu[p], rel=1e-6, abs=1e-9), p


def test_import_zcfast_does_not_import_torch_and_metrics_explains_a_missing_torch() -> None:
    code = (
        "import sys\n"
        "import zcfast\n"
        "assert 'torch' not in sys.modules, 'import zcfast imported torch'\n"
        "sys.modules['torch'] = None\n"
        "try:\n"
        "    import zcfast.metrics\n"
        "except zcfast.exceptions.MissingDependencyError as e:\n"
        "    assert isinstance(e, ImportError)\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "pip install 'zcfast[torch]'" in out.stdout
