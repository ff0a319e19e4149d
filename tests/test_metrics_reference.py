"""Each proxy of ``zcfast.metrics.compute`` (fused passes) against an independent,
one-proxy-at-a-time implementation written here from the definitions (float64, rtol 1e-5),
on several NB201 networks, a small MLP and a small CNN."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.func import functional_call  # noqa: E402
from zcfast import metrics  # noqa: E402
from zcfast.exceptions import InvalidValueError  # noqa: E402
from zcfast.spaces import nb201  # noqa: E402

RTOL = 1e-5
SENTINEL = -1e8


def _weights(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _train_copy(model: nn.Module) -> nn.Module:
    net = copy.deepcopy(model)
    net.train()
    for p in net.parameters():
        p.requires_grad_(True)
        p.grad = None
    return net


# ------------------------------------------------------------------ definitions, one at a time


def ref_loss_grads(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    net = _train_copy(model)
    F.cross_entropy(net(x), y).backward()
    return [(m.weight.detach(), m.weight.grad) for m in _weights(net)]


def ref_grad_norm(model, x, y) -> float:
    return sum(float(g.norm()) for _, g in ref_loss_grads(model, x, y) if g is not None)


def ref_snip(model, x, y) -> float:
    return sum(float((w * g).abs().sum()) for w, g in ref_loss_grads(model, x, y) if g is not None)


def ref_plain(model, x, y) -> float:
    return sum(float((w * g).sum()) for w, g in ref_loss_grads(model, x, y) if g is not None)


def ref_fisher(model, x, y) -> float:
    net = _train_copy(model)
    outs: list[tuple[nn.Module, torch.Tensor]] = []

    def keep(mod, inp, out):
        out.retain_grad()
        outs.append((mod, out))

    hs = [m.register_forward_hook(keep) for m in _weights(net)]
    F.cross_entropy(net(x), y).backward()
    for h in hs:
        h.remove()
    total = 0.0
    for mod, out in outs:
        a, g = out.detach(), out.grad
        s = (a * g).flatten(2).sum(-1) if a.dim() > 2 else a * g  # (N, channels)
        per_channel = 0.5 * (s**2).mean(0)
        total += float(per_channel.sum()) * mod.weight[0].numel()
    return total


def ref_grasp(model, x, y) -> float:
    net = _train_copy(model)
    names = [n + ".weight" for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    fixed = {n: p.detach() for n, p in net.named_parameters() if n not in names}
    w0 = tuple(dict(net.named_parameters())[n].detach().clone() for n in names)

    def loss_of(*ws):
        return F.cross_entropy(functional_call(net, {**fixed, **dict(zip(names, ws))}, (x,)), y)

    g = torch.autograd.grad(loss_of(*[w.requires_grad_(True) for w in w0]), w0)
    _, hg = torch.autograd.functional.hvp(loss_of, w0, tuple(gi.detach() for gi in g))
    return -sum(float((w.detach() * h).sum()) for w, h in zip(w0, hg))


def ref_jacobian(model, x) -> torch.Tensor:
    net = _train_copy(model)
    xr = x.clone().requires_grad_(True)
    (j,) = torch.autograd.grad(net(xr).sum(), xr)
    return j.flatten(1)


def ref_jacov(model, x) -> float:
    c = torch.corrcoef(ref_jacobian(model, x))
    if not bool(torch.isfinite(c).all()):
        return SENTINEL
    lam = torch.linalg.eigvalsh(c)
    return float(-(torch.log(lam + 1e-5) + 1.0 / (lam + 1e-5)).sum())


def ref_epe_nas(model, x, y, n_classes: int) -> float:
    j = ref_jacobian(model, x)
    per_class = []
    for c in torch.unique(y):
        rows = j[y == c]
        corr = torch.corrcoef(rows) if rows.shape[0] > 1 else torch.corrcoef(rows[0])
        s = torch.log(corr.abs() + 1e-5).sum()
        if n_classes > 100:
            if corr.dim() == 0:
                continue
            s = s / corr.shape[0]
        per_class.append(s)
    s = torch.stack(per_class)
    if n_classes <= 100:
        return float(s.abs().sum())
    return float((s[:, None] - s[None, :]).abs().sum() / len(per_class))


def ref_nwot(model, x) -> float:
    net = _train_copy(model)
    codes: list[torch.Tensor] = []
    hs = [
        m.register_forward_hook(lambda mod, i, o: codes.append((i[0] > 0).flatten(1).double()))
        for m in net.modules()
        if isinstance(m, nn.ReLU)
    ]
    with torch.no_grad():
        net(x)
    for h in hs:
        h.remove()
    K = torch.zeros(x.shape[0], x.shape[0], dtype=torch.float64)
    for c in codes:
        K += c.shape[1] - torch.cdist(c, c, p=1)  # units minus Hamming distance
    return float(torch.linalg.slogdet(K).logabsdet)


def _strip_bn(module: nn.Module) -> None:
    for name, child in module.named_children():
        if isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
            setattr(module, name, nn.Identity())
        else:
            _strip_bn(child)


def ref_synflow(model, x) -> float:
    net = _train_copy(model).double()
    _strip_bn(net)
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net(torch.ones((1, *x.shape[1:]), dtype=torch.float64)).sum().backward()
    s = sum(
        float((m.weight.detach() * m.weight.grad).abs().sum())
        for m in _weights(net)
        if m.weight.grad is not None
    )
    return math.log(s) if s > 0 else 0.0


def ref_zen(model, x, seed: int = 0) -> float:
    net = copy.deepcopy(model).train()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.normal_(generator=g)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                m.weight.fill_(1.0)
                m.bias.zero_()
        x1 = torch.randn(x.shape, generator=g, dtype=x.dtype)
        x2 = torch.randn(x.shape, generator=g, dtype=x.dtype)
        feats: list[torch.Tensor] = []
        hs = [
            m.register_forward_hook(lambda mod, i, o: feats.append(i[0]))
            for m in net.modules()
            if isinstance(m, nn.AdaptiveAvgPool2d)
        ]
        net(x1)
        f1 = feats.pop()
        net(x1 + 0.01 * x2)
        f2 = feats.pop()
        for h in hs:
            h.remove()
        score = math.log(float((f1 - f2).abs().flatten(1).sum(1).mean()))
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                score += math.log(math.sqrt(float(m.running_var.mean())))
    return score


def ref_swap(model, x, n: int = 16) -> float:
    net = _train_copy(model)
    outs: list[torch.Tensor] = []
    hs = [
        m.register_forward_hook(lambda mod, i, o: outs.append(o) if i[0].dim() == 4 else None)
        for m in net.modules()
        if isinstance(m, nn.ReLU)
    ]
    with torch.no_grad():
        net(x[:n])
    for h in hs:
        h.remove()
    if not outs:
        return 0.0
    acts = torch.cat([o.flatten(1) for o in outs], 1)
    return float(torch.unique((acts > 0).T.to(torch.int8), dim=0).shape[0])


def ref_l2(model) -> float:
    return sum(float(m.weight.detach().norm()) for m in _weights(model))


def ref_params(model) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


# ------------------------------------------------------------------------------------ models


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(48, 32),
        nn.BatchNorm1d(32),
        nn.ReLU(),
        nn.Linear(32, 32),
        nn.ReLU(),
        nn.Linear(32, 10),
    )


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 10),
    )


LABELS = [0, 1, 2, 0, 1, 2, 3, 3, 4, 0]
NB201_ARCHS = [(2, 3, 4, 0, 2, 3), (0, 2, 1, 4, 3, 2), (3, 4, 2, 2, 0, 4)]

# hand-counted FLOPs of one sample (tensorwatch convention, see zcfast.metrics.count_flops)
MLP_FLOPS = 48 * 32 + 2 * 32 + 32 + 32 * 32 + 32 + 32 * 10
CNN_FLOPS = (
    (9 * 3 * 8 * 64)  # conv 3→8 on 8×8, no bias
    + 2 * 8 * 64  # BN
    + 8 * 64  # ReLU
    + (9 * 8 * 8 * 16 + 8 * 16)  # conv 8→8 stride 2 → 4×4, bias
    + 8 * 16  # ReLU
    + 4 * 8 * 4  # avg pool 2 → 2×2
    + (2 + 1) * (2 + 1) * 8  # global pool on 2×2
    + 8 * 10  # linear, bias not counted
)


def _case(name: str):
    torch.manual_seed(CASES.index(name))
    if name.startswith("nb201"):
        arch = NB201_ARCHS[int(name[-1])]
        model = nb201.build(arch, 10, input_size=8).double()
        x = torch.randn(10, 3, 8, 8, dtype=torch.float64)
        flops = nb201.analytic_counts(arch, 10, input_size=8)[1] / 1e6
    elif name == "mlp":
        model = mlp().double()
        x = torch.randn(10, 3, 4, 4, dtype=torch.float64)
        flops = MLP_FLOPS / 1e6
    else:
        model = cnn().double()
        x = torch.randn(10, 3, 8, 8, dtype=torch.float64)
        flops = CNN_FLOPS / 1e6
    y = torch.tensor(LABELS)
    return model, x, y, flops


CASES = ["nb201_0", "nb201_1", "nb201_2", "mlp", "cnn"]


@pytest.fixture(scope="module", params=CASES)
def case(request):
    model, x, y, flops = _case(request.param)
    fused = metrics.compute(model, x, y)
    return request.param, model, x, y, flops, fused


REFERENCES: dict[str, Callable] = {
    "grad_norm": lambda m, x, y: ref_grad_norm(m, x, y),
    "snip": lambda m, x, y: ref_snip(m, x, y),
    "plain": lambda m, x, y: ref_plain(m, x, y),
    "fisher": lambda m, x, y: ref_fisher(m, x, y),
    "grasp": lambda m, x, y: ref_grasp(m, x, y),
    "jacov": lambda m, x, y: ref_jacov(m, x),
    "epe_nas": lambda m, x, y: ref_epe_nas(m, x, y, 10),
    "nwot": lambda m, x, y: ref_nwot(m, x),
    "synflow": lambda m, x, y: ref_synflow(m, x),
    "zen": lambda m, x, y: ref_zen(m, x, 0),
    "swap": lambda m, x, y: ref_swap(m, x),
    "l2_norm": lambda m, x, y: ref_l2(m),
    "params": lambda m, x, y: ref_params(m),
}


@pytest.mark.parametrize("proxy", sorted(REFERENCES))
def test_fused_proxy_equals_definition(case, proxy: str) -> None:
    name, model, x, y, _flops, fused = case
    if name == "mlp" and proxy == "zen":
        # zen reads the pre-pooling feature map, which an MLP does not have: it is left out of
        # "every proxy" and refused when asked for, never computed on the logits instead
        assert "zen" not in fused
        with pytest.raises(InvalidValueError, match=r"^proxies: .*zen .*pre-pooling"):
            metrics.compute(model, x, y, ["zen"])
        return
    expected = REFERENCES[proxy](model, x, y)
    assert math.isfinite(expected) and expected != SENTINEL, (name, proxy, expected)
    assert fused[proxy] == pytest.approx(expected, rel=RTOL, abs=1e-12), (name, proxy)
    if name in ("nb201_0", "mlp", "cnn"):
        # and the same proxy computed alone (only the passes it needs) agrees too
        alone = metrics.compute(model, x, y, [proxy])[proxy]
        assert alone == pytest.approx(expected, rel=RTOL, abs=1e-12), (name, proxy)


def test_flops_equal_hand_count(case) -> None:
    name, _model, _x, _y, flops, fused = case
    assert fused["flops"] == pytest.approx(flops, rel=0, abs=1e-12), name


def test_every_proxy_is_checked() -> None:
    assert set(REFERENCES) | {"flops"} == set(metrics.PROXIES)


def test_reference_style_path_agrees(case) -> None:
    """``fused=False`` (the benchmark's baseline: each proxy on its own copy) agrees too."""
    name, model, x, y, _flops, fused = case
    if name not in ("nb201_2", "mlp", "cnn"):
        pytest.skip("checked on one NB201 network, the MLP and the CNN (time)")
    sep = metrics.compute(model, x, y, fused=False)
    assert set(sep) == set(fused)
    for p in fused:
        assert sep[p] == pytest.approx(fused[p], rel=RTOL, abs=1e-12), (name, p)


def test_swap_on_a_larger_batch_uses_the_first_samples() -> None:
    model, _x, y, _ = _case("nb201_1")
    x = torch.randn(20, 3, 8, 8, dtype=torch.float64)
    yy = torch.cat([y, y])
    got = metrics.compute(model, x, yy, ["swap", "nwot"], swap_samples=16)
    assert got["swap"] == ref_swap(model, x, 16)
    assert got["swap"] != ref_swap(model, x, 20)
    assert got["nwot"] == pytest.approx(ref_nwot(model, x), rel=RTOL)
    reg = metrics.compute(model, x, yy, ["swap"], swap_mu=100.0, swap_sigma=5000.0)["swap"]
    p = sum(q.numel() for q in model.parameters())
    assert reg == pytest.approx(got["swap"] * math.exp(-((p / 1e3 - 100.0) ** 2) / 5000.0))


def test_epe_nas_branch_above_100_classes() -> None:
    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 120)).double()
    x = torch.randn(10, 3, 2, 2, dtype=torch.float64)
    y = torch.tensor([5, 5, 5, 7, 7, 9, 110, 110, 110, 3])  # class 9 and 3 have one sample
    got = metrics.compute(model, x, y, ["epe_nas"])["epe_nas"]
    assert got == pytest.approx(ref_epe_nas(model, x, y, 120), rel=RTOL)


def test_disconnected_cell_gives_reference_values() -> None:
    """A cell whose output ignores its input: synflow/grad_norm/snip 0, jacov the sentinel."""
    torch.manual_seed(0)
    model = nb201.build((1, 1, 1, 1, 1, 1), 10, input_size=8)
    x = torch.randn(8, 3, 8, 8)
    y = torch.arange(8)
    got = metrics.compute(model, x, y, ["synflow", "grad_norm", "snip", "jacov", "epe_nas"])
    assert got["synflow"] == 0.0
    assert got["grad_norm"] == 0.0
    assert got["snip"] == 0.0
    assert got["jacov"] == SENTINEL
    assert got["epe_nas"] == SENTINEL


def test_synflow_is_float64_even_for_float32_models() -> None:
    """float32 overflows on large nets; synflow's pass runs in float64 whatever the model."""
    torch.manual_seed(1)
    deep = nn.Sequential(*[nn.Linear(64, 64) for _ in range(40)], nn.Linear(64, 10))
    with torch.no_grad():
        for m in deep:
            m.weight.fill_(1.0)
    x = torch.randn(4, 64)
    got = metrics.compute(deep, x, torch.arange(4), ["synflow"])["synflow"]
    # R = 10·64^41 (plus bias paths), far above float32's max ~3.4e38
    assert got > math.log(3.4e38)
    assert got == pytest.approx(ref_synflow(deep, x), rel=RTOL)
