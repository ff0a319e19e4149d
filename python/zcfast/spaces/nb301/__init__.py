"""NAS-Bench-301 / DARTS: encodings, moves and the reference networks.

An architecture is a pair of cells (normal, reduction).  A cell has two inputs (states 0 and 1:
the outputs of the cells two back and one back) and 4 intermediate nodes (states 2..5); node
``k`` sums two ops, each applied to one of the states ``0..k+1``, and the cell outputs the
concatenation of its 4 nodes.  Each op is one of the 7 DARTS ops (:data:`OPS`; NB301 has no
``none``).  The space is not enumerable (about 10¹⁸ architectures).

**Accepted encodings** (everywhere an ``arch`` is taken), all parsed to one canonical form:

* NASLib's **compact encoding**: 2 cells of 8 ``(input, op)`` pairs, node ``k`` owning pairs
  ``2k`` and ``2k + 1``, op by NASLib's index (``0 max_pool_3x3, 1 avg_pool_3x3,
  2 skip_connect, 3 sep_conv_3x3, 4 sep_conv_5x5, 5 dil_conv_3x3, 6 dil_conv_5x5``), as nested
  lists/tuples or their string (the ``arch`` column of NAS-Bench-Suite-Zero's NB301 data);
* a DARTS **Genotype**: its text (``"Genotype(normal=[('sep_conv_3x3', 0), ...],
  normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])"``, as DARTS prints it
  and ``genotypes.py`` holds it; ``range(2, 6)`` works too) or any object with the attributes
  ``normal``, ``normal_concat``, ``reduce``, ``reduce_concat`` (DARTS's namedtuple).

The **canonical form** is the compact encoding as tuples with each node's two pairs ordered by
input (the pair is unordered: the node sums it); the **key** (:func:`to_key`) is that form
written as NASLib writes it, ``"[[(0, 3), (1, 3), ...], [...]]"``.  Both encodings of one
architecture give one key, and ``parse(key)`` gives the architecture back.

**Validity.**  2 cells × 4 nodes × 2 edges; node ``k`` reads states ``0..k+1`` only; the 7 ops
only; concat ``[2, 3, 4, 5]``; and a node's two edges read **two different states**.  DARTS's
own model would run a node that reads one state twice, but DARTS's search never derives one
(it keeps the strongest edges from two different states), NB301's configuration space (one
``inputs_node_*`` choice of two distinct states per node) and NASLib's sampler cannot produce
one, and NASLib's converter keys edges by ``(input, node)``, so it would silently build such a
node with a single edge; zcfast refuses it.

**Networks.**  :meth:`NB301Space.build` (and :func:`build`) give the network with which
NAS-Bench-Suite-Zero computed its NB301 zero-cost scores (NASLib's ``NasBench301SearchSpace``):
DARTS's ``NetworkCIFAR`` with ``C = 32`` (stem 96 channels), 8 cells with reductions at cells 2
and 5, no auxiliary head, NASLib's op set (non-affine BatchNorm in the ops, a non-affine
BatchNorm after each pooling op).  Its ``count_params`` and ``count_flops`` (the default
tensorwatch convention) reproduce NASLib's ``params`` and ``flops`` exactly.
:func:`evaluation_network` gives DARTS's evaluation network (``C = 36``, 20 cells, DARTS's
affine ops, optional auxiliary head, drop path off) to train what a search finds; DARTS_V2
has 3,349,342 parameters there without the auxiliary head (DARTS's "3.3M").

Example
-------
>>> from zcfast.spaces import nb301
>>> darts_v2 = [[(0, 3), (1, 3), (0, 3), (1, 3), (1, 3), (0, 2), (0, 2), (2, 5)],
...             [(0, 0), (1, 0), (2, 2), (1, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]
>>> nb301.to_key(darts_v2)[:58]
'[[(0, 3), (1, 3), (0, 3), (1, 3), (0, 2), (1, 3), (0, 2), '
>>> nb301.genotype(darts_v2)[:62]
"Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('s"
>>> nb301.to_key(nb301.genotype(darts_v2)) == nb301.to_key(darts_v2)
True
>>> nb301.analytic_counts(darts_v2)          # params and FLOPs of the NB301 network
(909866, 165918208)
>>> nb301.analytic_counts(darts_v2, C=36, layers=20, config="darts")[0]   # DARTS's 3.3M
3349342
"""

from __future__ import annotations

from collections.abc import Hashable
from random import Random
from typing import TYPE_CHECKING, Any

from zcfast._messages import describe_value
from zcfast._params import Bool, Choice, Constraint, Int, Real, check_all, fail
from zcfast.exceptions import ConfigError
from zcfast.spaces._contract import Space, check_rng
from zcfast.spaces._task import TaskSpec
from zcfast.spaces.nb301._cell import (
    CONCAT,
    CONFIGS,
    EDGES_PER_CELL,
    NODES,
    NUM_OPS,
    OPS,
    Arch,
    Cell,
    Edge,
    node_inputs,
)
from zcfast.spaces.nb301._counts import network_counts
from zcfast.spaces.nb301._encoding import (
    CELL_NAMES,
    Genotype,
    genotype,
    parse,
    to_genotype,
    to_key,
)

if TYPE_CHECKING:
    from zcfast.spaces.nb301._torch import NB301Network

__all__ = [
    "CELL_NAMES",
    "CONCAT",
    "CONFIGS",
    "EDGES_PER_CELL",
    "MAX_C",
    "MAX_LAYERS",
    "NODES",
    "NUM_OPS",
    "OPS",
    "TASKS",
    "Arch",
    "Cell",
    "Edge",
    "Genotype",
    "NB301Space",
    "analytic_counts",
    "build",
    "evaluation_network",
    "genotype",
    "key",
    "mutate",
    "neighbours",
    "op_counts",
    "parse",
    "random_arch",
    "to_genotype",
    "to_key",
]

#: The canonical key of an architecture (:func:`to_key`; ``key`` as in :mod:`~zcfast.spaces.nb101`).
key = to_key

#: Largest initial channel count and number of cells the builders accept (DARTS: 36 and 20).
MAX_C = 1024
MAX_LAYERS = 100


# -- moves ------------------------------------------------------------------------------------


def _canonical(cells: list[list[Edge]]) -> Arch:
    """Canonical form of two valid cells (each node's pair ordered by input)."""
    out: list[Cell] = []
    for edges in cells:
        e = [p for node in range(NODES) for p in sorted(edges[2 * node : 2 * node + 2])]
        out.append((e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]))
    return (out[0], out[1])


def random_arch(rng: Random) -> Arch:
    """An architecture drawn with ``rng`` as NASLib's sampler draws one: for each cell and
    node, two distinct inputs among the states it may read and an op for each, uniformly.

    Example
    -------
    >>> from random import Random
    >>> random_arch(Random(0)) == random_arch(Random(0))
    True
    """
    rng = check_rng(rng)
    cells: list[list[Edge]] = []
    for _ in CELL_NAMES:
        edges: list[Edge] = []
        for node in range(NODES):
            a, b = rng.sample(range(node_inputs(node)), 2)
            edges += [(a, rng.randrange(NUM_OPS)), (b, rng.randrange(NUM_OPS))]
        cells.append(edges)
    return _canonical(cells)


def _changes(arch: Arch, c: int, e: int, kind: int) -> list[Edge]:
    """New values of edge ``e`` of cell ``c``: every other op (``kind`` 0) or every other
    input the node may read that its other edge does not (``kind`` 1)."""
    src, op = arch[c][e]
    if kind == 0:
        return [(src, o) for o in range(NUM_OPS) if o != op]
    sibling = arch[c][e ^ 1][0]
    return [(s, op) for s in range(node_inputs(e // 2)) if s not in (src, sibling)]


def _replace(arch: Arch, c: int, e: int, edge: Edge) -> Arch:
    cells = [list(arch[0]), list(arch[1])]
    cells[c][e] = edge
    return _canonical(cells)


def mutate(arch: Any, rng: Random) -> Arch:
    """``arch`` with one elementary change: a cell, an edge and a kind of change (op or input)
    drawn uniformly among those that can change (the first node's inputs cannot: it reads
    both cell inputs), then a new op among the other 6, or a new input among the states the
    node may read that neither of its edges reads, uniformly (NASLib's ``mutate`` changes one
    op or one input too, redrawing when nothing changed).  The result is valid and has another
    key.

    Example
    -------
    >>> from random import Random
    >>> a = random_arch(Random(1))
    >>> to_key(mutate(a, Random(2))) != to_key(a)
    True
    """
    a = parse(arch)
    rng = check_rng(rng)
    while True:
        c, e, kind = rng.randrange(2), rng.randrange(EDGES_PER_CELL), rng.randrange(2)
        choices = _changes(a, c, e, kind)
        if choices:
            return _replace(a, c, e, rng.choice(choices))


def neighbours(arch: Any) -> list[Arch]:
    """Every architecture one elementary change from ``arch`` (one edge's op, or one edge's
    input), distinct and in a fixed order: normal cell then reduction cell, edge by edge, op
    changes (by op index) before input changes (by input).  120 for every architecture: per
    cell, 8 edges × 6 other ops and ``2·(0 + 1 + 2 + 3)`` input changes.

    Example
    -------
    >>> len(neighbours([[(0, 3), (1, 3)] * 4, [(0, 0), (1, 0)] * 4]))
    120
    """
    a = parse(arch)
    out: dict[Arch, None] = {}
    for c in range(len(CELL_NAMES)):
        for e in range(EDGES_PER_CELL):
            for kind in (0, 1):
                for edge in _changes(a, c, e, kind):
                    out.setdefault(_replace(a, c, e, edge), None)
    out.pop(a, None)
    return list(out)


def op_counts(arch: Any) -> dict[str, tuple[int, int]]:
    """For each op, the number of edges carrying it in the normal and the reduction cell.

    Example
    -------
    >>> op_counts([[(0, 3), (1, 3)] * 4, [(0, 0), (1, 2)] * 4])["sep_conv_3x3"]
    (8, 0)
    """
    normal, reduce = parse(arch)
    return {
        name: (sum(op == i for _, op in normal), sum(op == i for _, op in reduce))
        for i, name in enumerate(OPS)
    }


# -- networks ---------------------------------------------------------------------------------


#: What :func:`build` and :func:`evaluation_network` take.
_NETWORK_ARGS: dict[str, Constraint[Any]] = {
    "num_classes": Int(1),
    "C": Int(1, MAX_C),
    "layers": Int(3, MAX_LAYERS),
    "config": Choice(*CONFIGS),
    "auxiliary": Bool(),
    "input_size": Int(1),
    "drop_path_prob": Real(0, 1, open_high=True),
}


def _check_network_args(
    num_classes: Any,
    C: Any,
    layers: Any,
    config: Any,
    auxiliary: Any,
    input_size: Any,
    drop_path_prob: Any = 0.0,
) -> None:
    args = {"num_classes": num_classes, "C": C, "layers": layers, "config": config}
    args |= {"auxiliary": auxiliary, "input_size": input_size, "drop_path_prob": drop_path_prob}
    check_all(args, _NETWORK_ARGS)
    if input_size % 4:
        expected = "a multiple of 4 (the network halves the images twice)"
        raise fail("input_size", expected, describe_value(input_size), ConfigError)
    if auxiliary and input_size != 32:
        expected = (
            "32 with auxiliary=True (DARTS's auxiliary head takes the 8×8 maps of 32×32 images)"
        )
        raise fail("input_size", expected, describe_value(input_size), ConfigError)


def analytic_counts(
    arch: Any,
    num_classes: int = 10,
    *,
    C: int = 32,
    layers: int = 8,
    input_size: int = 32,
    config: str = "naslib",
    auxiliary: bool = False,
) -> tuple[int, int]:
    """``(params, flops)`` of :func:`build`'s network, from per-module formulas (no PyTorch).

    The same counts as ``count_params`` and ``count_flops`` (tensorwatch convention, one
    ``input_size``² sample, eval mode: an auxiliary head's parameters count, its FLOPs do not)
    on the network :func:`build` makes with the same arguments.

    Example
    -------
    >>> p, f = analytic_counts([[(0, 3), (1, 3)] * 4, [(0, 0), (1, 0)] * 4])
    >>> round(p / 1e6, 6), round(f / 1e6, 6)
    (1.145066, 204.420608)
    """
    a = parse(arch)
    _check_network_args(num_classes, C, layers, config, auxiliary, input_size)
    return network_counts(
        a,
        num_classes,
        C=C,
        layers=layers,
        input_size=input_size,
        config=config,
        auxiliary=auxiliary,
    )


def build(
    arch: Any,
    num_classes: int = 10,
    *,
    C: int = 32,
    layers: int = 8,
    config: str = "naslib",
    auxiliary: bool = False,
    input_size: int = 32,
) -> NB301Network:
    """A freshly initialised DARTS network (PyTorch default init, train mode).

    The defaults give the network of NAS-Bench-Suite-Zero's NB301 scores (see the module
    docs); ``config="darts"`` switches to DARTS's evaluation ops.

    Parameters
    ----------
    arch:
        Any accepted encoding (see :func:`parse`).
    num_classes:
        Classifier outputs.
    C, layers:
        Initial channels (the stem has ``3·C``) and number of cells (at least 3; the cells at
        ``layers // 3`` and ``2·layers // 3`` reduce).
    config:
        ``"naslib"`` or ``"darts"`` (:data:`CONFIGS`).
    auxiliary:
        Add DARTS's auxiliary head after the second reduction cell (32×32 images only).
    input_size:
        Side of the square input images (a multiple of 4), kept as ``model.input_shape``.

    Example
    -------
    >>> net = build("[[(0, 3), (1, 3), (0, 3), (1, 3), (0, 3), (1, 3), (0, 3), (1, 3)],"
    ...             " [(0, 0), (1, 0), (0, 0), (1, 0), (0, 0), (1, 0), (0, 0), (1, 0)]]")
    >>> net(torch.randn(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """
    a = parse(arch)
    _check_network_args(num_classes, C, layers, config, auxiliary, input_size)
    from zcfast.spaces.nb301._torch import NB301Network

    return NB301Network(
        a,
        num_classes,
        C=C,
        layers=layers,
        auxiliary=auxiliary,
        config=config,
        input_shape=(3, input_size, input_size),
    )


def evaluation_network(
    arch: Any,
    num_classes: int = 10,
    *,
    C: int = 36,
    layers: int = 20,
    auxiliary: bool = False,
    drop_path_prob: float = 0.0,
) -> NB301Network:
    """DARTS's CIFAR evaluation network of ``arch`` (``train.py``'s ``NetworkCIFAR``: 36
    initial channels, 20 cells, DARTS's affine ops), to train what a search finds.

    ``forward`` returns the logits; ``forward_aux`` returns ``(logits, auxiliary logits)`` as
    DARTS's ``forward`` does (the auxiliary logits exist in training mode with
    ``auxiliary=True``; DARTS trains with ``loss + 0.4 · aux_loss``).  ``drop_path_prob`` is
    DARTS's drop-path probability (0: off; DARTS raises it linearly to 0.2 over training by
    setting ``net.drop_path_prob`` each epoch).

    Example
    -------
    >>> darts_v2 = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1),"
    ...     " ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0),"
    ...     " ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5],"
    ...     " reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2),"
    ...     " ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2),"
    ...     " ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")
    >>> analytic_counts(darts_v2, C=36, layers=20, config="darts")[0]
    3349342
    >>> net = evaluation_network(darts_v2)
    >>> sum(p.numel() for p in net.parameters())
    3349342
    """
    a = parse(arch)
    _check_network_args(num_classes, C, layers, "darts", auxiliary, 32, drop_path_prob)
    from zcfast.spaces.nb301._torch import NB301Network

    return NB301Network(
        a,
        num_classes,
        C=C,
        layers=layers,
        auxiliary=auxiliary,
        config="darts",
        drop_path_prob=float(drop_path_prob),
    )


def __getattr__(name: str) -> Any:
    if name in (
        "NB301Network",
        "DARTSCell",
        "AuxiliaryHeadCIFAR",
        "FactorizedReduce",
        "ReLUConvBN",
        "SepConv",
        "DilConv",
    ):
        from zcfast.spaces.nb301 import _torch

        return getattr(_torch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: NB301's task: CIFAR-10 at 32×32, as NAS-Bench-301 trains it; zen reads the input of the
#: global pooling.
TASKS: dict[str, TaskSpec] = {
    "cifar10": TaskSpec.classification(
        "cifar10",
        10,
        (3, 32, 32),
        feature_module="global_pooling",
        description="CIFAR-10 (the task NAS-Bench-301 trains and scores DARTS cells on)",
    ),
}


class NB301Space(Space):
    """NAS-Bench-301 (the DARTS search space) as a :class:`zcfast.spaces.SearchSpace`.

    Canonical architectures are NASLib compact tuples with each node's pair ordered by input;
    keys are :func:`to_key` strings.  Not enumerable.  ``build(arch, task)`` gives the network
    of NAS-Bench-Suite-Zero's scores; :meth:`evaluation_network` DARTS's network for training.
    ``count_params`` and ``count_flops`` are the base class's: they reproduce NASLib's NB301
    ``params`` and ``flops`` exactly.

    Example
    -------
    >>> space = NB301Space()
    >>> a = space.sample(3, seed=0)
    >>> len(a), len(space.neighbours(a[0])), space.tasks
    (3, 120, ('cifar10',))
    >>> space.key(space.genotype(a[0])) == space.key(a[0])
    True
    """

    name = "nb301"
    TASKS = TASKS
    flops_convention = "tensorwatch"

    def parse(self, arch: Any) -> Arch:
        """Canonical form of ``arch`` (see :func:`parse`)."""
        return parse(arch)

    def key(self, arch: Any) -> str:
        """Canonical key, e.g. ``"[[(0, 3), (1, 3), ...], [...]]"`` (see :func:`to_key`)."""
        return to_key(arch)

    def genotype(self, arch: Any) -> str:
        """DARTS ``Genotype(...)`` text of ``arch`` (see :func:`genotype`)."""
        return genotype(arch)

    def to_genotype(self, arch: Any) -> Genotype:
        """DARTS ``Genotype`` of ``arch`` (see :func:`to_genotype`)."""
        return to_genotype(arch)

    def random(self, rng: Random) -> Arch:
        """An architecture drawn with ``rng`` (see :func:`random_arch`)."""
        return random_arch(rng)

    def mutate(self, arch: Any, rng: Random) -> Arch:
        """``arch`` with one op or one input changed (see :func:`mutate`)."""
        return mutate(arch, rng)

    def neighbours(self, arch: Any) -> list[Arch]:
        """The 120 architectures one change away (see :func:`neighbours`)."""
        return neighbours(arch)

    def network(self, arch: Hashable, task: TaskSpec) -> NB301Network:
        """NAS-Bench-Suite-Zero's NB301 network of a parsed ``arch`` for a classification
        ``task`` on ``(3, H, W)`` images (``H`` and ``W`` multiples of 4)."""
        shape = task.input_shape
        if not task.is_classification or len(shape) != 3 or shape[0] != 3:
            expected = "a classification task on (3, H, W) images for NB301"
            raise fail("task", expected, f"{task.output} outputs on {shape}")
        if shape[1] % 4 or shape[2] % 4:
            expected = (
                "images whose sides are multiples of 4 for NB301 (the network halves them twice)"
            )
            raise fail("task", expected, str(shape))
        from zcfast.spaces.nb301._torch import NB301Network

        a = parse(arch)
        return NB301Network(a, task.num_outputs, input_shape=(3, shape[1], shape[2]))

    def evaluation_network(
        self,
        arch: Any,
        num_classes: int = 10,
        *,
        C: int = 36,
        layers: int = 20,
        auxiliary: bool = False,
        drop_path_prob: float = 0.0,
    ) -> NB301Network:
        """DARTS's evaluation network of ``arch`` (see :func:`evaluation_network`)."""
        return evaluation_network(
            arch,
            num_classes,
            C=C,
            layers=layers,
            auxiliary=auxiliary,
            drop_path_prob=drop_path_prob,
        )

    def analytic_counts(self, arch: Any, task: TaskSpec | str | None = None) -> tuple[int, int]:
        """``(params, flops)`` of ``build(arch, task)``'s network from formulas, no PyTorch
        (see :func:`analytic_counts`); equal to ``count_params`` and ``count_flops``."""
        t = self.task(task)
        shape = t.input_shape
        if not t.is_classification or len(shape) != 3 or shape[0] != 3 or shape[1] != shape[2]:
            expected = "a classification task on square (3, s, s) images"
            raise fail("task", expected, f"{t.output} outputs on {t.input_shape}")
        return analytic_counts(arch, t.num_outputs, input_size=shape[1])
