"""Static proxies: parameter count and forward FLOPs (tensorwatch convention).

The FLOP convention reproduces the values stored in NAS-Bench-Suite-Zero (computed with
tensorwatch) exactly for every NB201 cell.  Per sample, per executed module:

* ``Conv2d``: ``k_h·k_w·C_in/groups·C_out·H_out·W_out`` (+ ``C_out·H_out·W_out`` with a bias);
* ``Linear``: ``in_features·out_features`` per output row (the bias is not counted);
* BatchNorm: input elements, ×2 when affine;
* ReLU / ReLU6 / LeakyReLU / ELU / PReLU: input elements;
* ``AvgPool2d`` / ``MaxPool2d``: ``k_h·k_w`` × output elements;
* ``AdaptiveAvgPool2d`` / ``AdaptiveMaxPool2d``: ``(H_in//H_out + 1)·(W_in//W_out + 1)`` ×
  output elements (the reference's count for global pooling, fitted on NB201: 8×8 → 81 per
  channel, 4×4 → 25);
* everything else (additions, identity, ``x * 0``): 0.

The per-layer table of ``layer_primitives`` also needs the other weight layers; there
(:func:`weight_layer_flops`, not used by the ``flops`` proxy, whose reference counts them as 0)
``Conv1d``/``Conv3d`` count like ``Conv2d`` with their own kernel volume, and a transposed
convolution counts ``kernel·C_in·C_out/groups`` per *input* position (each input element is
scattered through the kernel) plus ``C_out`` per output position with a bias.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

from zcfast._params import Sizes, check, fail
from zcfast.metrics._common import MODULE, model_errors, preserved, split_first

#: Largest sample :func:`count_flops` builds (2**28 values, 1 GiB in float32).
_MAX_SAMPLE = 2**28
_SAMPLE_SHAPE = Sizes(most=_MAX_SAMPLE)
_RELUS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.PReLU)
_POOLS = (nn.AvgPool2d, nn.MaxPool2d)
_ADAPTIVE = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def module_flops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    """FLOPs of one call of ``module`` per sample (0 for modules the convention ignores)."""
    n = int(inp.shape[0]) if inp.dim() > 0 else 1
    n = max(n, 1)
    if isinstance(module, nn.Conv2d):
        kh, kw = _pair(module.kernel_size)
        per_pos = kh * kw * module.in_channels // module.groups * module.out_channels
        positions = out.numel() // n // module.out_channels
        total = per_pos * positions
        if module.bias is not None:
            total += module.out_channels * positions
        return int(total)
    if isinstance(module, nn.Linear):
        rows = out.numel() // n // module.out_features
        return int(module.in_features * module.out_features * rows)
    if isinstance(module, _BatchNorm):
        return int(inp.numel() // n * (2 if module.affine else 1))
    if isinstance(module, _RELUS):
        return int(inp.numel() // n)
    if isinstance(module, _POOLS):
        kh, kw = _pair(module.kernel_size)
        return int(kh * kw * (out.numel() // n))
    if isinstance(module, _ADAPTIVE) and inp.dim() == 4:
        ih, iw = int(inp.shape[2]), int(inp.shape[3])
        oh, ow = int(out.shape[2]), int(out.shape[3])
        return int((ih // oh + 1) * (iw // ow + 1) * (out.numel() // n))
    return 0


def weight_layer_flops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    """FLOPs of one call of a weight layer (any ``LAYER_KINDS`` module) per sample.

    ``Conv2d`` and ``Linear`` give exactly :func:`module_flops`; see the module docs for the
    other kinds.
    """
    if isinstance(module, (nn.Conv2d, nn.Linear)) or not isinstance(module, _ConvNd):
        return module_flops(module, inp, out)
    n = max(int(inp.shape[0]) if inp.dim() > 0 else 1, 1)
    kernel = math.prod(int(k) for k in module.kernel_size)
    out_positions = out.numel() // n // module.out_channels
    if module.transposed:
        in_positions = inp.numel() // n // module.in_channels
        total = kernel * module.in_channels * module.out_channels // module.groups * in_positions
    else:
        per_position = kernel * module.in_channels // module.groups * module.out_channels
        total = per_position * out_positions
    if module.bias is not None:
        total += module.out_channels * out_positions
    return int(total)


def flops_hook(sink: dict[nn.Module, int]) -> Callable[[nn.Module, Any, Any], None]:
    """Forward hook adding each call's per-sample FLOPs to ``sink[module]``."""

    def hook(module: nn.Module, inputs: Any, output: Any) -> None:
        inp = split_first(inputs)
        out = split_first(output)
        if isinstance(inp, torch.Tensor) and isinstance(out, torch.Tensor):
            f = module_flops(module, inp, out)
            if f:
                sink[module] = sink.get(module, 0) + f

    return hook


def count_params(model: nn.Module) -> int:
    """Number of parameters of ``model`` (every parameter, trainable or not).

    Parameters
    ----------
    model:
        Any ``torch.nn.Module``.

    Example
    -------
    >>> count_params(torch.nn.Linear(3, 2))
    8
    """
    check("model", model, MODULE)
    return int(sum(p.numel() for p in model.parameters()))


def count_flops(model: nn.Module, input_shape: tuple[int, ...] | None = None) -> int:
    """Forward FLOPs of ``model`` for one sample of shape ``input_shape`` (see module docs).

    Runs one batch-1 forward in eval mode without gradients on the model's own device (a model
    on the ``meta`` device works and costs no arithmetic); modes and buffers are restored.

    Parameters
    ----------
    model:
        Any ``torch.nn.Module``.
    input_shape:
        Shape of one sample without the batch dimension, e.g. ``(3, 32, 32)``.  Defaults to
        ``model.input_shape`` when the model has one (NB201 networks do).

    Example
    -------
    >>> count_flops(torch.nn.Linear(3, 2), (3,))
    6
    """
    check("model", model, MODULE)
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            found = "None (the model has no input_shape attribute)"
            raise fail("input_shape", "the shape of one sample", found)
    shape = check("input_shape", input_shape, _SAMPLE_SHAPE)
    device, dtype = torch.device("cpu"), torch.get_default_dtype()
    for p in model.parameters():
        device, dtype = p.device, p.dtype
        break
    sink: dict[nn.Module, int] = {}
    handles = [m.register_forward_hook(flops_hook(sink)) for m in model.modules()]
    try:
        with preserved(model), torch.no_grad(), model_errors("forward of one zero sample"):
            model.eval()
            model(torch.zeros((1, *shape), device=device, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
    return int(sum(sink.values()))
