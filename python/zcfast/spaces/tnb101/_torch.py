"""PyTorch modules of the TransNAS-Bench-101 networks (imported only when one is built).

Structure, widths and module types follow NASLib's copy of the benchmark's builder
(``naslib/search_spaces/transbench101/tnb101``: ``MacroNet``, ``MicroCell``,
``ResNetBasicblock``, ``FFDecoder``, ``SiameseDecoder``, ``SegmentationDecoder``,
``GenerativeDecoder``), so that parameter counts, FLOP counts and hook-based proxies see the
same ``Conv2d``/``ConvTranspose2d``/``BatchNorm2d``/``ReLU``/``LeakyReLU``/``Linear``/pooling
modules.  Every module sits under ``encoder.``, ``head.`` or ``decoder.``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from zcfast.spaces._task import TaskSpec
from zcfast.spaces.tnb101._codes import MICRO_EDGES, Arch, downsamplings

__all__ = [
    "ConvLayer",
    "DeconvLayer",
    "Encoder",
    "FactorizedReduce",
    "GenerativeDecoder",
    "Head",
    "MicroCell",
    "ReLUConvBN",
    "ResNetBasicBlock",
    "SegmentationDecoder",
    "TNB101Network",
    "Zero",
]

#: Channels of the stem's output (the ``64`` of the official strings; its first conv has half).
BASE_CHANNELS = 64
#: Blocks (cells or residual blocks) per stage.
BLOCKS_PER_STAGE = 2


class ReLUConvBN(nn.Sequential):
    """ReLU → Conv2d (no bias) → BatchNorm2d."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The ``none`` op: zeros of the edge's output shape (``x * 0`` when the shape is kept, as
    the benchmark does, so that gradients stay defined; new zeros when channels change)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.c_in, self.c_out, self.stride = c_in, c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.c_in == self.c_out:
            s = self.stride
            return x.mul(0.0) if s == 1 else x[:, :, ::s, ::s].mul(0.0)
        n, _, h, w = x.shape
        s = self.stride
        return x.new_zeros((n, self.c_out, (h + 1) // s, (w + 1) // s))

    def extra_repr(self) -> str:
        return f"c_in={self.c_in}, c_out={self.c_out}, stride={self.stride}"


class FactorizedReduce(nn.Module):
    """``skip_connect`` across a change of shape: ReLU, two 1×1 convs (the second on the input
    shifted by one pixel) concatenated, BatchNorm."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        half = c_out // 2
        self.convs = nn.ModuleList(
            [
                nn.Conv2d(c_in, half, 1, stride=stride, bias=False),
                nn.Conv2d(c_in, c_out - half, 1, stride=stride, bias=False),
            ]
        )
        self.pad = nn.ConstantPad2d((0, 1, 0, 1), 0.0)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = self.pad(x)[:, :, 1:, 1:]
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](shifted)], dim=1))


def _micro_op(op: int, c_in: int, c_out: int, stride: int) -> nn.Module:
    if op == 0:
        return Zero(c_in, c_out, stride)
    if op == 1:
        if stride == 1 and c_in == c_out:
            return nn.Identity()
        return FactorizedReduce(c_in, c_out, stride)
    if op == 2:
        return ReLUConvBN(c_in, c_out, 1, stride, 0)
    return ReLUConvBN(c_in, c_out, 3, stride, 1)


class MicroCell(nn.Module):
    """A micro cell: ``edges[k]`` is the op on edge ``MICRO_EDGES[k]``; edges leaving the
    input change the shape (stride, channels), the others keep ``c_out``; a node is the sum
    of its incoming edges and the cell's output is node 3."""

    def __init__(self, cell: Arch, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(
            _micro_op(op, c_in, c_out, stride) if a == 0 else _micro_op(op, c_out, c_out, 1)
            for op, (a, _b) in zip(cell, MICRO_EDGES)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for node in (1, 2, 3):
            total: torch.Tensor | None = None
            for k, (a, b) in enumerate(MICRO_EDGES):
                if b == node:
                    y = self.edges[k](nodes[a])
                    total = y if total is None else total + y
            assert total is not None
            nodes.append(total)
        return nodes[-1]


class ResNetBasicBlock(nn.Module):
    """A macro block: two ReLU-conv3×3-BN, plus a 1×1 conv + BN shortcut when the shape
    changes (identity otherwise)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample: nn.Module | None = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x if self.downsample is None else self.downsample(x)
        return residual + self.conv_b(self.conv_a(x))


class Encoder(nn.Module):
    """Stem (conv 3×3 stride 2 to 32 channels, BN, ReLU-conv 3×3 stride 2-BN to 64) and one
    stage of two blocks per stage code; ``cell`` is the micro cell (``None``: residual blocks).

    Attributes ``channels`` (output channels) and ``stride`` (total downsampling factor).
    """

    def __init__(self, stages: Sequence[int], cell: Arch | None, in_channels: int = 3) -> None:
        super().__init__()
        c = BASE_CHANNELS
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, c // 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c // 2),
            ReLUConvBN(c // 2, c, 3, 2, 1),
        )
        self.stages = nn.ModuleList()
        for code in stages:
            c_out = 2 * c if code % 2 == 0 else c
            stride = 2 if code > 2 else 1
            blocks: list[nn.Module] = []
            for _ in range(BLOCKS_PER_STAGE):
                if cell is None:
                    blocks.append(ResNetBasicBlock(c, c_out, stride))
                else:
                    blocks.append(MicroCell(cell, c, c_out, stride))
                c, stride = c_out, 1
            self.stages.append(nn.Sequential(*blocks))
        self.channels = c
        self.stride = 4 * 2 ** downsamplings(stages)

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """``(C, H, W)`` of the features of one ``height`` × ``width`` input (each of the
        stem's two convs and each downsampling stage halves a size, rounding up)."""
        for _ in range(self.stride.bit_length() - 1):
            height, width = (height + 1) // 2, (width + 1) // 2
        return (self.channels, height, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return x


class Head(nn.Module):
    """Global average pooling and a linear layer (classification, room layout, jigsaw)."""

    def __init__(self, c_in: int, n_out: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(c_in, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.flatten(self.avgpool(x)))


class ConvLayer(nn.Module):
    """Conv2d 3×3 (with bias), then BatchNorm and an activation when given."""

    def __init__(self, c_in: int, c_out: int, act: nn.Module | None, norm: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=1, padding=1)
        self.norm = nn.BatchNorm2d(c_out) if norm else None
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.norm is not None:
            x = self.norm(x)
        return x if self.act is None else self.act(x)


class DeconvLayer(nn.Module):
    """ConvTranspose2d 3×3 stride 2 (doubles the resolution), BatchNorm, LeakyReLU(0.2)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1)
        self.norm = nn.BatchNorm2d(c_out)
        self.act = nn.LeakyReLU(0.2, inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


def _leaky() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.2, inplace=False)


class GenerativeDecoder(nn.Module):
    """The pix2pix-style decoder of autoencoder and normal: 14 layers ``conv1``..``conv14``
    from ``c_in`` channels to ``n_out`` (tanh), upsampling ``2**n_up`` times (``n_up`` in
    2..6: layers 3, 5, 7, 9 become transposed convs as needed; 11 and 13 always are)."""

    def __init__(self, c_in: int, n_up: int, n_out: int = 3) -> None:
        super().__init__()
        if not 2 <= n_up <= 6:
            raise ValueError(f"n_up: expected 2..6, found {n_up}")  # pragma: no cover

        def conv_or_up(a: int, b: int, up: bool) -> nn.Module:
            return DeconvLayer(a, b) if up else ConvLayer(a, b, _leaky())

        self.conv1 = ConvLayer(c_in, 1024, _leaky())
        self.conv2 = ConvLayer(1024, 1024, _leaky())
        self.conv3 = conv_or_up(1024, 512, n_up == 6)
        self.conv4 = ConvLayer(512, 512, _leaky())
        self.conv5 = conv_or_up(512, 256, n_up >= 5)
        self.conv6 = ConvLayer(256, 128, _leaky())
        self.conv7 = conv_or_up(128, 64, n_up >= 4)
        self.conv8 = ConvLayer(64, 64, _leaky())
        self.conv9 = conv_or_up(64, 32, n_up >= 3)
        self.conv10 = ConvLayer(32, 32, _leaky())
        self.conv11 = DeconvLayer(32, 16)
        self.conv12 = ConvLayer(16, 32, _leaky())
        self.conv13 = DeconvLayer(32, 16)
        self.conv14 = ConvLayer(16, n_out, nn.Tanh(), norm=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, 15):
            x = getattr(self, f"conv{i}")(x)
        return x


class SegmentationDecoder(nn.Module):
    """The decoder of segmentsemantic: 8 layers in ``layers`` (a conv to 1024 channels,
    ``6 - n_up`` halving convs, ``n_up - 1`` halving transposed convs, one more transposed
    conv, and a plain conv to ``n_out`` class scores)."""

    def __init__(self, c_in: int, n_up: int, n_out: int) -> None:
        super().__init__()
        if not 2 <= n_up <= 6:
            raise ValueError(f"n_up: expected 2..6, found {n_up}")  # pragma: no cover
        layers: list[nn.Module] = [ConvLayer(c_in, 1024, _leaky())]
        c = 1024
        for _ in range(6 - n_up):
            layers.append(ConvLayer(c, c // 2, _leaky()))
            c //= 2
        for _ in range(n_up - 1):
            layers.append(DeconvLayer(c, c // 2))
            c //= 2
        layers.append(DeconvLayer(c, c))
        layers.append(ConvLayer(c, n_out, None, norm=False))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class TNB101Network(nn.Module):
    """A TransNAS-Bench-101 network: ``encoder`` and either ``head`` (logits, vector) or
    ``decoder`` (dense outputs).  A tiled input ``(N, T, C, H, W)`` (jigsaw) runs the encoder
    on each tile in turn and the head on their features concatenated along the channels.

    Attributes ``arch`` (the parsed tuple), ``space`` (``"tnb101_micro"`` or
    ``"tnb101_macro"``), ``task`` (its name) and ``input_shape`` (one sample's shape).
    """

    def __init__(self, arch: Arch, space: str, task: TaskSpec, stages: Sequence[int]) -> None:
        super().__init__()
        self.arch = tuple(arch)
        self.space = space
        self.task = task.name
        self.input_shape = tuple(task.input_shape)
        self.tiles = task.input_shape[0] if len(task.input_shape) == 4 else 0
        cell = arch if space == "tnb101_micro" else None
        self.encoder = Encoder(stages, cell, in_channels=task.input_shape[-3])
        c = self.encoder.channels
        n_up = 2 + downsamplings(stages)
        self.head: Head | None = None
        self.decoder: nn.Module | None = None
        if task.output in ("logits", "vector"):
            self.head = Head(c * max(self.tiles, 1), task.num_outputs)
        elif task.output == "dense_logits":
            self.decoder = SegmentationDecoder(c, n_up, task.num_outputs)
        else:
            self.decoder = GenerativeDecoder(c, n_up, task.num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.tiles:
            features = torch.cat([self.encoder(x[:, i]) for i in range(x.shape[1])], dim=1)
        else:
            features = self.encoder(x)
        if self.head is not None:
            return self.head(features)
        assert self.decoder is not None
        return self.decoder(features)

    def extra_repr(self) -> str:
        return f"arch={self.arch}, space={self.space!r}, task={self.task!r}"
