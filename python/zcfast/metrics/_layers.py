"""The per-layer primitive table of :func:`zcfast.metrics.layer_primitives`.

:class:`LayerRecorder` collects the activation statistics of every weight layer with hooks: the
data-batch input ``X`` and output ``Z`` and ``∂L/∂Z`` during pass A, and the two no-grad
noise forwards (:meth:`LayerRecorder.noise_passes`).  :func:`weight_columns` reduces weights,
gradients, fisher's and grasp's terms per layer (shared with the scalar proxies, which are sums
of its Conv2d/Linear entries), and :func:`layer_table` puts everything in
:data:`LAYER_COLUMNS` order with every non-finite value replaced by :data:`SENTINEL`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd

from zcfast.metrics._codes import (
    count_distinct,
    floored_logdet,
    hamming_kernel,
    pack_patterns,
    sign_gram,
)
from zcfast.metrics._common import SENTINEL, make_generator, split_first
from zcfast.metrics._static import weight_layer_flops

#: ``layer_primitives`` columns and their dtypes ("str", "int64" or "float64").
LAYER_COLUMNS: dict[str, str] = {
    "layer": "str",
    "kind": "str",
    "part": "str",
    "index": "int64",
    "calls": "int64",
    "fan_in": "int64",
    "fan_out": "int64",
    "kernel": "int64",
    "groups": "int64",
    "n_params": "int64",
    "flops": "int64",
    "in_units": "int64",
    "in_patterns": "int64",
    "depth": "float64",
    "weight_norm": "float64",
    "weight_mean": "float64",
    "weight_std": "float64",
    "weight_abs_mean": "float64",
    "grad_norm": "float64",
    "grad_mean": "float64",
    "grad_std": "float64",
    "grad_abs_mean": "float64",
    "wg_sum": "float64",
    "wg_abs_sum": "float64",
    "wg_cos": "float64",
    "fisher": "float64",
    "grasp": "float64",
    "synflow": "float64",
    "in_mean": "float64",
    "in_std": "float64",
    "in_pos_frac": "float64",
    "in_rank": "float64",
    "in_logdet": "float64",
    "out_mean": "float64",
    "out_std": "float64",
    "out_grad_norm": "float64",
    "out_grad_abs_mean": "float64",
    "noise_in_pos_frac": "float64",
    "noise_out_std": "float64",
    "sensitivity": "float64",
}

#: Columns averaged over calls by :class:`LayerRecorder`; the integer ones are rounded.
RECORDED = (
    "in_units",
    "in_patterns",
    "in_mean",
    "in_std",
    "in_pos_frac",
    "in_rank",
    "in_logdet",
    "out_mean",
    "out_std",
    "out_grad_norm",
    "out_grad_abs_mean",
    "noise_in_pos_frac",
    "noise_out_std",
    "sensitivity",
)

#: Columns of :func:`weight_columns`; the first six are the ones the scalar proxies sum.
WEIGHT_COLUMNS = (
    "weight_norm",
    "grad_norm",
    "wg_sum",
    "wg_abs_sum",
    "fisher",
    "grasp",
    "weight_mean",
    "weight_std",
    "weight_abs_mean",
    "grad_mean",
    "grad_std",
    "grad_abs_mean",
)

#: Relative size of the input perturbation of ``sensitivity`` (zen's and EZNAS's 0.01).
PERTURBATION = 0.01

Stats = dict[str, torch.Tensor]


def weight_of(layer: nn.Module) -> torch.Tensor:
    """The ``weight`` parameter of a weight layer."""
    w = layer.weight
    if not isinstance(w, torch.Tensor):  # pragma: no cover - LAYER_KINDS modules have one
        raise TypeError(f"{type(layer).__name__} has no weight tensor")
    return w


def fan_out(layer: nn.Module) -> int:
    """Output channels of a convolution, ``out_features`` of a Linear."""
    if isinstance(layer, _ConvNd):
        return int(layer.out_channels)
    if isinstance(layer, nn.Linear):
        return int(layer.out_features)
    return int(weight_of(layer).shape[0])  # pragma: no cover - LAYER_KINDS only


def fan_in(layer: nn.Module) -> int:
    """Weight elements per output channel (``C_in/groups·kernel``; ``in_features``)."""
    out = fan_out(layer)
    return int(weight_of(layer).numel()) // out if out else 0


def _float(value: Any, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(value, dtype=torch.float64, device=like.device)


def input_stats(x: torch.Tensor, swap_n: int) -> Stats:
    """Statistics of one call's input ``X`` (``(B, ...)``) over the batch.

    Mean, population std and fraction of positive elements; the ±1 sign codes of the samples
    give the rank of the code matrix (÷ B, via the ``B×B`` kernel nwot uses), the floored
    log-determinant of the Hamming kernel and, over the first ``swap_n`` samples, the number of
    distinct per-unit patterns (SWAP).
    """
    flat = x.detach().flatten(1)
    batch, units = flat.shape
    codes = flat > 0
    std, mean = torch.std_mean(flat, correction=0)
    gram = sign_gram(codes)
    rank = torch.linalg.matrix_rank(gram, hermitian=True)
    patterns = count_distinct(pack_patterns(codes[:swap_n]))
    return {
        "in_units": _float(units, flat),
        "in_patterns": _float(patterns, flat),
        "in_mean": mean.to(torch.float64),
        "in_std": std.to(torch.float64),
        "in_pos_frac": codes.sum().to(torch.float64) / codes.numel(),
        "in_rank": rank.to(torch.float64) / batch,
        "in_logdet": floored_logdet(hamming_kernel(gram, units)),
    }


def output_stats(z: torch.Tensor) -> Stats:
    """Mean and population std of one call's output ``Z``."""
    std, mean = torch.std_mean(z.detach(), correction=0)
    return {"out_mean": mean.to(torch.float64), "out_std": std.to(torch.float64)}


def output_grad_stats(grad: torch.Tensor) -> Stats:
    """``‖∂L/∂Z‖`` and mean ``|∂L/∂Z|`` of one call's output."""
    g = grad.detach()
    return {
        "out_grad_norm": g.norm().to(torch.float64),
        "out_grad_abs_mean": g.abs().mean().to(torch.float64),
    }


def relative_l1_change(z: torch.Tensor, z_moved: torch.Tensor) -> torch.Tensor:
    """``‖z_moved − z‖₁ / ‖z‖₁`` (0 when ``‖z‖₁`` is 0)."""
    num = (z_moved - z).abs().sum().to(torch.float64)
    den = z.abs().sum().to(torch.float64)
    return torch.where(den > 0, num / torch.where(den > 0, den, 1.0), 0.0)


class LayerRecorder:
    """Per-call statistics of the table's layers, averaged over calls.

    Pass A calls :meth:`on_forward` from its forward hook of each layer (the data batch's
    ``X``/``Z``) and :meth:`on_output_grad` from the tensor hook on ``Z`` during the loss
    backward.  :meth:`noise_passes` must run first: it runs the pure-noise forward and the
    data-plus-noise forward whose outputs ``sensitivity`` compares with pass A's.
    """

    def __init__(self, layers: Sequence[nn.Module], swap_n: int) -> None:
        self.layers = list(layers)
        self.swap_n = swap_n
        self.calls: dict[nn.Module, int] = {}
        self.flops: dict[nn.Module, int] = {}
        self._sums: dict[nn.Module, Stats] = {}
        self._counts: dict[nn.Module, dict[str, int]] = {}
        self._perturbed: dict[nn.Module, list[torch.Tensor]] = {}

    def _add(self, layer: nn.Module, stats: Stats) -> None:
        sums = self._sums.setdefault(layer, {})
        counts = self._counts.setdefault(layer, {})
        for key, value in stats.items():
            sums[key] = value if key not in sums else sums[key] + value
            counts[key] = counts.get(key, 0) + 1

    # pass A ----------------------------------------------------------------------------------
    def on_forward(self, layer: nn.Module, x: Any, z: Any) -> None:
        """One data-batch call of ``layer``: input ``x``, output ``z``."""
        self.calls[layer] = self.calls.get(layer, 0) + 1
        if not isinstance(x, torch.Tensor) or not isinstance(z, torch.Tensor):
            return
        self.flops[layer] = self.flops.get(layer, 0) + weight_layer_flops(layer, x, z)
        if x.dim() >= 2 and x[:1].numel() > 0:
            self._add(layer, input_stats(x, self.swap_n))
        if z.numel() > 0:
            self._add(layer, output_stats(z))
        moved = self._perturbed.get(layer)
        if moved:
            z_moved = moved.pop(0)  # calls happen in the same order in both forwards
            if z_moved.shape == z.shape:
                self._add(layer, {"sensitivity": relative_l1_change(z.detach(), z_moved)})

    def on_output_grad(self, layer: nn.Module, grad: torch.Tensor) -> None:
        """``∂L/∂Z`` of one call of ``layer`` (loss backward only)."""
        if grad.numel() > 0:
            self._add(layer, output_grad_stats(grad))

    # noise passes ----------------------------------------------------------------------------
    def noise_passes(self, model: nn.Module, x: torch.Tensor, seed: int) -> None:
        """Forward ``ε`` and ``x + 0.01·ε`` (``ε`` standard Gaussian from a generator seeded
        ``seed``), no grad, train mode (BatchNorm statistics are the caller's to restore)."""
        gen = make_generator(x.device, seed)
        eps = torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)
        model.train()
        with torch.no_grad():
            with self._hooked(model, self._on_noise_forward):
                model(eps)
            with self._hooked(model, self._on_perturbed_forward):
                model(x + PERTURBATION * eps)

    def _on_noise_forward(self, layer: nn.Module, inputs: Any, output: Any) -> None:
        x = split_first(inputs)
        stats: Stats = {}
        if isinstance(x, torch.Tensor) and x.numel() > 0:
            stats["noise_in_pos_frac"] = (x > 0).sum().to(torch.float64) / x.numel()
        if isinstance(output, torch.Tensor) and output.numel() > 0:
            stats["noise_out_std"] = output.std(correction=0).to(torch.float64)
        self._add(layer, stats)

    def _on_perturbed_forward(self, layer: nn.Module, inputs: Any, output: Any) -> None:
        if isinstance(output, torch.Tensor):
            # a copy: a later in-place op (ReLU(inplace=True)) would change the output
            self._perturbed.setdefault(layer, []).append(output.detach().clone())

    @contextlib.contextmanager
    def _hooked(self, model: nn.Module, hook: Any) -> Iterator[None]:
        handles = [m.register_forward_hook(hook) for m in self.layers]
        try:
            yield
        finally:
            for h in handles:
                h.remove()

    # results ---------------------------------------------------------------------------------
    def means(self, device: torch.device) -> dict[str, np.ndarray]:
        """Column → per-layer mean over the calls that gave the statistic (0 when none)."""
        self._perturbed.clear()  # outputs no pass-A call consumed
        zero = torch.zeros((), dtype=torch.float64, device=device)
        rows = []
        for layer in self.layers:
            sums, counts = self._sums.get(layer, {}), self._counts.get(layer, {})
            rows.append(torch.stack([sums[c] / counts[c] if c in sums else zero for c in RECORDED]))
        table = torch.stack(rows).cpu().numpy() if rows else np.zeros((0, len(RECORDED)))
        return {c: table[:, i] for i, c in enumerate(RECORDED)}


def weight_columns(
    weights: Sequence[torch.Tensor],
    grads: Sequence[torch.Tensor | None],
    hgs: Sequence[torch.Tensor | None],
    fisher_terms: Sequence[torch.Tensor | None],
    fan_ins: Sequence[int],
    *,
    full: bool,
) -> dict[str, np.ndarray]:
    """Per-layer weight quantities (float64), :data:`WEIGHT_COLUMNS` order.

    ``grads`` are ``∂L/∂W`` (``None``: unused weight, zeros), ``hgs`` grasp's ``H g``,
    ``fisher_terms`` fisher's per-channel sums.  ``full=False`` computes only the six columns
    the scalar proxies need.  Everything is stacked on the device and transferred once.
    """
    keys = WEIGHT_COLUMNS if full else WEIGHT_COLUMNS[:6]
    if not weights:  # pragma: no cover - models are checked for weight layers
        return {k: np.zeros(0) for k in keys}
    zero = torch.zeros((), dtype=torch.float64, device=weights[0].device)
    per_layer = []
    with torch.no_grad():
        for w, g, hg, fk, fi in zip(weights, grads, hgs, fisher_terms, fan_ins):
            per_layer.append(
                torch.stack(_layer_weight_values(w.detach(), g, hg, fk, fi, zero, full))
            )
        table = torch.stack(per_layer).cpu().numpy()
    return {k: table[:, i] for i, k in enumerate(keys)}


def _layer_weight_values(
    w: torch.Tensor,
    g: torch.Tensor | None,
    hg: torch.Tensor | None,
    fisher_term: torch.Tensor | None,
    fan_in: int,
    zero: torch.Tensor,
    full: bool,
) -> list[torch.Tensor]:
    f64 = torch.float64
    gd = g.detach() if g is not None else None
    wg = w * gd if gd is not None else None
    values = [
        w.norm().to(f64),
        gd.norm().to(f64) if gd is not None else zero,
        wg.sum().to(f64) if wg is not None else zero,
        wg.abs().sum().to(f64) if wg is not None else zero,
        fisher_term.abs().sum().to(f64) * fan_in if fisher_term is not None else zero,
        -(w * hg.detach()).sum().to(f64) if hg is not None else zero,
    ]
    if full:
        w_std, w_mean = torch.std_mean(w, correction=0)
        values += [w_mean.to(f64), w_std.to(f64), w.abs().mean().to(f64)]
        if gd is not None:
            g_std, g_mean = torch.std_mean(gd, correction=0)
            values += [g_mean.to(f64), g_std.to(f64), gd.abs().mean().to(f64)]
        else:
            values += [zero, zero, zero]
    return values


def layer_table(
    layers: Sequence[tuple[str, nn.Module, str]],
    weight_cols: dict[str, np.ndarray],
    synflow: Sequence[float],
    recorder: LayerRecorder,
    device: torch.device,
) -> dict[str, Any]:
    """The columns of :data:`LAYER_COLUMNS`: str columns as lists, the others as numpy arrays
    (int64/float64) in which every NaN/±inf is :data:`SENTINEL`."""
    n = len(layers)
    modules = [m for _, m, _ in layers]
    recorded = recorder.means(device)
    cols: dict[str, Any] = {
        "layer": [name for name, _, _ in layers],
        "kind": [kind for _, _, kind in layers],
        "part": [part_of(name) for name, _, _ in layers],
        "index": np.arange(n),
        "calls": [recorder.calls.get(m, 0) for m in modules],
        "fan_in": [fan_in(m) for m in modules],
        "fan_out": [fan_out(m) for m in modules],
        "kernel": [int(np.prod(getattr(m, "kernel_size", (1,)))) for m in modules],
        "groups": [int(getattr(m, "groups", 1)) for m in modules],
        "n_params": [sum(p.numel() for p in m.parameters(recurse=False)) for m in modules],
        "flops": [recorder.flops.get(m, 0) for m in modules],
        "depth": np.arange(n) / max(n - 1, 1),
        "synflow": np.asarray(synflow, dtype=np.float64),
        **weight_cols,
        **recorded,
    }
    for col in ("in_units", "in_patterns"):  # means over calls of integer counts
        cols[col] = np.rint(recorded[col])
    cols["wg_cos"] = _cosine(
        weight_cols["wg_sum"], weight_cols["weight_norm"], weight_cols["grad_norm"]
    )
    out: dict[str, Any] = {}
    for col, dtype in LAYER_COLUMNS.items():
        if dtype == "str":
            out[col] = list(cols[col])
        elif dtype == "int64":
            out[col] = np.asarray(cols[col]).astype(np.int64)
        else:
            values = np.asarray(cols[col], dtype=np.float64)
            out[col] = np.where(np.isfinite(values), values, SENTINEL)
    return out


def part_of(layer: str) -> str:
    """Which part of a network a layer belongs to, by its module name: the top-level module
    (``"encoder.stages.0.conv"`` → ``"encoder"``; a space may say better, see
    :meth:`zcfast.metrics.ScoreJob`)."""
    return layer.split(".", 1)[0]


def _cosine(dot: np.ndarray, norm_a: np.ndarray, norm_b: np.ndarray) -> np.ndarray:
    """``dot / (norm_a·norm_b)``, 0 where a norm is 0."""
    norms = norm_a * norm_b
    return np.where(norms > 0, dot / np.where(norms > 0, norms, 1.0), 0.0)
