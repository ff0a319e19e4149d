"""One proxy at a time, each with its own passes, the way the reference implementation runs them.

Every proxy gets its own deep copy of the model (the reference's ``get_prunable_copy``), its own
forward(s) and backward(s) with ``.backward()`` on that copy, and its own hooks.  This is what
``compute(..., fused=False)`` runs: the baseline the fused engine is measured against, and an
independent cross-check of its results.
"""

from __future__ import annotations

import copy
import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from zcfast.metrics._common import (
    finite_or_sentinel,
    split_first,
)
from zcfast.metrics._engine import (
    Setup,
    _synflow_pass,
    _zen_pass,
    epe_score,
    is_relu_like,
    jacov_score,
    swap_regular_factor,
)
from zcfast.metrics._static import count_flops, count_params


def _copy(model: nn.Module) -> nn.Module:
    net = copy.deepcopy(model)
    for p in net.parameters():
        p.grad = None
    net.train()
    return net


def _layers(net: nn.Module) -> list[nn.Conv2d | nn.Linear]:
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _logits(net: nn.Module, x: torch.Tensor, opts: Setup) -> torch.Tensor:
    """``net(x)``, checked to be the task's outputs."""
    return opts.check_output(net(x), int(x.shape[0]))


def _total(values: list[torch.Tensor]) -> float:
    return math.fsum(float(v.detach()) for v in values)


def _backward(net: nn.Module, x: torch.Tensor, y: torch.Tensor, opts: Setup) -> None:
    for m in _layers(net):
        m.weight.requires_grad_(True)
    net.zero_grad()
    loss = opts.loss_fn(_logits(net, x, opts), y)
    loss.backward()


def grad_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, opts: Setup) -> float:
    net = _copy(model)
    _backward(net, x, y, opts)
    return _total([m.weight.grad.norm() for m in _layers(net) if m.weight.grad is not None])


def plain(model: nn.Module, x: torch.Tensor, y: torch.Tensor, opts: Setup) -> float:
    net = _copy(model)
    _backward(net, x, y, opts)
    return _total(
        [(m.weight.grad * m.weight).sum() for m in _layers(net) if m.weight.grad is not None]
    )


def _snip_conv(self: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    return F.conv2d(
        x,
        self.weight * self.weight_mask,  # type: ignore[operator]
        self.bias,
        self.stride,
        self.padding,
        self.dilation,
        self.groups,
    )


def _snip_linear(self: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    return F.linear(x, self.weight * self.weight_mask, self.bias)  # type: ignore[operator]


def snip(model: nn.Module, x: torch.Tensor, y: torch.Tensor, opts: Setup) -> float:
    net = _copy(model)
    for m in _layers(net):
        m.weight_mask = nn.Parameter(torch.ones_like(m.weight))
        m.weight.requires_grad_(False)
        fwd = _snip_conv if isinstance(m, nn.Conv2d) else _snip_linear
        m.forward = types.MethodType(fwd, m)  # type: ignore[method-assign]
    net.zero_grad()
    opts.loss_fn(_logits(net, x, opts), y).backward()
    masks = [getattr(m, "weight_mask") for m in _layers(net)]  # noqa: B009
    return _total([w.grad.abs().sum() for w in masks if w.grad is not None])


def fisher(model: nn.Module, x: torch.Tensor, y: torch.Tensor, opts: Setup) -> float:
    net = _copy(model)
    store: dict[nn.Module, Any] = {}

    def fwd_hook(mod: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        act = output.detach()

        def grad_hook(grad: torch.Tensor) -> None:
            prod = act * grad.detach()
            g_nk = prod.sum(dim=tuple(range(2, prod.dim()))) if prod.dim() > 2 else prod
            del_k = g_nk.pow(2).mean(0).mul(0.5)
            store[mod] = del_k if mod not in store else store[mod] + del_k

        output.register_hook(grad_hook)

    layers = _layers(net)
    handles = [m.register_forward_hook(fwd_hook) for m in layers]
    try:
        _backward(net, x, y, opts)
    finally:
        for h in handles:
            h.remove()
    total = 0.0
    for m in layers:
        if m in store:
            total += float(store[m].abs().sum()) * int(m.weight[0].numel())
    return total


def grasp(model: nn.Module, x: torch.Tensor, y: torch.Tensor, opts: Setup) -> float:
    net = _copy(model)
    layers = _layers(net)
    weights = [m.weight for m in layers]
    for w in weights:
        w.requires_grad_(True)
    net.zero_grad()
    loss = opts.loss_fn(_logits(net, x, opts), y)
    grad_w = torch.autograd.grad(loss, weights, allow_unused=True)
    loss = opts.loss_fn(_logits(net, x, opts), y)
    grad_f = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
    z: Any = 0
    for gw, gf in zip(grad_w, grad_f):
        if gw is not None and gf is not None:
            z = z + (gw.data * gf).sum()
    if isinstance(z, torch.Tensor) and z.requires_grad:
        z.backward()
    return float(
        sum(
            float((-m.weight.data * m.weight.grad).sum())
            for m in layers
            if m.weight.grad is not None
        )
    )


def _jacobian(model: nn.Module, x: torch.Tensor, opts: Setup) -> tuple[np.ndarray, int]:
    net = _copy(model)
    net.zero_grad()
    xg = x.detach().clone().requires_grad_(True)
    out = _logits(net, xg, opts)
    if out.requires_grad:
        out.backward(torch.ones_like(out))
    grad = torch.zeros_like(xg) if xg.grad is None else xg.grad  # output ignores the input
    return grad.detach().flatten(1).to("cpu", torch.float64).numpy(), int(out.shape[1])


def jacov(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, opts: Setup) -> float:
    jac, _ = _jacobian(model, x, opts)
    return jacov_score(jac)


def epe_nas(model: nn.Module, x: torch.Tensor, y: torch.Tensor, opts: Setup) -> float:
    jac, n_classes = _jacobian(model, x, opts)
    return epe_score(jac, y.cpu().numpy(), n_classes)


def nwot(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, opts: Setup) -> float:
    net = _copy(model)
    n = x.shape[0]
    K = np.zeros((n, n))

    def hook(mod: nn.Module, inputs: Any, output: Any) -> None:
        nonlocal K
        inp = split_first(inputs).detach().reshape(n, -1)
        b = (inp > 0).float()
        K = K + (b @ b.t()).cpu().numpy() + ((1.0 - b) @ (1.0 - b.t())).cpu().numpy()

    handles = [m.register_forward_hook(hook) for m in net.modules() if is_relu_like(m)]
    try:
        net(x)  # the reference runs this forward with autograd on
    finally:
        for h in handles:
            h.remove()
    _s, logdet = np.linalg.slogdet(K)
    return float(logdet)


def synflow(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, opts: Setup) -> float:
    s = float(np.sum(_synflow_pass(_copy(model), x)))
    if s == 0.0:
        return 0.0
    if not math.isfinite(s):
        return math.nan
    return math.log(s) if s > 0 else -math.log(-s)


def zen(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, opts: Setup) -> float:
    return _zen_pass(_copy(model), x, opts.seed, opts.features)[0]


def swap(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, opts: Setup) -> float:
    net = _copy(model)
    xs = x[: max(1, min(int(opts.swap_samples), x.shape[0]))]
    feats: list[torch.Tensor] = []

    def hook(mod: nn.Module, inputs: Any, output: torch.Tensor) -> None:
        if isinstance(inputs, tuple) and inputs[0].dim() == 4:
            feats.append(output.detach())

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            net(xs)
    finally:
        for h in handles:
            h.remove()
    if not feats:
        count = 0
    else:
        acts = torch.cat([f.view(xs.shape[0], -1) for f in feats], 1)
        count = int(torch.unique(torch.sign(acts).T, dim=0).shape[0])
    return count * swap_regular_factor(count_params(model), opts.swap_mu, opts.swap_sigma)


def l2_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, opts: Setup) -> float:
    return float(sum(float(m.weight.detach().norm()) for m in _layers(model)))


def params(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, opts: Setup) -> float:
    return count_params(model) / 1e6


def flops(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, opts: Setup) -> float:
    return count_flops(model, tuple(x.shape[1:])) / 1e6


IMPLS: dict[str, Callable[..., float]] = {
    "epe_nas": epe_nas,
    "fisher": fisher,
    "flops": flops,
    "grad_norm": grad_norm,
    "grasp": grasp,
    "jacov": jacov,
    "l2_norm": l2_norm,
    "nwot": nwot,
    "params": params,
    "plain": plain,
    "snip": snip,
    "swap": swap,
    "synflow": synflow,
    "zen": zen,
}


def compute_separately(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | None,
    proxies: list[str],
    opts: Setup,
) -> dict[str, float]:
    """Each proxy on its own deep copy with its own passes (reference style)."""
    out: dict[str, float] = {}
    for name in proxies:
        try:
            value = IMPLS[name](model, x, y, opts)
        except np.linalg.LinAlgError:
            value = math.nan
        out[name] = finite_or_sentinel(value)
    return out
