"""PyTorch modules of the NAS-Bench-201 network (imported only when a network is built).

Structure and module types follow the NB201 reference implementation (``TinyNetwork``,
``InferCell``, ``ResNetBasicblock``, ``ReLUConvBN``), so that parameter counts, FLOP counts and
hook-based proxies (which look at ``Conv2d``/``Linear``/``ReLU``/``BatchNorm2d`` modules) see
the same modules as the reference.
"""

from __future__ import annotations

import torch
from torch import nn

from zcfast.spaces.nb201._cell import EDGES, NASLIB_OPS, STRING_EDGES, Arch

__all__ = ["InferCell", "NB201Network", "ReLUConvBN", "ResNetBasicblock", "Zero"]


class ReLUConvBN(nn.Sequential):
    """ReLU → Conv2d (no bias) → BatchNorm2d."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=True, track_running_stats=True),
        )


class Zero(nn.Module):
    """The ``none`` op: multiplies by zero (as the reference does, so gradients stay defined)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def _op(name: str, c: int) -> nn.Module:
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_3x3":
        return ReLUConvBN(c, c, 3, 1, 1)
    if name == "nor_conv_1x1":
        return ReLUConvBN(c, c, 1, 1, 0)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(name)  # pragma: no cover - names come from NASLIB_OPS


class InferCell(nn.Module):
    """An NB201 cell with exactly one module per edge (``layers`` in official string order)."""

    def __init__(self, arch: Arch, c: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        self.edges: list[tuple[int, int]] = []
        for a, b in STRING_EDGES:
            self.layers.append(_op(NASLIB_OPS[arch[EDGES.index((a, b))]], c))
            self.edges.append((a, b))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        k = 0
        for j in (1, 2, 3):
            total: torch.Tensor | None = None
            for _ in range(j):
                a, _b = self.edges[k]
                y = self.layers[k](nodes[a])
                total = y if total is None else total + y
                k += 1
            assert total is not None
            nodes.append(total)
        return nodes[-1]


class ResNetBasicblock(nn.Module):
    """Residual reduction block between stages (stride 2)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """NB201 macro network; ``forward`` returns logits.

    Attributes ``arch`` (NASLib tuple), ``num_classes`` and ``input_shape`` (``(3, s, s)``)
    describe how it was built.
    """

    def __init__(
        self, arch: Arch, num_classes: int = 10, *, input_size: int = 32, C: int = 16, N: int = 5
    ) -> None:
        super().__init__()
        self.arch = tuple(arch)
        self.num_classes = num_classes
        self.input_shape = (3, input_size, input_size)
        self.stem = nn.Sequential(
            nn.Conv2d(3, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C)
        )
        channels = [C] * N + [2 * C] + [2 * C] * N + [4 * C] + [4 * C] * N
        reductions = [False] * N + [True] + [False] * N + [True] + [False] * N
        self.cells = nn.ModuleList()
        c_prev = C
        for c_cur, red in zip(channels, reductions):
            cell: nn.Module = ResNetBasicblock(c_prev, c_cur) if red else InferCell(arch, c_cur)
            self.cells.append(cell)
            c_prev = c_cur
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feature = self.stem(x)
        for cell in self.cells:
            feature = cell(feature)
        out = self.global_pooling(self.lastact(feature))
        return self.classifier(out.flatten(1))

    def extra_repr(self) -> str:
        return f"arch={self.arch}, num_classes={self.num_classes}"
