"""TransNAS-Bench-101: the micro (cell) and macro (skeleton) spaces and their seven tasks.

TransNAS-Bench-101 trains every architecture on seven Taskonomy tasks, each with its own head
or decoder on a shared kind of encoder: ``class_scene`` and ``class_object`` (soft-label
classification), ``jigsaw`` (which permutation shuffled nine tiles), ``room_layout`` (9-value
regression), ``segmentsemantic`` (17 classes per pixel), ``autoencoder`` (reconstruct the
input) and ``normal`` (surface normals); see :data:`TASKS`.

Architectures are **NASLib 6-tuples**, the keys of NAS-Bench-Suite-Zero and of the shared data:

* :class:`TNB101MicroSpace` (``"tnb101_micro"``, 4,096 cells): position ``k`` is the op on
  edge ``(0→1, 0→2, 1→2, 0→3, 1→3, 2→3)[k]`` of a 4-node cell, ops ``0 none, 1 skip_connect,
  2 nor_conv_1x1, 3 nor_conv_3x3`` (the digits of the official string ``64-41414-a_bc_def``).
  The skeleton is fixed: a stem to 64 channels and five stages ``4 1 4 1 4`` of two cells.
* :class:`TNB101MacroSpace` (``"tnb101_macro"``, 3,256 skeletons): position ``k`` is stage
  ``k``'s code: ``1`` plain, ``2`` doubles the channels, ``3`` halves the resolution, ``4``
  both, ``0`` no stage (trailing padding: 4 to 6 stages); 1 to 4 stages downsample and 1 to 3
  double the channels.  Each stage is two ResNet basic blocks.  Official string:
  ``64-<codes>-basic``.

Both accept a tuple/list/array of six ints, its string (``"(1, 0, 0, 2, 1, 3)"``) or the
official TransNAS-Bench-101 string; keys are the tuple strings.

Networks (``build(arch, task)``) follow NASLib's copy of the benchmark's builder, and their
``count_params`` and ``count_flops`` equal NASLib's stored counts for every architecture and
task of the shared data (``scripts/check_tnb101_counts.py``).  Two conventions make that so:

* the autoencoder and normal networks are trained as GANs; the discriminator (5,168,705
  parameters) is not part of the forward and not of the network here, and the stored params
  do not include it either;
* ``flops`` counts each module once per forward (:attr:`TNB101MicroSpace.flops_convention`
  ``"tensorwatch-once"``): the jigsaw encoder runs once per tile, and the benchmark's counter
  (tensorwatch's ``ModelStats``, one record per module) counts one tile.  Other tasks run
  every module once, so this is plain tensorwatch there.

``space.analytic_counts(arch, task)`` gives the same two numbers from per-module formulas,
without PyTorch or a network (a fraction of a millisecond, against a tenth of a second or more
for a shape-only forward).

Every module of a network sits under ``encoder.`` (stem and stages), ``head.`` (global pooling
and linear layer of the classification, jigsaw and room-layout tasks) or ``decoder.`` (the
dense tasks' decoders); :func:`part_of` says which of a layer name.

Initialisation is PyTorch's default (the benchmark's encoder initialises its convs with
Kaiming-normal ``fan_out`` instead, so data-dependent proxy values differ from ones computed on
NASLib's networks).

Importing this package does not import PyTorch; only building networks does.

Example
-------
>>> from zcfast.spaces import get_space
>>> micro = get_space("tnb101_micro")
>>> micro.size, micro.tasks[:3]
(4096, ('class_scene', 'class_object', 'autoencoder'))
>>> micro.key("64-41414-1_00_213")
'(1, 0, 0, 2, 1, 3)'
>>> macro = get_space("tnb101_macro")
>>> macro.size, macro.key([1, 2, 4, 2, 0, 0]), macro.to_str((1, 2, 4, 2, 0, 0))
(3256, '(1, 2, 4, 2, 0, 0)', '64-1242-basic')
>>> macro.task("jigsaw").input_shape
(9, 3, 64, 64)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from random import Random
from typing import TYPE_CHECKING, Any, ClassVar

from zcfast._messages import describe_value
from zcfast._params import Instance, check, fail
from zcfast.exceptions import ShapeError
from zcfast.spaces._contract import Space, check_rng
from zcfast.spaces._task import TaskSpec
from zcfast.spaces.tnb101._codes import (
    MACRO_CODES,
    MACRO_SIZE,
    MICRO_EDGES,
    MICRO_OPS,
    MICRO_SIZE,
    MICRO_SKELETON,
    Arch,
    downsamplings,
    macro_archs,
    macro_problem,
    macro_stages,
    parse_macro,
    parse_micro,
)
from zcfast.spaces.tnb101._tasks import TASK_NAMES, TASKS

if TYPE_CHECKING:
    from torch import nn

    from zcfast.spaces.tnb101._torch import TNB101Network

__all__ = [
    "MACRO_CODES",
    "MACRO_SIZE",
    "MICRO_EDGES",
    "MICRO_OPS",
    "MICRO_SIZE",
    "MICRO_SKELETON",
    "PARTS",
    "TASKS",
    "TASK_NAMES",
    "Arch",
    "TNB101MacroSpace",
    "TNB101MicroSpace",
    "is_connected",
    "macro_to_str",
    "micro_to_str",
    "parse_macro",
    "parse_micro",
    "part_of",
]

#: The parts of a network a module can belong to (the first component of its name).
PARTS: tuple[str, ...] = ("encoder", "head", "decoder")


def part_of(layer_name: str) -> str:
    """Which part of a TransNAS-Bench-101 network the module ``layer_name`` belongs to:
    ``"encoder"`` (stem and stages), ``"head"`` (pooling and linear layer) or ``"decoder"``.

    ``layer_name`` is a name from ``network.named_modules()`` (the per-layer table's
    ``layer`` column).

    Example
    -------
    >>> part_of("encoder.stages.0.1.edges.5.1")
    'encoder'
    >>> part_of("decoder.conv14.conv"), part_of("head.fc")
    ('decoder', 'head')
    """
    name = check("layer_name", layer_name, Instance(str, what="a module name (str)"))
    first = name.split(".", 1)[0]
    if first not in PARTS:
        expected = (
            "a module name of a TransNAS-Bench-101 network, starting with"
            f" {', '.join(p + '.' for p in PARTS)}"
        )
        raise fail("layer_name", expected, describe_value(layer_name))
    return first


def micro_to_str(arch: Any) -> str:
    """The official TransNAS-Bench-101 string of a micro cell.

    Example
    -------
    >>> micro_to_str((1, 0, 0, 2, 1, 3))
    '64-41414-1_00_213'
    """
    t = parse_micro(arch)
    return "64-41414-{}_{}{}_{}{}{}".format(*t)


def macro_to_str(arch: Any) -> str:
    """The official TransNAS-Bench-101 string of a macro skeleton.

    Example
    -------
    >>> macro_to_str("(4, 1, 3, 2, 1, 1)")
    '64-413211-basic'
    """
    return "64-" + "".join(map(str, macro_stages(parse_macro(arch)))) + "-basic"


def is_connected(arch: Any) -> bool:
    """Whether a micro cell's output depends on its input (a path of non-``none`` edges from
    node 0 to node 3); a disconnected cell makes the encoder output zeros.

    Example
    -------
    >>> is_connected((0, 0, 3, 0, 3, 3))
    False
    >>> is_connected((1, 0, 0, 0, 2, 0))
    True
    """
    t = parse_micro(arch)
    reach = {0}
    for (a, b), op in zip(MICRO_EDGES, t):  # edges are in order of their head node
        if op != 0 and a in reach:
            reach.add(b)
    return 3 in reach


class _TNB101Space(Space):
    """What the micro and macro spaces share: tasks, networks and the FLOP convention."""

    TASKS = TASKS
    #: tensorwatch's per-module formulas, each module counted once per forward (see
    #: :meth:`count_flops`).
    flops_convention: ClassVar[str] = "tensorwatch-once"

    def parse(self, arch: Any) -> Arch:  # pragma: no cover - abstract
        raise NotImplementedError

    def _stages(self, arch: Arch) -> tuple[int, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def network(self, arch: Any, task: TaskSpec) -> TNB101Network:
        """The network of a parsed ``arch`` for ``task`` (one of :data:`TASKS`, or any
        :class:`TaskSpec` of the same kinds, e.g. ``task.with_input_size(64)``).

        The head or decoder follows the task's output kind: ``logits``/``vector`` → global
        pooling and a linear layer (on the tiles' concatenated features for a tiled input);
        ``dense_logits`` → the segmentation decoder; ``dense``/``image`` → the generative
        decoder.  Decoders undo the encoder's downsampling (4 × 2 per downsampling stage), so
        a dense task's input size must be a multiple of it.
        """
        from zcfast.spaces.tnb101._torch import TNB101Network

        t = self.parse(arch)
        return TNB101Network(t, self.name, task, self._check_task(t, task))

    def analytic_counts(self, arch: Any, task: TaskSpec | str | None = None) -> tuple[int, int]:
        """``(params, flops)`` of ``build(arch, task)`` from per-module formulas, without
        PyTorch or a network: exactly :meth:`count_params` and :meth:`count_flops` of the
        built network (same convention), in well under a millisecond instead of a shape-only
        forward.
        """
        from zcfast.spaces.tnb101._counts import network_counts

        t = self.parse(arch)
        resolved = self.task(task)
        stages = self._check_task(t, resolved)
        return network_counts(stages, t if self.name == "tnb101_micro" else None, resolved)

    def part_of(self, layer_name: str) -> str:
        """Which part (:data:`PARTS`) of this space's networks a module belongs to (see
        :func:`part_of`)."""
        return part_of(layer_name)

    def _check_task(self, arch: Arch, task: TaskSpec) -> tuple[int, ...]:
        """The stage codes of ``arch``, once ``task`` is known to fit its networks."""
        stages = self._stages(arch)
        shape = task.input_shape
        of_task = f"for task {task.name!r}"
        if len(shape) not in (3, 4):
            expected = f"images (C, H, W) or tiles (T, C, H, W) for {self.name}"
            raise fail("task", expected, f"input_shape {shape} {of_task}", ShapeError)
        if len(shape) == 4 and task.output not in ("logits", "vector"):
            expected = f"(C, H, W) images for {task.output} outputs"
            raise fail("task", expected, f"tiles {shape} {of_task}", ShapeError)
        if task.output in ("dense_logits", "dense", "image"):
            stride = 4 * 2 ** downsamplings(stages)
            h, w = shape[-2:]
            if h % stride or w % stride:
                expected = (
                    f"an input size divisible by {stride} for {task.output} outputs of"
                    f" {self.key(arch)} (its decoder undoes a {stride}× downsampling)"
                )
                raise fail("task", expected, f"{h}×{w} {of_task}", ShapeError)
            if task.output_size not in (None, (h, w)):
                expected = f"dense outputs of the input's size {h}×{w} for {self.name}"
                found = f"output_size {task.output_size} {of_task}"
                raise fail("task", expected, found, ShapeError)
        return stages

    def count_flops(self, net: nn.Module, task: TaskSpec | str | None = None) -> int:
        """The ``flops`` NASLib stores for ``net``: one sample of ``task``'s input shape (a
        name, a :class:`TaskSpec`, ``None``: ``net.input_shape``), tensorwatch's per-module
        formulas (:func:`zcfast.metrics.count_flops`), **each module counted once** per
        forward, as tensorwatch's ``ModelStats`` keeps one record per module.  This differs
        from the plain convention only for jigsaw, whose encoder runs once per tile: the
        benchmark counts one tile's encoder plus the head.  Counted by batch-1 forwards on the
        network's device (on ``meta``: from shapes alone, without arithmetic).
        """
        from zcfast.metrics import count_flops

        declared: Any = getattr(net, "input_shape", None)
        if task is None and declared is not None:
            shape = tuple(declared)
        else:
            shape = self.task(task).input_shape
        encoder, head = getattr(net, "encoder", None), getattr(net, "head", None)
        if len(shape) != 4 or encoder is None or head is None:
            return count_flops(net, shape)  # every module runs once: plain tensorwatch
        # Tiles: every encoder module runs once per tile and counts once; the head once.
        c, h, w = encoder.output_shape(*shape[-2:])
        return count_flops(encoder, shape[1:]) + count_flops(head, (c * shape[0], h, w))


class TNB101MicroSpace(_TNB101Space):
    """TransNAS-Bench-101 micro: 4,096 cells in a fixed skeleton, seven tasks.

    Example
    -------
    >>> space = TNB101MicroSpace()
    >>> space.parse("(1, 0, 0, 2, 1, 3)"), space.to_str([1, 0, 0, 2, 1, 3])
    ((1, 0, 0, 2, 1, 3), '64-41414-1_00_213')
    >>> len(space.neighbours((1, 0, 0, 2, 1, 3)))
    18
    """

    name = "tnb101_micro"
    size = MICRO_SIZE

    def parse(self, arch: Any) -> Arch:
        """The 6-tuple of op indices of ``arch`` (see :func:`parse_micro`)."""
        return parse_micro(arch)

    def to_str(self, arch: Any) -> str:
        """The official string, e.g. ``"64-41414-1_00_213"``."""
        return micro_to_str(arch)

    def _stages(self, arch: Arch) -> tuple[int, ...]:
        return MICRO_SKELETON

    def enumerate(self) -> Iterator[Arch]:
        """All 4,096 cells in lexicographic order of the tuples (NASLib's iterator order)."""
        for t in itertools.product(range(4), repeat=6):
            yield (t[0], t[1], t[2], t[3], t[4], t[5])

    def random(self, rng: Random) -> Arch:
        """A cell drawn uniformly from all 4,096 with ``rng``."""
        code = check_rng(rng).randrange(MICRO_SIZE)
        d = [(code >> (2 * (5 - k))) & 3 for k in range(6)]
        return (d[0], d[1], d[2], d[3], d[4], d[5])

    def mutate(self, arch: Any, rng: Random) -> Arch:
        """``arch`` with one edge, drawn uniformly, set to one of the three other ops."""
        t = list(parse_micro(arch))
        rng = check_rng(rng)
        edge = rng.randrange(6)
        t[edge] = rng.choice([op for op in range(4) if op != t[edge]])
        return (t[0], t[1], t[2], t[3], t[4], t[5])

    def neighbours(self, arch: Any) -> list[Arch]:
        """The 18 cells that differ from ``arch`` on one edge, edge by edge, op by op."""
        t = parse_micro(arch)
        out = []
        for edge in range(6):
            for op in range(4):
                if op != t[edge]:
                    n = list(t)
                    n[edge] = op
                    out.append((n[0], n[1], n[2], n[3], n[4], n[5]))
        return out


class TNB101MacroSpace(_TNB101Space):
    """TransNAS-Bench-101 macro: 3,256 skeletons of residual stages, seven tasks.

    A neighbour differs in one position of the tuple and is in the space: one stage's code
    changed, or the last stage removed or a stage appended (a 0 position set or cleared).

    Example
    -------
    >>> space = TNB101MacroSpace()
    >>> space.parse("64-1242-basic")
    (1, 2, 4, 2, 0, 0)
    >>> space.neighbours((1, 2, 4, 2, 0, 0))[:3]
    [(3, 2, 4, 2, 0, 0), (1, 1, 4, 2, 0, 0), (1, 3, 4, 2, 0, 0)]
    """

    name = "tnb101_macro"
    size = MACRO_SIZE

    def parse(self, arch: Any) -> Arch:
        """The 6-tuple of stage codes of ``arch`` (see :func:`parse_macro`)."""
        return parse_macro(arch)

    def to_str(self, arch: Any) -> str:
        """The official string, e.g. ``"64-1242-basic"``."""
        return macro_to_str(arch)

    def _stages(self, arch: Arch) -> tuple[int, ...]:
        return macro_stages(arch)

    def enumerate(self) -> Iterator[Arch]:
        """All 3,256 skeletons in lexicographic order of the tuples."""
        return iter(macro_archs())

    def random(self, rng: Random) -> Arch:
        """A skeleton drawn uniformly from all 3,256 with ``rng``."""
        return check_rng(rng).choice(macro_archs())

    def mutate(self, arch: Any, rng: Random) -> Arch:
        """One of :meth:`neighbours`, drawn uniformly with ``rng``."""
        rng = check_rng(rng)
        return rng.choice(self.neighbours(arch))

    def neighbours(self, arch: Any) -> list[Arch]:
        """Every skeleton of the space that differs from ``arch`` in one position, position
        by position, code by code (``0..4``)."""
        t = parse_macro(arch)
        out = []
        for pos in range(6):
            for code in range(5):
                if code != t[pos]:
                    n = list(t)
                    n[pos] = code
                    if macro_problem(n) is None:
                        out.append((n[0], n[1], n[2], n[3], n[4], n[5]))
        return out


def __getattr__(name: str) -> Any:
    if name in ("TNB101Network", "Encoder", "MicroCell", "ResNetBasicBlock"):
        from zcfast.spaces.tnb101 import _torch

        return getattr(_torch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
