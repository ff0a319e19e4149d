"""Parameters and FLOPs of the NB301 networks from per-module formulas (no PyTorch).

Walks the modules :class:`~zcfast.spaces.nb301._torch.NB301Network` creates and applies the
FLOP convention of :mod:`zcfast.metrics` (tensorwatch's) to each, per sample: conv
``k²·C_in/groups·C_out·H_out·W_out``; BatchNorm ``C·H·W``, ×2 when affine; ReLU ``C·H·W`` of its
input; 3×3 pooling ``9`` per output element; global pooling ``(H+1)(W+1)`` per channel;
classifier ``C·K`` (bias not counted).  Additions, concatenations and identities count 0.
"""

from __future__ import annotations

from zcfast.spaces.nb301._cell import CONCAT, OPS, Arch

__all__ = ["network_counts"]


def _half(h: int) -> int:
    """Output side of every stride-2 op of the network (3×3 pad 1, 5×5 pad 2, dilated 3×3
    pad 2 and 5×5 pad 4, 1×1 pad 0 all give ``⌈h/2⌉``)."""
    return (h - 1) // 2 + 1


def _bn(c: int, hw: int, affine: bool) -> tuple[int, int]:
    return (2 * c if affine else 0), (2 if affine else 1) * c * hw


def _op(name: str, c: int, h_in: int, h_out: int, stride: int, naslib: bool) -> tuple[int, int]:
    """``(params, flops)`` of one edge's op on ``c`` channels."""
    affine = not naslib
    a_in, a_out = h_in * h_in, h_out * h_out
    bn_p, bn_f = _bn(c, a_out, affine)
    if name in ("max_pool_3x3", "avg_pool_3x3"):
        return 0, 9 * c * a_out + (c * a_out if naslib else 0)
    if name == "skip_connect":
        if stride == 1:
            return 0, 0
        # ReLU, two 1×1 stride-2 convs to c/2 channels each, BN
        return c * c + bn_p, c * a_in + c * c * a_out + bn_f
    k = 3 if name.endswith("3x3") else 5
    if name.startswith("sep_conv"):
        # (ReLU, depthwise k×k, pointwise, BN) twice; the first depthwise conv has the stride
        params = 2 * (k * k * c + c * c) + 2 * bn_p
        flops = c * a_in + 2 * (k * k * c * a_out + c * c * a_out + bn_f) + c * a_out
        return params, flops
    # dil_conv: ReLU, depthwise k×k (dilation 2), pointwise, BN
    return k * k * c + c * c + bn_p, c * a_in + k * k * c * a_out + c * c * a_out + bn_f


def _preprocess(c_in: int, c: int, h_in: int, reduce: bool) -> tuple[int, int]:
    """``(params, flops)`` of a cell input's preprocessing: FactorizedReduce (``reduce``) or a
    1×1 ReLUConvBN, both with affine BN."""
    h_out = _half(h_in) if reduce else h_in
    a_out = h_out * h_out
    return c_in * c + 2 * c, c_in * h_in * h_in + c_in * c * a_out + 2 * c * a_out


def network_counts(
    arch: Arch,
    num_classes: int,
    *,
    C: int,
    layers: int,
    input_size: int,
    config: str,
    auxiliary: bool,
) -> tuple[int, int]:
    """``(params, flops)`` of a parsed ``arch``'s network (FLOPs of an eval-mode forward: the
    auxiliary head's parameters count, its FLOPs do not, as it only runs in training)."""
    naslib = config == "naslib"
    h = input_size
    c_stem = 3 * C
    params = 27 * c_stem + 2 * c_stem
    flops = 27 * c_stem * h * h + 2 * c_stem * h * h
    prev_prev, prev = (c_stem, h), (c_stem, h)
    c = C
    reduction_prev = False
    for i in range(layers):
        reduction = i in (layers // 3, 2 * layers // 3)
        if reduction:
            c *= 2
        p0, f0 = _preprocess(prev_prev[0], c, prev_prev[1], reduction_prev)
        p1, f1 = _preprocess(prev[0], c, prev[1], False)
        params, flops = params + p0 + p1, flops + f0 + f1
        h_in = prev[1]
        h_out = _half(h_in) if reduction else h_in
        for src, op in arch[1] if reduction else arch[0]:
            stride = 2 if reduction and src < 2 else 1
            p, f = _op(OPS[op], c, h_in if src < 2 else h_out, h_out, stride, naslib)
            params, flops = params + p, flops + f
        prev_prev, prev = prev, (len(CONCAT) * c, h_out)
        reduction_prev = reduction
        if auxiliary and i == 2 * layers // 3:
            c_aux = prev[0]
            params += c_aux * 128 + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * num_classes
            params += num_classes
    c_last, h_last = prev
    flops += (h_last + 1) * (h_last + 1) * c_last  # global average pooling
    params += c_last * num_classes + num_classes
    flops += c_last * num_classes
    return params, flops
