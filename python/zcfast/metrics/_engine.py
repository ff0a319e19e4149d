"""The fused metric engine: one instrumented forward/backward plus the cheap separate passes.

Pass A (one forward, on the caller's model in train mode, state restored afterwards):

* forward hooks on ReLUs reduce the binary codes of their inputs straight into the nwot kernel
  ``K`` (one ``B×B`` matmul per ReLU, nothing stored);
* forward hooks on the weight layers register tensor hooks on their outputs that reduce
  ``act ⊙ ∂L/∂act`` to fisher's per-channel term during the loss backward;
* ``g = ∂L/∂W`` by ``autograd.grad`` (never touching ``.grad``), with ``create_graph`` when grasp
  is wanted, so that ``H g`` is one more backward of ``Σ stop_grad(g)·g`` (grasp's two forwards
  in the reference give identical outputs in train mode, so one suffices);
* the input gradient of ``Σ logits`` (jacov, epe_nas) is one more backward through the same
  graph;
* per-sample FLOPs are read off the same forward.

Separate passes, only when their proxies are requested: synflow (float64, ``|θ|``, BatchNorm
bypassed, one all-ones sample, functional), zen (Gaussian init, two no-grad forwards on
Gaussian inputs, functional) and swap (a no-grad forward of the first ``swap_samples`` samples;
shared with pass A when the batch is not larger than that).

Layer mode (``want_layers``, :mod:`zcfast.metrics._layers`): the weights of every
``LAYER_KINDS`` layer get gradients (the scalar proxies still sum only the Conv2d/Linear ones),
the same pass-A hooks feed a :class:`LayerRecorder`, and two no-grad forwards (noise, data plus
noise) run before pass A.
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

from zcfast._params import fail
from zcfast.metrics._codes import count_distinct, hamming_kernel, pack_patterns, sign_gram
from zcfast.metrics._common import (
    LABEL_PROXIES,
    PROXIES,
    WEIGHT_LAYERS,
    LossFn,
    finite_or_sentinel,
    make_generator,
    split_first,
    table_layers,
    weight_layers,
)
from zcfast.metrics._layers import LayerRecorder, fan_in, layer_table, weight_columns, weight_of
from zcfast.metrics._static import flops_hook

PASS_A = frozenset({"grad_norm", "snip", "plain", "fisher", "grasp", "jacov", "epe_nas", "nwot"})
WEIGHT_GRAD = frozenset({"grad_norm", "snip", "plain", "fisher", "grasp"})
JACOBIAN = frozenset({"jacov", "epe_nas"})
#: What the layer table needs computed, whichever scalar proxies are asked for.
LAYER_NEEDS = frozenset({*WEIGHT_GRAD, "synflow"})
#: Scalar proxy → the :func:`weight_columns` column it is the Conv2d/Linear sum of.
SUMMED = {
    "grad_norm": "grad_norm",
    "plain": "wg_sum",
    "snip": "wg_abs_sum",
    "fisher": "fisher",
    "grasp": "grasp",
}


@dataclass
class Setup:
    """What the passes need to know of one computation: the loss, how to check the model's
    output (and the labels against it), whether labels are class indices of the output's
    classes (epe_nas groups by them), zen's feature module, and the options."""

    loss_fn: LossFn
    check_output: Callable[[torch.Tensor, int], torch.Tensor]
    class_labels: bool = True
    features: str | None = None
    seed: int = 0
    swap_samples: int = 16
    swap_mu: float | None = None
    swap_sigma: float | None = None


@dataclass
class Result:
    """Scalars (proxy → value) and, when asked for, the layer table's columns."""

    scalars: dict[str, float] = field(default_factory=dict)
    layers: dict[str, Any] | None = None


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
# SWAP


def swap_regular_factor(n_params: int, mu: float | None, sigma: float | None) -> float:
    """SWAP's size regulariser ``exp(-(P/1e3 - μ)² / σ)`` (1 when μ or σ is None)."""
    if mu is None or sigma is None:
        return 1.0
    return math.exp(-((n_params / 1e3 - mu) ** 2) / sigma)


# ----------------------------------------------------------------------------------------------
# Pass A


class _PassA:
    """Hooks of the shared forward/backward and what they reduce."""

    def __init__(
        self,
        need: set[str],
        grad_layers: Sequence[nn.Module],
        swap_n: int,
        share_swap: bool,
        count_flops: bool,
        recorder: LayerRecorder | None,
    ) -> None:
        self.need = need
        self.grad_layers = set(grad_layers)
        self.swap_n = swap_n
        self.share_swap = share_swap
        self.count_flops = count_flops
        self.recorder = recorder
        # tensor hooks on outputs also fire in the Jacobian and grasp backwards: only the loss
        # backward is wanted
        self.loss_backward = False
        self.fisher: dict[nn.Module, torch.Tensor] = {}
        self.K: torch.Tensor | None = None
        self.swap_codes: list[torch.Tensor] = []
        self.flops: dict[nn.Module, int] = {}
        self.handles: list[Any] = []

    def _weight_hook(self, mod: nn.Module, inputs: Any, output: Any) -> None:
        if self.recorder is not None:
            self.recorder.on_forward(mod, split_first(inputs), output)
        wants_grad = "fisher" in self.need or self.recorder is not None
        if not wants_grad or not isinstance(output, torch.Tensor) or not output.requires_grad:
            return
        act = output.detach()

        def tensor_hook(grad: torch.Tensor) -> None:
            if not self.loss_backward:
                return
            if "fisher" in self.need:
                self._add_fisher(mod, act, grad.detach())
            if self.recorder is not None:
                self.recorder.on_output_grad(mod, grad)

        output.register_hook(tensor_hook)

    def _add_fisher(self, mod: nn.Module, act: torch.Tensor, grad: torch.Tensor) -> None:
        prod = act * grad
        g_nk = prod.sum(dim=tuple(range(2, prod.dim()))) if prod.dim() > 2 else prod
        del_k = g_nk.pow(2).mean(0).mul(0.5)
        prev = self.fisher.get(mod)
        self.fisher[mod] = del_k if prev is None else prev + del_k

    def _relu_hook(self, mod: nn.Module, inputs: Any, output: Any) -> None:
        inp = split_first(inputs)
        if not isinstance(inp, torch.Tensor):
            return
        if "nwot" in self.need:
            codes = inp.detach().flatten(1) > 0
            k = hamming_kernel(sign_gram(codes), codes.shape[1])
            self.K = k if self.K is None else self.K + k
        if self.share_swap:
            self._swap_collect(mod, inp, output)

    def _swap_collect(self, mod: nn.Module, inp: torch.Tensor, output: Any) -> None:
        if not isinstance(mod, nn.ReLU) or inp.dim() != 4:
            return
        self.swap_codes.append(pack_patterns(output.detach()[: self.swap_n].flatten(1) > 0))

    def install(self, model: nn.Module) -> None:
        relus = "nwot" in self.need or self.share_swap
        for m in model.modules():
            if m in self.grad_layers:
                self.handles.append(m.register_forward_hook(self._weight_hook))
            elif relus and is_relu_like(m):
                self.handles.append(m.register_forward_hook(self._relu_hook))
            if self.count_flops:
                self.handles.append(m.register_forward_hook(flops_hook(self.flops)))

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []


@dataclass
class _PassAOutput:
    """What pass A leaves for the reductions."""

    hooks: _PassA
    n_classes: int
    grads: list[torch.Tensor | None]
    hgs: list[torch.Tensor | None]
    jac: np.ndarray | None


def _pass_a(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | None,
    opts: Setup,
    hooks: _PassA,
    weights: list[torch.Tensor],
    is_reference: list[bool],
) -> _PassAOutput:
    """One forward, the loss backward (``g``), the Jacobian and grasp's ``H g`` backwards.

    grasp's ``g`` is that of the reference's weights (``is_reference``), so its scalar does
    not depend on which other weights get gradients; ``H g`` is taken for all ``weights``.
    """
    need = hooks.need
    n = int(x.shape[0])
    model.train()
    for w in weights:
        w.requires_grad_(True)
    need_jac = bool(need & JACOBIAN)
    need_grasp = "grasp" in need
    xin = x.detach().clone().requires_grad_(need_jac)
    hooks.install(model)
    try:
        logits = opts.check_output(model(xin), n)
    finally:
        hooks.remove()
    n_classes = int(logits.shape[1])
    grads: list[torch.Tensor | None] = [None] * len(weights)
    hgs: list[torch.Tensor | None] = [None] * len(weights)
    jac: np.ndarray | None = None
    if need & WEIGHT_GRAD:
        assert y is not None
        loss = opts.loss_fn(logits, y)
        hooks.loss_backward = True
        try:
            grads = list(
                torch.autograd.grad(
                    loss,
                    weights,
                    create_graph=need_grasp,
                    retain_graph=need_grasp or need_jac,
                    allow_unused=True,
                )
            )
        finally:
            hooks.loss_backward = False
    if need_jac:
        # allow_unused: a network whose output ignores its input has a zero Jacobian
        (jt,) = torch.autograd.grad(logits.sum(), xin, retain_graph=need_grasp, allow_unused=True)
        jt = torch.zeros_like(xin) if jt is None else jt
        jac = jt.detach().flatten(1).to("cpu", torch.float64).numpy()
    if need_grasp:
        hgs = _hessian_gradient(grads, weights, is_reference)
    return _PassAOutput(hooks, n_classes, grads, hgs, jac)


def _hessian_gradient(
    grads: list[torch.Tensor | None], weights: list[torch.Tensor], is_reference: list[bool]
) -> list[torch.Tensor | None]:
    """``H g`` for every weight, ``g`` the gradient of the reference weights (one backward)."""
    z: torch.Tensor | None = None
    for gi, ref in zip(grads, is_reference):
        if ref and gi is not None and gi.requires_grad:
            term = (gi.detach() * gi).sum()
            z = term if z is None else z + term
    if z is None:
        return [None] * len(weights)
    return list(torch.autograd.grad(z, weights, allow_unused=True))


def _pass_a_scalars(
    out: _PassAOutput,
    cols: dict[str, np.ndarray],
    reference_rows: list[int],
    y: torch.Tensor | None,
) -> dict[str, float]:
    """The proxies of pass A: sums of the reference rows of ``cols``, nwot, jacov, epe_nas."""
    need = out.hooks.need
    scalars = {p: float(np.sum(cols[c][reference_rows])) for p, c in SUMMED.items() if p in need}
    if "nwot" in need:
        K = out.hooks.K
        scalars["nwot"] = math.nan if K is None else float(np.linalg.slogdet(K.cpu().numpy())[1])
    if out.jac is not None:
        if "jacov" in need:
            scalars["jacov"] = jacov_score(out.jac)
        if "epe_nas" in need:
            assert y is not None
            scalars["epe_nas"] = epe_score(out.jac, y.cpu().numpy(), out.n_classes)
    return scalars


# ----------------------------------------------------------------------------------------------


def run(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor | None,
    proxies: Sequence[str],
    opts: Setup,
    *,
    want_layers: bool = False,
) -> Result:
    """Compute ``proxies`` (and, with ``want_layers``, the layer table) on ``model``.

    ``model`` is already on the right device/dtype and its state guarded by the caller.
    """
    need = set(proxies) | (LAYER_NEEDS if want_layers else set())
    n = int(x.shape[0])
    table = table_layers(model) if want_layers else []
    grad_layers = [m for _, m, _ in table] if want_layers else [m for _, m in weight_layers(model)]
    weights = [weight_of(m) for m in grad_layers]
    is_reference = [isinstance(m, WEIGHT_LAYERS) for m in grad_layers]
    reference_rows = [i for i, ref in enumerate(is_reference) if ref]
    res = Result()
    swap_n = max(1, min(int(opts.swap_samples), n))
    run_a = bool(need & PASS_A) or want_layers
    share_swap = "swap" in need and run_a and n <= swap_n

    # zen and synflow first: they read the model's buffers, which the other passes update
    syn_layers: list[float] = []
    if "synflow" in need:
        syn_layers = _synflow_pass(model, x, grad_layers)
        res.scalars["synflow"] = _synflow_scalar([syn_layers[i] for i in reference_rows])
    if "zen" in need:
        res.scalars["zen"], _ = _zen_pass(model, x, opts.seed, opts.features)
    recorder = LayerRecorder(grad_layers, swap_n) if want_layers else None
    if recorder is not None:
        recorder.noise_passes(model, x, opts.seed)

    cols: dict[str, np.ndarray] = {}
    a_out: _PassAOutput | None = None
    if run_a:
        hooks = _PassA(need, grad_layers, swap_n, share_swap, "flops" in need, recorder)
        a_out = _pass_a(model, x, y, opts, hooks, weights, is_reference)
        fisher_terms = [hooks.fisher.get(m) for m in grad_layers]
        fan_ins = [fan_in(m) for m in grad_layers]
        cols = weight_columns(
            weights, a_out.grads, a_out.hgs, fisher_terms, fan_ins, full=want_layers
        )
        res.scalars.update(_pass_a_scalars(a_out, cols, reference_rows, y))

    if "swap" in need:
        shared = a_out.hooks.swap_codes if share_swap and a_out is not None else None
        res.scalars["swap"] = _swap_score(model, x, swap_n, opts, shared)
    res.scalars.update(_static_scalars(model, x, need, weights, cols, reference_rows, a_out))
    res.scalars = {k: finite_or_sentinel(res.scalars[k]) for k in proxies if k in res.scalars}
    if recorder is not None:
        res.layers = layer_table(table, cols, syn_layers, recorder, x.device)
    return res


def _synflow_scalar(per_layer: Sequence[float]) -> float:
    """``ln Σ`` of the per-layer synflow terms (0 for 0, as the reference; NaN for ±inf)."""
    s = float(np.sum(per_layer)) if per_layer else 0.0
    if s == 0.0:
        return 0.0
    if not math.isfinite(s):
        return math.nan
    return math.log(s) if s > 0 else -math.log(-s)


def _swap_score(
    model: nn.Module,
    x: torch.Tensor,
    swap_n: int,
    opts: Setup,
    shared_codes: list[torch.Tensor] | None,
) -> float:
    """SWAP from pass A's codes when shared, else from its own forward; × the regulariser."""
    codes = shared_codes if shared_codes is not None else _swap_pass(model, x[:swap_n])
    count = count_distinct(torch.cat(codes, dim=0)) if codes else 0
    factor = swap_regular_factor(
        sum(p.numel() for p in model.parameters()), opts.swap_mu, opts.swap_sigma
    )
    return float(count) * factor


def _static_scalars(
    model: nn.Module,
    x: torch.Tensor,
    need: set[str],
    weights: list[torch.Tensor],
    cols: dict[str, np.ndarray],
    reference_rows: list[int],
    a_out: _PassAOutput | None,
) -> dict[str, float]:
    """l2_norm, params and flops (from pass A's columns and hooks when it ran)."""
    scalars: dict[str, float] = {}
    if "l2_norm" in need:
        if "weight_norm" in cols:
            scalars["l2_norm"] = float(np.sum(cols["weight_norm"][reference_rows]))
        else:
            with torch.no_grad():
                norms = [weights[i].detach().norm().to(torch.float64) for i in reference_rows]
                scalars["l2_norm"] = float(torch.stack(norms).sum().cpu())
    if "params" in need:
        scalars["params"] = sum(p.numel() for p in model.parameters()) / 1e6
    if "flops" in need:
        sink = a_out.hooks.flops if a_out is not None else _flops_forward(model, x[:1])
        scalars["flops"] = int(sum(sink.values())) / 1e6
    return scalars


def _flops_forward(model: nn.Module, x1: torch.Tensor) -> dict[nn.Module, int]:
    """Per-module FLOPs of one eval-mode no-grad forward of one sample."""
    sink: dict[nn.Module, int] = {}
    handles = [m.register_forward_hook(flops_hook(sink)) for m in model.modules()]
    try:
        with torch.no_grad():
            model.eval()
            model(x1)
    finally:
        for h in handles:
            h.remove()
    return sink


def _swap_pass(model: nn.Module, xs: torch.Tensor) -> list[torch.Tensor]:
    """Packed sign patterns of every 4-D ``nn.ReLU`` output of a no-grad train-mode forward."""
    codes: list[torch.Tensor] = []

    def hook(mod: nn.Module, inputs: Any, output: Any) -> None:
        inp = split_first(inputs)
        if isinstance(inp, torch.Tensor) and inp.dim() == 4:
            codes.append(pack_patterns(output.detach().flatten(1) > 0))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.ReLU)]
    try:
        model.train()
        with torch.no_grad():
            model(xs)
    finally:
        for h in handles:
            h.remove()
    return codes


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


def _synflow_pass(
    model: nn.Module, x: torch.Tensor, layers: Sequence[nn.Module] | None = None
) -> list[float]:
    """Per-layer ``Σ|W ⊙ ∂R/∂W|`` (R = Σ outputs, all-ones input, |θ|, float64, no BN).

    ``layers``: the weight layers to report, default the Conv2d/Linear ones.  Runs ``model``
    functionally (``torch.func.functional_call``) on float64 copies of its parameters and
    buffers, so the caller's tensors are never touched and nothing is deep-copied.
    """
    f64 = torch.float64
    if layers is None:
        layers = [m for _, m in weight_layers(model)]
    names = {id(p): n for n, p in model.named_parameters()}
    params: dict[str, torch.Tensor] = {}
    for n, p in model.named_parameters():
        t = p.detach().abs().to(f64) if p.is_floating_point() else p.detach()
        params[n] = t
    wnames = [names.get(id(m.weight)) for m in layers]
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


def _zen_pass(
    model: nn.Module, x: torch.Tensor, seed: int, features: str | None
) -> tuple[float, dict[str, float]]:
    """Zen score with Gaussian-initialised parameters; also the per-BN ``ln √mean(running_var)``.

    The features are the input of the module named ``features`` (the pre-pooling feature
    map; see :func:`feature_module`) at its last call; ``None``: zen is undefined (NaN).
    The Gaussian init (conv/linear weights ``N(0, 1)`` drawn in ``model.modules()`` order
    from a generator seeded ``seed``, biases 0, BatchNorm2d/GroupNorm affine ``(1, 0)``) and the two
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

    if features is None:
        return math.nan, {}
    handles = [dict(model.named_modules())[features].register_forward_hook(pool_hook)]
    model.train()
    try:
        with torch.no_grad():
            x1 = torch.randn(x.shape, generator=gen, device=x.device, dtype=dt)
            x2 = torch.randn(x.shape, generator=gen, device=x.device, dtype=dt)
            mix = x1 + 0.01 * x2
            feats.clear()
            functional_call(model, (params, buffers), (x1,))
            if not feats:
                return math.nan, {}
            f1 = feats[-1]
            feats.clear()
            functional_call(model, (params, buffers), (mix,))
            f2 = feats[-1]
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


def loss_or_default(loss_fn: Callable[..., Any] | None) -> LossFn:
    return torch.nn.functional.cross_entropy if loss_fn is None else loss_fn


def feature_module(model: nn.Module, name: str | None) -> str | None:
    """The name of the module whose input zen reads as the pre-pooling features: ``name``
    (a task's ``feature_module``), else the model's last ``AdaptiveAvgPool2d``, else ``None``
    (zen is undefined for the model: it is never computed on some other tensor).

    Example
    -------
    >>> feature_module(nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1)), None)
    '1'
    """
    if name is not None:
        if name not in dict(model.named_modules()):
            expected = (
                f"the model to have the feature module {name!r} (where zen reads the"
                " pre-pooling features)"
            )
            raise fail("task", expected, "no module of that name")
        return name
    pools = [n for n, m in model.named_modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
    return pools[-1] if pools else None


__all__ = ["LABEL_PROXIES", "PROXIES", "Result", "Setup", "feature_module", "run"]
