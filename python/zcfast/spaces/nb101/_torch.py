"""PyTorch modules of the NAS-Bench-101 network (imported only when a network is built).

Structure and module types follow the network NASLib builds for NAS-Bench-Suite-Zero
(``nasbench_pytorch``'s ``Network`` and ``Cell``), so that parameter counts, FLOP counts and
hook-based proxies (which look at ``Conv2d``/``BatchNorm2d``/``ReLU``/``Linear`` modules) see
the same modules as the reference.  The one departure is that the global average pooling,
a bare ``torch.mean`` in the reference, is a module here (:class:`GlobalAvgPool`) so that zen
can find the features it pools; it is still a mean over space, which the FLOP convention of
:mod:`zcfast.metrics` counts as 0 as the reference's counter did.
"""

from __future__ import annotations

import torch
from torch import nn

from zcfast.spaces.nb101._cell import CONV3X3, MAXPOOL3X3, NASLIB_OPS, Arch, unflatten
from zcfast.spaces.nb101._cell import vertex_channels as _vertex_channels

__all__ = ["ConvBnRelu", "GlobalAvgPool", "NB101Cell", "NB101Network"]


class ConvBnRelu(nn.Sequential):
    """Conv2d (no bias, "same" padding) → BatchNorm2d → ReLU."""

    def __init__(self, c_in: int, c_out: int, kernel: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride=1, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=False),
        )


class GlobalAvgPool(nn.Module):
    """Mean over the spatial dimensions: ``(N, C, H, W) -> (N, C)``.

    Not an ``nn.AdaptiveAvgPool2d``: NAS-Bench-Suite-Zero's ``flops`` were counted on a
    network that pools with ``torch.mean``, which adds nothing, while the FLOP convention of
    :mod:`zcfast.metrics` charges an ``AdaptiveAvgPool2d``.  The task names this module as
    its ``feature_module``, so zen reads its input.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


def _op(name: str, channels: int) -> nn.Module:
    if name == MAXPOOL3X3:
        return nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
    return ConvBnRelu(channels, channels, 3 if name == CONV3X3 else 1)


class NB101Cell(nn.Module):
    """One NAS-Bench-101 cell (a parsed, pruned ``arch``) from ``c_in`` to ``c_out`` channels.

    ``vertex_ops[str(v)]`` is interior vertex ``v``'s op at its width ``channels[v]``;
    ``projections[str(v)]`` is the 1×1 conv-BN-ReLU from the cell input to vertex ``v``, for
    every vertex the input feeds (the output included).
    """

    def __init__(self, arch: Arch, c_in: int, c_out: int) -> None:
        super().__init__()
        n, matrix, ops = unflatten(arch)
        self.num_vertices = n
        self.channels = _vertex_channels(c_in, c_out, matrix)
        #: interior vertices feeding each vertex, in order
        self.sources = [[u for u in range(1, v) if matrix[u][v]] for v in range(n)]
        self.from_input = [bool(matrix[0][v]) for v in range(n)]
        self.vertex_ops = nn.ModuleDict(
            {str(v): _op(NASLIB_OPS[ops[v]], self.channels[v]) for v in range(1, n - 1)}
        )
        self.projections = nn.ModuleDict(
            {
                str(v): ConvBnRelu(c_in, self.channels[v], 1)
                for v in range(1, n)
                if self.from_input[v]
            }
        )

    def _gather(self, states: list[torch.Tensor], v: int) -> list[torch.Tensor]:
        width = self.channels[v]
        inputs = (states[u] for u in self.sources[v])
        return [s if s.shape[1] == width else s[:, :width] for s in inputs]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.num_vertices
        states = [x]
        for v in range(1, n - 1):
            inputs = self._gather(states, v)
            if self.from_input[v]:
                inputs.append(self.projections[str(v)](x))
            total = inputs[0]
            for t in inputs[1:]:
                total = total + t
            states.append(self.vertex_ops[str(v)](total))
        feeding = [states[u] for u in self.sources[n - 1]]
        if not feeding:  # the input feeds the output alone
            return self.projections[str(n - 1)](x)
        out = feeding[0] if len(feeding) == 1 else torch.cat(feeding, dim=1)
        if self.from_input[n - 1]:
            out = out + self.projections[str(n - 1)](x)
        return out

    def extra_repr(self) -> str:
        return f"channels={self.channels}"


class NB101Network(nn.Module):
    """NAS-Bench-101 macro network; ``forward`` returns logits.

    ``stem`` (3×3 conv-BN-ReLU to ``C``), ``layers`` (three stacks of ``N`` cells, a 2×2
    max pooling before the second and third, channels doubling at each), ``global_pooling``
    (:class:`GlobalAvgPool`) and ``classifier`` (``Linear``).  Attributes ``arch`` (the
    parsed cell), ``num_classes`` and ``input_shape`` describe how it was built.
    """

    def __init__(
        self,
        arch: Arch,
        num_classes: int = 10,
        *,
        input_shape: tuple[int, ...] = (3, 32, 32),
        C: int = 128,
        N: int = 3,
    ) -> None:
        super().__init__()
        self.arch = tuple(arch)
        self.num_classes = num_classes
        self.input_shape = tuple(input_shape)
        self.stem = ConvBnRelu(self.input_shape[0], C, 3)
        layers: list[nn.Module] = []
        c_in = c_out = C
        for stack in range(3):
            if stack > 0:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                c_out *= 2
            for _ in range(N):
                layers.append(NB101Cell(self.arch, c_in, c_out))
                c_in = c_out
        self.layers = nn.Sequential(*layers)
        self.global_pooling = GlobalAvgPool()
        self.classifier = nn.Linear(c_out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.global_pooling(self.layers(self.stem(x))))

    def extra_repr(self) -> str:
        return f"arch={self.arch}, num_classes={self.num_classes}"
