"""What proxies cost: :func:`proxy_costs` measures it on the user's space, task, batch and device.

The fused engine shares passes among proxies, so the cost of a formula is the cost of the set
of *passes* its proxies need, not a sum over proxies.  The passes:

==========  ==============================================  ==================================
pass        what runs                                       proxies that need it
==========  ==============================================  ==================================
build       the network is built and initialised            all
forward     the instrumented forward of the batch (pass A)  nwot, and the seven below
backward    the loss backward for ∂L/∂W                     grad_norm snip plain fisher grasp
hessian     grasp's second backward (H·g)                   grasp
jacobian    the backward of Σ outputs to the input          jacov epe_nas
synflow     synflow's float64 pass                          synflow
zen         zen's two forwards                              zen
swap        SWAP's forward of the first samples             swap (shared with a small batch)
flops       a one-sample forward (free with ``forward``)    flops
==========  ==============================================  ==================================

params and l2_norm cost nothing beyond the build.  Each pass is timed by difference: a
probe that needs the passes ``{A, B}`` minus the probe that needs ``{A}``.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from zcfast._params import Choice, Int, check
from zcfast.metrics._api import compute
from zcfast.metrics._common import PROXIES
from zcfast.metrics._options import Options, resolve_options

__all__ = ["PASSES", "ProxyCosts", "proxy_costs"]

#: The passes each proxy needs (besides building the network).
PASSES: dict[str, frozenset[str]] = {
    "nwot": frozenset({"forward"}),
    "grad_norm": frozenset({"forward", "backward"}),
    "snip": frozenset({"forward", "backward"}),
    "plain": frozenset({"forward", "backward"}),
    "fisher": frozenset({"forward", "backward"}),
    "grasp": frozenset({"forward", "backward", "hessian"}),
    "jacov": frozenset({"forward", "jacobian"}),
    "epe_nas": frozenset({"forward", "jacobian"}),
    "synflow": frozenset({"synflow"}),
    "zen": frozenset({"zen"}),
    "swap": frozenset({"swap"}),
    "flops": frozenset({"flops"}),
    "params": frozenset(),
    "l2_norm": frozenset(),
}
_PROXY = Choice(*PROXIES)

#: Probes: the proxies timed to measure a pass, and the pass timed before it that they also
#: run (subtracted).
_PROBES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "forward": (("nwot",), None),
    "backward": (("grad_norm",), "forward"),
    "hessian": (("grasp",), "backward"),
    "jacobian": (("jacov",), "forward"),
    "synflow": (("synflow",), None),
    "zen": (("zen",), None),
    "swap": (("swap",), None),
    "flops": (("flops",), None),
}


@dataclass(frozen=True)
class ProxyCosts:
    """Seconds per architecture of each pass, measured by :func:`proxy_costs`.

    ``cost_of(names)`` is what computing that set of proxies costs per architecture (the
    build plus every pass the set needs, each once); ``per_proxy`` is each proxy alone.

    Example
    -------
    >>> costs = ProxyCosts({"build": 0.05, "forward": 0.1, "backward": 0.2, "flops": 0.01})
    >>> round(costs.cost_of(["nwot", "grad_norm", "snip"]), 3)   # one forward, one backward
    0.35
    >>> round(costs.cost_of(["nwot", "flops"]), 3)               # flops is free with the forward
    0.15
    """

    passes: dict[str, float]
    info: dict[str, Any] = field(default_factory=dict)

    def needs(self, names: Iterable[str]) -> frozenset[str]:
        """The passes computing ``names`` runs."""
        need: set[str] = set()
        for n in names:
            need |= PASSES[check("names", n, _PROXY)]
        if "forward" in need:
            need.discard("flops")  # read off the instrumented forward
            if self.info.get("swap_shared"):
                need.discard("swap")  # a batch no larger than swap_samples: the same forward
        return frozenset(need)

    def cost_of(self, names: Iterable[str]) -> float:
        """Seconds per architecture to build a network and compute the proxies ``names``."""
        need = self.needs(names)
        return self.passes.get("build", 0.0) + sum(self.passes.get(p, 0.0) for p in need)

    @property
    def per_proxy(self) -> dict[str, float]:
        """Each proxy's cost alone (build included)."""
        return {p: self.cost_of([p]) for p in PROXIES}

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``passes``, ``per_proxy`` and how they were measured."""
        return {"passes": dict(self.passes), "per_proxy": self.per_proxy, "info": self.info}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> ProxyCosts:
        """Reads what :meth:`to_json` wrote."""
        data = json.loads(text)
        return cls({str(k): float(v) for k, v in data["passes"].items()}, data.get("info", {}))


def proxy_costs(
    space: Any,
    archs: Iterable[Any],
    *,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    task: Any = None,
    num_classes: int | None = None,
    repeats: int = 1,
    options: Options | None = None,
    **overrides: Any,
) -> ProxyCosts:
    """Measures what each pass (and so each proxy and each set of proxies) costs per
    architecture, on ``space``'s networks for ``task`` at this batch and device.

    Each architecture is built (timed) and every probe of :data:`_PROBES` runs on it
    ``repeats`` times after one untimed warm-up call; a pass's cost is the mean over the
    architectures of the median probe time minus the probe it extends (never below 0).

    Parameters
    ----------
    space, archs, inputs, labels, task, num_classes, options, **overrides:
        As in :func:`zcfast.metrics.score_archs` (``options``/overrides: device, threads, ...).
    repeats:
        Timed calls per probe and architecture.

    Example
    -------
    >>> from zcfast.spaces import nb201
    >>> x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,))
    >>> costs = proxy_costs("nb201", nb201.sample(2, seed=0), inputs=x, labels=y)
    >>> costs.cost_of(["nwot"]) < costs.cost_of(["nwot", "grasp"])
    True
    """
    from zcfast.metrics._many import _arch_list, make_job

    opts = resolve_options(options, overrides, "proxy_costs")
    repeats = check("repeats", repeats, Int(1, 100))
    job = make_job(
        "proxies",
        space,
        task=task,
        inputs=inputs,
        labels=labels,
        num_classes=num_classes,
        proxies=["params"],
        options=opts,
    )
    device, x, y = job.place()
    per_pass: dict[str, list[float]] = {p: [] for p in ("build", *_PROBES)}
    archs = _arch_list(archs)
    with opts.threads():
        for arch in archs:
            start = time.perf_counter()
            net = job.build(arch).to(device=device, dtype=job.inputs.dtype)
            per_pass["build"].append(time.perf_counter() - start)
            probe = _probe_times(net, x, y, job, repeats)
            for name, (_, base) in _PROBES.items():
                extra = probe[name] - (probe[base] if base is not None else 0.0)
                per_pass[name].append(max(0.0, extra))
    passes = {p: statistics.fmean(v) for p, v in per_pass.items() if v}
    info = {
        "space": job.space.name,
        "task": job.task.name,
        "batch": list(job.inputs.shape),
        "device": str(device),
        "threads": torch.get_num_threads() if opts.n_threads is None else opts.n_threads,
        "archs": len(archs),
        "repeats": repeats,
        "swap_shared": int(job.inputs.shape[0]) <= opts.swap_samples,
    }
    return ProxyCosts(passes, info)


def _probe_times(
    net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, job: Any, repeats: int
) -> dict[str, float]:
    """The median time of each probe's ``compute`` call on one network (after a warm-up)."""
    opts = job.options.replace(device=None, dtype=None)
    out: dict[str, float] = {}
    for name, (proxies, _) in _PROBES.items():
        compute(net, x, y, list(proxies), task=job.task, options=opts)  # warm-up
        times = []
        for _ in range(repeats):
            _sync(x.device)
            start = time.perf_counter()
            compute(net, x, y, list(proxies), task=job.task, options=opts)
            _sync(x.device)
            times.append(time.perf_counter() - start)
        out[name] = statistics.median(times)
    return out


def _sync(device: torch.device) -> None:
    """Waits for the GPU's queued work, so that a timing covers it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
