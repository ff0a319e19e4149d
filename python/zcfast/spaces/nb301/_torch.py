"""PyTorch modules of the DARTS network (imported only when a network is built).

Structure and module types follow the DARTS reference (``NetworkCIFAR``, ``Cell``,
``AuxiliaryHeadCIFAR`` and the ops of ``operations.py``), so that parameter counts, FLOP counts
and hook-based proxies (which look at ``Conv2d``/``BatchNorm2d``/``ReLU``/pooling modules) see
the same modules as the reference.  Two op sets exist (:data:`CONFIGS`):

* ``"naslib"``: the ops NASLib's ``NasBench301SearchSpace`` puts on the cell edges, with which
  NAS-Bench-Suite-Zero computed its NB301 scores: separable, dilated and reducing skip ops
  with non-affine BatchNorm, and every pooling op followed by a non-affine BatchNorm;
* ``"darts"``: DARTS's evaluation ops (``OPS[name](C, stride, affine=True)``): affine
  BatchNorm, pooling without BatchNorm.

Everything outside the cells' ops (stem, the cells' input preprocessing, classifier) is the same
in both.  Every ReLU is out of place (DARTS's auxiliary head uses in-place ReLUs; every consumer
of the tensor they rewrite starts with a ReLU, so the values are the same), so hooks see each
module's real input.
"""

from __future__ import annotations

import torch
from torch import nn

from zcfast._params import Choice, check, fail
from zcfast.exceptions import ConfigError
from zcfast.spaces.nb301._cell import CONCAT, CONFIGS, OPS, Arch, Cell

__all__ = [
    "CONFIGS",
    "AuxiliaryHeadCIFAR",
    "DARTSCell",
    "DilConv",
    "FactorizedReduce",
    "NB301Network",
    "ReLUConvBN",
    "SepConv",
]


class ReLUConvBN(nn.Sequential):
    """ReLU → Conv2d (no bias) → BatchNorm2d."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool = True
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class FactorizedReduce(nn.Module):
    """Halves the resolution: ReLU, two 1×1 stride-2 convs (the second shifted by one pixel),
    each to half the output channels, concatenated, then BatchNorm."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise fail("c_out", "an even number of channels", str(c_out), ConfigError)
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class SepConv(nn.Sequential):
    """DARTS's separable convolution: (ReLU → depthwise k×k → pointwise → BN) twice; only the
    first depthwise conv has the op's stride."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_in, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=1, padding=padding, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """DARTS's dilated separable convolution: ReLU → depthwise k×k dilation 2 → pointwise →
    BN."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int,
        stride: int,
        padding: int,
        dilation: int,
        affine: bool,
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(
                c_in,
                c_in,
                kernel,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=c_in,
                bias=False,
            ),
            nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


def _op(name: str, c: int, stride: int, config: str) -> nn.Module:
    """The module of op ``name`` on ``c`` channels (``stride`` 2 on a reduction cell's edges
    from the cell inputs)."""
    naslib = config == "naslib"
    affine = not naslib
    if name in ("max_pool_3x3", "avg_pool_3x3"):
        pool: nn.Module = (
            nn.MaxPool2d(3, stride=stride, padding=1)
            if name == "max_pool_3x3"
            else nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
        )
        return nn.Sequential(pool, nn.BatchNorm2d(c, affine=False)) if naslib else pool
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine=affine)
    if name == "sep_conv_3x3":
        return SepConv(c, c, 3, stride, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(c, c, 5, stride, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(c, c, 3, stride, 2, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(c, c, 5, stride, 4, 2, affine)
    raise ValueError(name)  # pragma: no cover - names come from OPS


def drop_path(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """DARTS's drop path: zeroes whole samples with probability ``drop_prob`` and rescales the
    others by ``1 / (1 - drop_prob)``."""
    keep = 1.0 - drop_prob
    mask = torch.empty((x.shape[0], 1, 1, 1), device=x.device, dtype=x.dtype).bernoulli_(keep)
    return x.div(keep).mul(mask)


class DARTSCell(nn.Module):
    """One DARTS cell: preprocessing of the two inputs, then 4 nodes each summing two ops over
    earlier states, the 4 node outputs concatenated (``4 × c`` channels)."""

    def __init__(
        self,
        cell: Cell,
        c_prev_prev: int,
        c_prev: int,
        c: int,
        *,
        reduction: bool,
        reduction_prev: bool,
        config: str,
    ) -> None:
        super().__init__()
        self.reduction = reduction
        self.preprocess0: nn.Module = (
            FactorizedReduce(c_prev_prev, c)
            if reduction_prev
            else ReLUConvBN(c_prev_prev, c, 1, 1, 0)
        )
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        self.ops = nn.ModuleList(
            _op(OPS[op], c, 2 if reduction and src < 2 else 1, config) for src, op in cell
        )
        self.indices = tuple(src for src, _ in cell)
        self.multiplier = len(CONCAT)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float = 0.0) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(len(self.indices) // 2):
            total: torch.Tensor | None = None
            for e in (2 * node, 2 * node + 1):
                op = self.ops[e]
                h = op(states[self.indices[e]])
                if self.training and drop_prob > 0.0 and not isinstance(op, nn.Identity):
                    h = drop_path(h, drop_prob)
                total = h if total is None else total + h
            assert total is not None
            states.append(total)
        return torch.cat([states[i] for i in CONCAT], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    """DARTS's auxiliary classifier on the 8×8 output of the second reduction cell."""

    def __init__(self, c: int, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=False),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class NB301Network(nn.Module):
    """DARTS's CIFAR network (``NetworkCIFAR``); ``forward`` returns logits.

    Stem: 3×3 conv to ``3·C`` channels + BN.  ``layers`` cells; the cells at
    ``layers // 3`` and ``2·layers // 3`` are reduction cells (stride 2 on the edges from the
    cell inputs, channels doubled).  Cell ``i`` reads the outputs of cells ``i − 2`` and
    ``i − 1`` (the stem for both at the start): the older one through a
    :class:`FactorizedReduce` when the previous cell reduced, else a 1×1 :class:`ReLUConvBN`,
    the newer one through a 1×1 :class:`ReLUConvBN`.  Then global average pooling and a linear
    classifier on ``4 · 4C`` features.

    Attributes ``arch``, ``num_classes``, ``input_shape`` (one sample, ``(3, H, W)``),
    ``config``, ``C`` and ``layers`` describe how it was built.  ``drop_path_prob`` (DARTS's
    drop-path probability, 0 = off) applies in training mode.  With ``auxiliary=True``,
    :meth:`forward_aux` also returns the auxiliary head's logits in training mode, as DARTS's
    ``forward`` does.
    """

    def __init__(
        self,
        arch: Arch,
        num_classes: int = 10,
        *,
        C: int = 32,
        layers: int = 8,
        auxiliary: bool = False,
        config: str = "naslib",
        input_shape: tuple[int, int, int] = (3, 32, 32),
        drop_path_prob: float = 0.0,
    ) -> None:
        super().__init__()
        check("config", config, Choice(*CONFIGS))
        self.arch = tuple(arch)
        self.num_classes = num_classes
        self.input_shape = tuple(input_shape)
        self.config = config
        self.C = C
        self.layers = layers
        self.drop_path_prob = drop_path_prob
        self.aux_index = 2 * layers // 3
        c_stem = 3 * C
        self.stem = nn.Sequential(
            nn.Conv2d(3, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem)
        )
        c_prev_prev, c_prev, c_cur = c_stem, c_stem, C
        reduction_prev = False
        c_aux = c_prev
        self.cells = nn.ModuleList()
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_cur *= 2
            cell = DARTSCell(
                arch[1] if reduction else arch[0],
                c_prev_prev,
                c_prev,
                c_cur,
                reduction=reduction,
                reduction_prev=reduction_prev,
                config=config,
            )
            self.cells.append(cell)
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_cur
            if i == self.aux_index:
                c_aux = c_prev
        self.auxiliary_head = AuxiliaryHeadCIFAR(c_aux, num_classes) if auxiliary else None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(logits, auxiliary logits)`` as DARTS's ``NetworkCIFAR.forward`` returns them (the
        auxiliary logits are ``None`` in eval mode or without an auxiliary head)."""
        return self._run(x, aux=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x, aux=False)[0]

    def _run(self, x: torch.Tensor, *, aux: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        logits_aux = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if aux and i == self.aux_index and self.auxiliary_head is not None and self.training:
                logits_aux = self.auxiliary_head(s1)
        out = self.global_pooling(s1)
        return self.classifier(out.flatten(1)), logits_aux

    def extra_repr(self) -> str:
        return (
            f"config={self.config!r}, C={self.C}, layers={self.layers},"
            f" num_classes={self.num_classes}"
        )
