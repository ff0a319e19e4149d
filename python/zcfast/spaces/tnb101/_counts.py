"""Parameters and FLOPs of TransNAS-Bench-101 networks from per-module formulas (no PyTorch).

Walks the modules :mod:`zcfast.spaces.tnb101._torch` builds, in the order the forward runs
them, and applies :func:`zcfast.metrics.count_flops`' convention (tensorwatch's) to each, every
module once (the space's ``"tensorwatch-once"``: the jigsaw encoder counts one tile):

* ``Conv2d``: ``k²·C_in·C_out`` per output position, plus ``C_out`` per position with a bias;
* ``ConvTranspose2d``: 0 (tensorwatch does not count transposed convolutions);
* BatchNorm (affine): 2 per input element; ReLU / LeakyReLU: 1 per input element; tanh: 0;
* global average pooling: ``(H+1)(W+1)`` per channel; ``Linear``: ``in·out`` (no bias term).

Every stride-2 op maps a size ``h`` to ``(h + 1) // 2``; a transposed conv doubles it.
"""

from __future__ import annotations

from collections.abc import Sequence

from zcfast.spaces._task import TaskSpec
from zcfast.spaces.tnb101._codes import MICRO_EDGES, Arch, downsamplings

__all__ = ["network_counts"]


class _Tally:
    """Running ``params`` and ``flops``."""

    def __init__(self) -> None:
        self.params = 0
        self.flops = 0

    def conv(self, c_in: int, c_out: int, k: int, hw: int, bias: bool = False) -> None:
        """A Conv2d with ``hw`` output positions."""
        self.params += k * k * c_in * c_out + (c_out if bias else 0)
        self.flops += (k * k * c_in * c_out + (c_out if bias else 0)) * hw

    def deconv(self, c_in: int, c_out: int, k: int) -> None:
        """A ConvTranspose2d with a bias (no FLOPs in the convention)."""
        self.params += k * k * c_in * c_out + c_out

    def bn(self, c: int, hw: int) -> None:
        self.params += 2 * c
        self.flops += 2 * c * hw

    def act(self, c: int, hw: int) -> None:
        """ReLU or LeakyReLU on ``c × hw`` input elements."""
        self.flops += c * hw

    def relu_conv_bn(self, c_in: int, c_out: int, k: int, hw_in: int, hw_out: int) -> None:
        self.act(c_in, hw_in)
        self.conv(c_in, c_out, k, hw_out)
        self.bn(c_out, hw_out)

    def head(self, c: int, h: int, w: int, n_out: int) -> None:
        """Global average pooling, flatten, Linear."""
        self.flops += (h + 1) * (w + 1) * c
        self.params += c * n_out + n_out
        self.flops += c * n_out

    def conv_layer(self, c_in: int, c_out: int, hw: int, act: bool, norm: bool = True) -> None:
        """The decoders' conv 3×3 (bias) [+ BN] [+ LeakyReLU]; tanh counts 0."""
        self.conv(c_in, c_out, 3, hw, bias=True)
        if norm:
            self.bn(c_out, hw)
        if act:
            self.act(c_out, hw)

    def deconv_layer(self, c_in: int, c_out: int, hw_out: int) -> None:
        """ConvTranspose2d 3×3 stride 2, BN, LeakyReLU at the doubled size."""
        self.deconv(c_in, c_out, 3)
        self.bn(c_out, hw_out)
        self.act(c_out, hw_out)


def _half(h: int) -> int:
    return (h + 1) // 2


def _micro_edge(t: _Tally, op: int, c_in: int, c_out: int, stride: int, hw: int, hw_o: int) -> None:
    if op == 0 or (op == 1 and stride == 1 and c_in == c_out):
        return  # zero or identity
    if op == 1:  # FactorizedReduce: ReLU, two 1×1 convs to c_out/2 each, BN
        t.act(c_in, hw)
        t.conv(c_in, c_out // 2, 1, hw_o)
        t.conv(c_in, c_out - c_out // 2, 1, hw_o)
        t.bn(c_out, hw_o)
    else:
        t.relu_conv_bn(c_in, c_out, 1 if op == 2 else 3, hw, hw_o)


def _encoder(
    t: _Tally, stages: Sequence[int], cell: Arch | None, c_in: int, h: int, w: int
) -> tuple[int, int, int]:
    """Counts the encoder into ``t``; its output ``(C, H, W)``."""
    h1, w1 = _half(h), _half(w)
    t.conv(c_in, 32, 3, h1 * w1)
    t.bn(32, h1 * w1)
    h2, w2 = _half(h1), _half(w1)
    t.relu_conv_bn(32, 64, 3, h1 * w1, h2 * w2)
    c, h, w = 64, h2, w2
    for code in stages:
        c_out = 2 * c if code % 2 == 0 else c
        stride = 2 if code > 2 else 1
        for _ in range(2):
            ho, wo = (_half(h), _half(w)) if stride == 2 else (h, w)
            hw, hw_o = h * w, ho * wo
            if cell is None:  # ResNet basic block
                t.relu_conv_bn(c, c_out, 3, hw, hw_o)
                t.relu_conv_bn(c_out, c_out, 3, hw_o, hw_o)
                if stride != 1 or c != c_out:
                    t.conv(c, c_out, 1, hw_o)
                    t.bn(c_out, hw_o)
            else:
                for op, (a, _b) in zip(cell, MICRO_EDGES):
                    if a == 0:
                        _micro_edge(t, op, c, c_out, stride, hw, hw_o)
                    else:
                        _micro_edge(t, op, c_out, c_out, 1, hw_o, hw_o)
            c, h, w, stride = c_out, ho, wo, 1
    return c, h, w


def _generative(t: _Tally, c: int, h: int, w: int, n_up: int, n_out: int) -> None:
    plan = [  # (c_out, upsample) of conv1..conv13; conv14 is the tanh output layer
        (1024, False),
        (1024, False),
        (512, n_up == 6),
        (512, False),
        (256, n_up >= 5),
        (128, False),
        (64, n_up >= 4),
        (64, False),
        (32, n_up >= 3),
        (32, False),
        (16, True),
        (32, False),
        (16, True),
    ]
    for c_out, up in plan:
        if up:
            h, w = 2 * h, 2 * w
            t.deconv_layer(c, c_out, h * w)
        else:
            t.conv_layer(c, c_out, h * w, act=True)
        c = c_out
    t.conv_layer(c, n_out, h * w, act=False, norm=False)


def _segmentation(t: _Tally, c: int, h: int, w: int, n_up: int, n_out: int) -> None:
    t.conv_layer(c, 1024, h * w, act=True)
    c = 1024
    for _ in range(6 - n_up):
        t.conv_layer(c, c // 2, h * w, act=True)
        c //= 2
    for _ in range(n_up - 1):
        h, w = 2 * h, 2 * w
        t.deconv_layer(c, c // 2, h * w)
        c //= 2
    h, w = 2 * h, 2 * w
    t.deconv_layer(c, c, h * w)
    t.conv_layer(c, n_out, h * w, act=False, norm=False)


def network_counts(stages: Sequence[int], cell: Arch | None, task: TaskSpec) -> tuple[int, int]:
    """``(params, flops)`` of the network with stage codes ``stages`` and micro ``cell``
    (``None``: residual blocks) for ``task`` (checked by the space beforehand)."""
    t = _Tally()
    shape = task.input_shape
    tiles = shape[0] if len(shape) == 4 else 1
    c, h, w = _encoder(t, stages, cell, shape[-3], shape[-2], shape[-1])
    n_up = 2 + downsamplings(stages)
    if task.output in ("logits", "vector"):
        t.head(c * tiles, h, w, task.num_outputs)
    elif task.output == "dense_logits":
        _segmentation(t, c, h, w, n_up, task.num_outputs)
    else:
        _generative(t, c, h, w, n_up, task.num_outputs)
    return t.params, t.flops
