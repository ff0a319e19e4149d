"""The fused metric engine: one instrumented forward/backward plus the cheap separate passes.

Pass A (one forward, on the caller's model in train mode, state restored afterwards):

* forward hooks on ReLUs reduce the binary codes of their inputs straight into the nwot kernel
  ``K`` (one ``B×B`` matmul per ReLU, nothing stored);
* forward hooks on Conv2d/Linear register tensor hooks on their outputs that reduce
  ``act ⊙ ∂L/∂act`` to fisher's per-channel term during the loss backward;
* ``g = ∂L/∂W`` by ``autograd.grad`` (never touching ``.grad``), with ``create_graph`` when grasp
  is wanted, so that ``H g`` is one more backward of ``Σ stop_grad(g)·g`` (grasp's two forwards
  in the reference give identical outputs in train mode, so one suffices);
* the input gradient of ``Σ logits`` (jacov, epe_nas) is one more backward through the same
  graph;
* per-sample FLOPs are read off the same forward.

Separate passes, only when their proxies are requested: synflow (deep copy, float64, ``|θ|``,
BatchNorm bypassed, one all-ones sample), zen (deep copy with Gaussian init, two no-grad
forwards on Gaussian inputs) and swap (a no-grad forward of the first ``swap_samples`` samples;
shared with pass A when the batch is not larger than that).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call
from torch.nn.modules.batchnorm import _BatchNorm

from zcfast.metrics._common import (
    LABEL_PROXIES,
    PROXIES,
    LossFn,
    check_label_range,
    check_logits,
    finite_or_sentinel,
    make_generator,
    split_first,
    weight_layers,
)
from zcfast.metrics._static import flops_hook

PASS_A = frozenset({"grad_norm", "snip", "plain", "fisher", "grasp", "jacov", "epe_nas", "nwot"})
WEIGHT_GRAD = frozenset({"grad_norm", "snip", "plain", "fisher", "grasp"})
JACOBIAN = frozenset({"jacov", "epe_nas"})


@dataclass
class Options:
    """Settings of one metric computation."""

    loss_fn: LossFn
    integer_labels: bool = True
    seed: int = 0
    swap_samples: int = 16
    swap_mu: float | None = None
    swap_sigma: float | None = None


@dataclass
class Result:
    """Scalars (proxy → value) and, when asked for, per-layer records."""

    scalars: dict[str, float] = field(default_factory=dict)
    layers: dict[str, list[Any]] | None = None


_RELU_TYPES = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU)


def is_relu_like(m: nn.Module) -> bool:
    """nwot's ReLU test: PyTorch's ReLU activation modules (ReLU, ReLU6, LeakyReLU, PReLU, RReLU).

    The reference tests ``"ReLU" in str(type(module))`` and excludes its own containers (e.g.
    ``ReLUConvBN``); an explicit type test gives the same set without the name trick.
    """
    return isinstance(m, _RELU_TYPES)


# ----------------------------------------------------------------------------------------------
# Jacobian scores (numpy, float64: the reference's np.corrcoef / eigen-decomposition)


def jacov_score(jac: np.ndarray) -> float:
    """``-Σ[ln(λ+1e-5) + 1/(λ+1e-5)]`` over the eigenvalues of ``corrcoef(jac)``."""
    if jac.shape[0] < 2:
        return math.nan
    with np.errstate(all="ignore"):
        corrs = np.corrcoef(jac)
    if not np.all(np.isfinite(corrs)):
        return math.nan
    v = np.linalg.eigvalsh((corrs + corrs.T) * 0.5)
    k = 1e-5
    with np.errstate(all="ignore"):
        return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))


def epe_score(jac: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    """EPE-NAS: per-class ``Σ ln(|corrcoef| + 1e-5)``, combined as the reference does.

    ``n_classes <= 100``: ``Σ_c |s_c|``; otherwise ``s_c`` is divided by the class's sample
    count and the score is ``Σ_c Σ_c' |s_c − s_c'| / #classes`` (classes with a single sample
    are skipped in that branch, as in the reference).
    """
    k = 1e-5
    rows: dict[int, list[int]] = {}
    for i, lab in enumerate(labels.tolist()):
        rows.setdefault(int(lab), []).append(i)
    scores: dict[int, float] = {}
    with np.errstate(all="ignore"):
        for c, idx in rows.items():
            block = jac[idx] if len(idx) > 1 else jac[idx[0]]
            corrs = np.asarray(np.corrcoef(block))
            s = float(np.sum(np.log(np.abs(corrs) + k)))
            if n_classes > 100:
                if corrs.ndim == 0:
                    continue
                s /= len(corrs)
            scores[c] = s
    if n_classes <= 100:
        return float(sum(abs(s) for s in scores.values()))
    vals = list(scores.values())
    if not vals:
        return 0.0
    total = sum(abs(a - b) for a in vals for b in vals)
    return float(total / len(vals))


# ----------------------------------------------------------------------------------------------
# SWAP: bit-packed per-neuron sign patterns


def pack_patterns(active: torch.Tensor) -> torch.Tensor:
    """``(n, D)`` booleans → one code row per neuron: ``(D,)`` int64 or ``(D, words)``."""
    n = active.shape[0]
    words = []
    for start in range(0, n, 52):
        chunk = active[start : start + 52]
        w = torch.pow(
            torch.tensor(2.0, dtype=torch.float64, device=active.device),
            torch.arange(chunk.shape[0], device=active.device, dtype=torch.float64),
        )
        words.append((w @ chunk.to(torch.float64)).to(torch.int64))
    return words[0] if len(words) == 1 else torch.stack(words, dim=1)


def count_distinct(codes: torch.Tensor) -> int:
    if codes.numel() == 0:
        return 0
    if codes.dim() == 1:
        return int(torch.unique(codes).numel())
    return int(torch.unique(codes, dim=0).shape[0])


def swap_regular_factor(n_params: int, mu: float | None, sigma: float | None) -> float:
    """SWAP's size regulariser ``exp(-(P/1e3 - μ)² / σ)`` (1 when μ or σ is None)."""
    if mu is None or sigma is None:
        return 1.0
    return math.exp(-((n_params / 1e3 - mu) ** 2) / sigma)


# ----------------------------------------------------------------------------------------------


class _PassA:
    """Hooks and reductions of the shared forward/backward."""

    def __init__(
        self,
        model: nn.Module,
        need: set[str],
        want_layers: bool,
        swap_n: int,
        share_swap: bool,
        count_flops: bool,
    ) -> None:
        self.model = model
        self.need = need
        self.want_layers = want_layers
        self.swap_n = swap_n
        self.share_swap = share_swap
        self.count_flops = count_flops
        self.fisher_on = False
        self.fisher: dict[nn.Module, torch.Tensor] = {}
        self.calls: dict[nn.Module, int] = {}
        self.K: torch.Tensor | None = None
        self.relu_stats: dict[nn.Module, list[Any]] = {}
        self.bn_var: dict[nn.Module, torch.Tensor] = {}
        self.swap_codes: list[torch.Tensor] = []
        self.swap_layer: dict[nn.Module, int] = {}
        self.flops: dict[nn.Module, int] = {}
        self.handles: list[Any] = []

    # hooks -----------------------------------------------------------------------------------
    def _weight_hook(self, mod: nn.Module, inputs: Any, output: Any) -> None:
        self.calls[mod] = self.calls.get(mod, 0) + 1
        if "fisher" not in self.need or not isinstance(output, torch.Tensor):
            return
        if not output.requires_grad:
            return
        act = output.detach()

        def tensor_hook(grad: torch.Tensor) -> None:
            if not self.fisher_on:
                return
            prod = act * grad.detach()
            g_nk = prod.sum(dim=tuple(range(2, prod.dim()))) if prod.dim() > 2 else prod
            del_k = g_nk.pow(2).mean(0).mul(0.5)
            prev = self.fisher.get(mod)
            self.fisher[mod] = del_k if prev is None else prev + del_k

        output.register_hook(tensor_hook)

    def _relu_hook(self, mod: nn.Module, inputs: Any, output: Any) -> None:
        self.calls[mod] = self.calls.get(mod, 0) + 1
        inp = split_first(inputs)
        if not isinstance(inp, torch.Tensor):
            return
        if "nwot" in self.need or self.want_layers:
            codes = inp.detach().flatten(1) > 0
            d = codes.shape[1]
            mm = torch.float64 if d >= 2**24 or inp.dtype == torch.float64 else torch.float32
            s = codes.to(mm).mul_(2).sub_(1)
            k = (s @ s.T).to(torch.float64).add_(d).mul_(0.5)
            self.K = k if self.K is None else self.K + k
            if self.want_layers:
                st = self.relu_stats.setdefault(mod, [0.0, 0, None])
                st[0] += float(codes.sum()) / codes.numel() if codes.numel() else 0.0
                st[1] = d
                kk = k if st[2] is None else st[2] + k
                st[2] = kk
        if self.share_swap:
            self._swap_collect(mod, inputs, output)

    def _swap_collect(self, mod: nn.Module, inputs: Any, output: Any) -> None:
        inp = split_first(inputs)
        if not isinstance(mod, nn.ReLU) or not isinstance(inp, torch.Tensor) or inp.dim() != 4:
            return
        out = output.detach()[: self.swap_n].flatten(1) > 0
        codes = pack_patterns(out)
        self.swap_codes.append(codes)
        if self.want_layers:
            self.swap_layer[mod] = count_distinct(codes)

    def _bn_hook(self, mod: nn.Module, inputs: Any, output: Any) -> None:
        self.calls[mod] = self.calls.get(mod, 0) + 1
        inp = split_first(inputs)
        if isinstance(inp, torch.Tensor) and inp.dim() >= 2 and inp.shape[0] > 1:
            dims = [0, *range(2, inp.dim())]
            v = inp.detach().var(dim=dims, unbiased=False).mean()
            self.bn_var[mod] = v

    def install(self) -> None:
        for m in self.model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                self.handles.append(m.register_forward_hook(self._weight_hook))
            elif is_relu_like(m):
                self.handles.append(m.register_forward_hook(self._relu_hook))
            elif isinstance(m, _BatchNorm) and self.want_layers:
                self.handles.append(m.register_forward_hook(self._bn_hook))
            if self.count_flops:
                self.handles.append(m.register_forward_hook(flops_hook(self.flops)))

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []


def run(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | None,
    proxies: list[str],
    opts: Options,
    *,
    want_layers: bool = False,
) -> Result:
    """Compute ``proxies`` on ``model`` (already on the right device/dtype, state guarded)."""
    need = set(PROXIES) if want_layers else set(proxies)
    n = int(x.shape[0])
    layers = weight_layers(model)
    weights = [m.weight for _, m in layers]
    res = Result()
    swap_n = max(1, min(int(opts.swap_samples), n))
    run_a = bool(need & PASS_A) or want_layers
    share_swap = "swap" in need and run_a and n <= swap_n
    need_flops = "flops" in need

    # zen and synflow first: they read the model's buffers, and pass A updates BN statistics
    # ---------------- synflow ----------------
    syn_layers: list[float] = []
    if "synflow" in need:
        syn_layers = _synflow_pass(model, x)
        s = float(np.sum(syn_layers)) if syn_layers else 0.0
        if s == 0.0:
            res.scalars["synflow"] = 0.0
        elif not math.isfinite(s):
            res.scalars["synflow"] = math.nan
        else:
            res.scalars["synflow"] = math.log(s) if s > 0 else -math.log(-s)

    # ---------------- zen ----------------
    zen_bn: dict[str, float] = {}
    if "zen" in need:
        res.scalars["zen"], zen_bn = _zen_pass(model, x, opts.seed)

    # ---------------- pass A ----------------
    per: dict[str, list[Any]] = {}
    grads: list[torch.Tensor | None] = [None] * len(layers)
    hgs: list[torch.Tensor | None] = [None] * len(layers)
    A: _PassA | None = None
    jac: np.ndarray | None = None
    flops_total: int | None = None
    if run_a:
        A = _PassA(model, need, want_layers, swap_n, share_swap, need_flops)
        model.train()
        for w in weights:
            w.requires_grad_(True)
        need_w = bool(need & WEIGHT_GRAD)
        need_jac = bool(need & JACOBIAN)
        need_grasp = "grasp" in need
        xin = x.detach().clone().requires_grad_(need_jac)
        A.install()
        try:
            A.fisher_on = False
            logits = check_logits(model(xin), n)
        finally:
            A.remove()
        n_cls = int(logits.shape[1])
        if need_flops:
            flops_total = int(sum(A.flops.values()))
        if y is not None and opts.integer_labels:
            check_label_range(y, int(logits.shape[1]))
        if need_w:
            assert y is not None
            loss = opts.loss_fn(logits, y)
            A.fisher_on = True
            try:
                g = torch.autograd.grad(
                    loss,
                    weights,
                    create_graph=need_grasp,
                    retain_graph=need_grasp or need_jac,
                    allow_unused=True,
                )
            finally:
                A.fisher_on = False
            grads = list(g)
        if need_jac:
            (jt,) = torch.autograd.grad(logits.sum(), xin, retain_graph=need_grasp)
            jac = jt.detach().flatten(1).to("cpu", torch.float64).numpy()
        if need_grasp:
            z: torch.Tensor | None = None
            for gi in grads:
                if gi is not None and gi.requires_grad:
                    term = (gi.detach() * gi).sum()
                    z = term if z is None else z + term
            if z is not None:
                hgs = list(torch.autograd.grad(z, weights, allow_unused=True))
        del logits, xin

        # per-layer weight quantities (stacked: one transfer at the end)
        zero = torch.zeros((), dtype=torch.float64, device=x.device)
        cols: dict[str, list[torch.Tensor]] = {
            k: [] for k in ("weight_norm", "grad_norm", "wg_sum", "wg_abs_sum", "fisher", "grasp")
        }
        with torch.no_grad():
            for (_, m), w, gi, hi in zip(layers, weights, grads, hgs):
                wd = w.detach()
                cols["weight_norm"].append(wd.norm().to(torch.float64))
                if gi is not None:
                    gd = gi.detach()
                    wg = wd * gd
                    cols["grad_norm"].append(gd.norm().to(torch.float64))
                    cols["wg_sum"].append(wg.sum().to(torch.float64))
                    cols["wg_abs_sum"].append(wg.abs().sum().to(torch.float64))
                else:
                    cols["grad_norm"].append(zero)
                    cols["wg_sum"].append(zero)
                    cols["wg_abs_sum"].append(zero)
                fk = A.fisher.get(m)
                fan_in = int(wd[0].numel()) if wd.dim() > 0 and wd.shape[0] else 0
                if fk is not None:
                    cols["fisher"].append(fk.abs().sum().to(torch.float64) * fan_in)
                else:
                    cols["fisher"].append(zero)
                if hi is not None:
                    cols["grasp"].append(-(wd * hi.detach()).sum().to(torch.float64))
                else:
                    cols["grasp"].append(zero)
            if layers:
                stacked = torch.stack([torch.stack(v) for v in cols.values()]).cpu().numpy()
            else:  # pragma: no cover - models are checked for weight layers
                stacked = np.zeros((len(cols), 0))
        for i, key in enumerate(cols):
            per[key] = stacked[i].tolist()
        if "grad_norm" in need:
            res.scalars["grad_norm"] = float(np.sum(stacked[1]))
        if "plain" in need:
            res.scalars["plain"] = float(np.sum(stacked[2]))
        if "snip" in need:
            res.scalars["snip"] = float(np.sum(stacked[3]))
        if "fisher" in need:
            res.scalars["fisher"] = float(np.sum(stacked[4]))
        if "grasp" in need:
            res.scalars["grasp"] = float(np.sum(stacked[5]))
        if "nwot" in need:
            if A.K is None:
                res.scalars["nwot"] = math.nan
            else:
                _sign, logdet = np.linalg.slogdet(A.K.cpu().numpy())
                res.scalars["nwot"] = float(logdet)
        if jac is not None:
            if "jacov" in need:
                res.scalars["jacov"] = jacov_score(jac)
            if "epe_nas" in need:
                assert y is not None
                res.scalars["epe_nas"] = epe_score(jac, y.cpu().numpy(), n_cls)
    else:
        per = {}

    # ---------------- swap ----------------
    swap_codes: list[torch.Tensor] = []
    swap_layer: dict[nn.Module, int] = {}
    if "swap" in need:
        if share_swap and A is not None:
            swap_codes, swap_layer = A.swap_codes, A.swap_layer
        else:
            swap_codes, swap_layer = _swap_pass(model, x[:swap_n], swap_n, want_layers)
        if swap_codes:
            allc = torch.cat(swap_codes, dim=0)
            count = count_distinct(allc)
        else:
            count = 0
        factor = swap_regular_factor(
            sum(p.numel() for p in model.parameters()), opts.swap_mu, opts.swap_sigma
        )
        res.scalars["swap"] = float(count) * factor

    # ---------------- static ----------------
    if "l2_norm" in need:
        with torch.no_grad():
            if "weight_norm" in per:
                res.scalars["l2_norm"] = float(np.sum(per["weight_norm"]))
            else:
                norms = [w.detach().norm().to(torch.float64) for w in weights]
                res.scalars["l2_norm"] = float(torch.stack(norms).sum().cpu())
    if "params" in need:
        res.scalars["params"] = sum(p.numel() for p in model.parameters()) / 1e6
    if need_flops:
        if flops_total is None:
            sink: dict[nn.Module, int] = {}
            handles = [m.register_forward_hook(flops_hook(sink)) for m in model.modules()]
            try:
                with torch.no_grad():
                    model.eval()
                    model(x[:1])
            finally:
                for h in handles:
                    h.remove()
            flops_total = int(sum(sink.values()))
            A_flops = sink
        else:
            assert A is not None
            A_flops = A.flops
        res.scalars["flops"] = flops_total / 1e6
    else:
        A_flops = {}

    res.scalars = {k: finite_or_sentinel(res.scalars[k]) for k in proxies if k in res.scalars}

    if want_layers:
        assert A is not None
        res.layers = _layer_table(model, layers, per, syn_layers, A, swap_layer, zen_bn, A_flops)
    return res


def _swap_pass(
    model: nn.Module, xs: torch.Tensor, swap_n: int, want_layers: bool
) -> tuple[list[torch.Tensor], dict[nn.Module, int]]:
    codes: list[torch.Tensor] = []
    per: dict[nn.Module, int] = {}

    def hook(mod: nn.Module, inputs: Any, output: Any) -> None:
        inp = split_first(inputs)
        if not isinstance(inp, torch.Tensor) or inp.dim() != 4:
            return
        c = pack_patterns(output.detach().flatten(1) > 0)
        codes.append(c)
        if want_layers:
            per[mod] = count_distinct(c)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        model.train()
        with torch.no_grad():
            model(xs)
    finally:
        for h in handles:
            h.remove()
    return codes, per


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


@contextlib.contextmanager
def _batchnorm_bypassed(model: nn.Module) -> Iterator[None]:
    """Temporarily make every BatchNorm of ``model`` an identity (instance ``forward``)."""
    saved: list[tuple[nn.Module, Any]] = []
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            saved.append((m, m.__dict__.get("forward", _MISSING)))
            m.forward = _identity.__get__(m)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for m, old in saved:
            if old is _MISSING:
                del m.forward
            else:
                m.forward = old


_MISSING = object()


def _identity(self: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return x


def _synflow_pass(model: nn.Module, x: torch.Tensor) -> list[float]:
    """Per-layer ``Σ|W ⊙ ∂R/∂W|`` (R = Σ outputs, all-ones input, |θ|, float64, no BN).

    Runs ``model`` functionally (``torch.func.functional_call``) on float64 copies of its
    parameters and buffers, so the caller's tensors are never touched and nothing is deep-copied.
    """
    f64 = torch.float64
    layers = weight_layers(model)
    names = {id(p): n for n, p in model.named_parameters()}
    params: dict[str, torch.Tensor] = {}
    for n, p in model.named_parameters():
        t = p.detach().abs().to(f64) if p.is_floating_point() else p.detach()
        params[n] = t
    wnames = [names.get(id(m.weight)) for _, m in layers]
    for wn in wnames:
        if wn is not None:
            params[wn] = params[wn].clone().requires_grad_(True)
    buffers = {
        n: (b.detach().abs().to(f64) if b.is_floating_point() else b.detach().clone())
        for n, b in model.named_buffers()
    }
    ones = torch.ones((1, *x.shape[1:]), dtype=f64, device=x.device)
    model.train()
    with _batchnorm_bypassed(model):
        out = functional_call(model, (params, buffers), (ones,))
    out = out if isinstance(out, torch.Tensor) else split_first(out)
    ws = [params[wn] for wn in wnames if wn is not None]
    gs = torch.autograd.grad(out.sum(), ws, allow_unused=True) if ws else ()
    gmap = dict(zip([wn for wn in wnames if wn is not None], gs))
    with torch.no_grad():
        vals = []
        for wn in wnames:
            g = gmap.get(wn) if wn is not None else None
            if g is None:
                vals.append(torch.zeros((), dtype=f64, device=x.device))
            else:
                vals.append((params[wn] * g).abs().sum())  # type: ignore[index]
        return torch.stack(vals).cpu().tolist() if vals else []


def _zen_pass(model: nn.Module, x: torch.Tensor, seed: int) -> tuple[float, dict[str, float]]:
    """Zen score with Gaussian-initialised parameters; also the per-BN ``ln √mean(running_var)``.

    The Gaussian init (conv/linear weights ``N(0, 1)`` drawn in ``model.modules()`` order from a
    generator seeded ``seed``, biases 0, BatchNorm2d/GroupNorm affine ``(1, 0)``) and the two
    inputs (drawn next from the same generator) live in tensors passed to
    ``torch.func.functional_call``; the caller's parameters and buffers are not touched.
    """
    gen = make_generator(x.device, seed)
    dt = x.dtype
    params: dict[str, torch.Tensor] = {
        n: (p.detach().to(dt) if p.is_floating_point() else p.detach())
        for n, p in model.named_parameters()
    }
    names = {id(p): n for n, p in model.named_parameters()}
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                wn = names.get(id(m.weight))
                if wn is not None:
                    params[wn] = torch.empty_like(params[wn]).normal_(generator=gen)
                if m.bias is not None and id(m.bias) in names:
                    params[names[id(m.bias)]] = torch.zeros_like(params[names[id(m.bias)]])
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)) and m.affine:
                if id(m.weight) in names:
                    params[names[id(m.weight)]] = torch.ones_like(params[names[id(m.weight)]])
                if id(m.bias) in names:
                    params[names[id(m.bias)]] = torch.zeros_like(params[names[id(m.bias)]])
    buffers = {
        n: (b.detach().to(dt) if b.is_floating_point() else b.detach()).clone()
        for n, b in model.named_buffers()
    }
    feats: list[torch.Tensor] = []

    def pool_hook(mod: nn.Module, inputs: Any, output: Any) -> None:
        feats.append(split_first(inputs).detach())

    handles = [
        m.register_forward_hook(pool_hook)
        for m in model.modules()
        if isinstance(m, nn.AdaptiveAvgPool2d)
    ]
    model.train()
    try:
        with torch.no_grad():
            x1 = torch.randn(x.shape, generator=gen, device=x.device, dtype=dt)
            x2 = torch.randn(x.shape, generator=gen, device=x.device, dtype=dt)
            mix = x1 + 0.01 * x2
            feats.clear()
            o1 = functional_call(model, (params, buffers), (x1,))
            f1 = feats[-1] if feats else split_first(o1)
            feats.clear()
            o2 = functional_call(model, (params, buffers), (mix,))
            f2 = feats[-1] if feats else split_first(o2)
            score = (f1 - f2).abs().flatten(1).sum(1).mean()
            bn_names: list[str] = []
            terms: list[torch.Tensor] = []
            for name, m in model.named_modules():
                if isinstance(m, nn.BatchNorm2d) and m.running_var is not None:
                    rv = buffers[_join(name, "running_var")]
                    terms.append(torch.log(torch.sqrt(torch.mean(rv))).to(torch.float64))
                    bn_names.append(name)
            log_bn = torch.stack(terms).sum() if terms else torch.zeros((), dtype=torch.float64)
            total = torch.log(score.to(torch.float64)) + log_bn.to(score.device)
            vals = torch.stack([total, *[t.to(score.device) for t in terms]]).cpu().tolist()
    finally:
        for h in handles:
            h.remove()
    return float(vals[0]), dict(zip(bn_names, (float(v) for v in vals[1:])))


def _layer_table(
    model: nn.Module,
    layers: Sequence[tuple[str, nn.Module]],
    per: dict[str, list[Any]],
    syn: list[float],
    A: _PassA,
    swap_layer: dict[nn.Module, int],
    zen_bn: dict[str, float],
    flops: dict[nn.Module, int],
) -> dict[str, list[Any]]:
    nan = math.nan
    table: dict[str, list[Any]] = {
        c: []
        for c in (
            "layer",
            "kind",
            "order",
            "calls",
            "fan_in",
            "fan_out",
            "n_params",
            "flops",
            "weight_norm",
            "grad_norm",
            "wg_sum",
            "wg_abs_sum",
            "fisher",
            "grasp",
            "synflow",
            "act_units",
            "act_pos_frac",
            "nwot_logdet",
            "swap_patterns",
            "bn_var_mean",
            "zen_bn",
        )
    }
    li = {m: i for i, (_, m) in enumerate(layers)}
    for order, (name, m) in enumerate(model.named_modules()):
        if m in li:
            kind = "conv" if isinstance(m, nn.Conv2d) else "linear"
        elif is_relu_like(m):
            kind = "relu"
        elif isinstance(m, _BatchNorm):
            kind = "bn"
        else:
            continue
        row: dict[str, Any] = dict.fromkeys(table, nan)
        row.update(
            layer=name,
            kind=kind,
            order=order,
            calls=A.calls.get(m, 0),
            fan_in=0,
            fan_out=0,
            n_params=sum(p.numel() for p in m.parameters(recurse=False)),
            flops=flops.get(m, 0),
            act_units=0,
            swap_patterns=0,
        )
        if kind in ("conv", "linear"):
            i = li[m]
            w = m.weight
            row.update(
                fan_in=int(w[0].numel()),
                fan_out=int(w.shape[0]),
                weight_norm=per["weight_norm"][i],
                grad_norm=per["grad_norm"][i],
                wg_sum=per["wg_sum"][i],
                wg_abs_sum=per["wg_abs_sum"][i],
                fisher=per["fisher"][i],
                grasp=per["grasp"][i],
                synflow=syn[i] if syn else nan,
            )
        elif kind == "relu":
            st = A.relu_stats.get(m)
            if st is not None and st[2] is not None:
                calls = max(A.calls.get(m, 1), 1)
                _s, ld = np.linalg.slogdet(st[2].cpu().numpy())
                row.update(
                    act_units=int(st[1]),
                    act_pos_frac=st[0] / calls,
                    nwot_logdet=float(ld) if math.isfinite(ld) else nan,
                )
            row["swap_patterns"] = int(swap_layer.get(m, 0))
        else:
            row["fan_out"] = int(getattr(m, "num_features", 0))
            v = A.bn_var.get(m)
            row["bn_var_mean"] = float(v) if v is not None else nan
            row["zen_bn"] = zen_bn.get(name, nan)
        for c in table:
            table[c].append(row[c])
    return table


def loss_or_default(loss_fn: Callable[..., Any] | None) -> LossFn:
    if loss_fn is None:
        return torch.nn.functional.cross_entropy
    return loss_fn


__all__ = ["LABEL_PROXIES", "Options", "Result", "run"]
