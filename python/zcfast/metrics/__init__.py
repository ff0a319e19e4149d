"""Zero-cost proxies of PyTorch models, in as few passes as the definitions allow.

Needs PyTorch (``pip install 'zcfast[torch]'``); ``import zcfast`` works without it.

Proxies (:data:`PROXIES`), following the NAS-Bench-Suite-Zero reference semantics: "per layer"
means the weights of executed ``Conv2d``/``Linear`` modules, summed over layers; one real batch,
the model's current (default) init, BatchNorm in train mode.  What the network is trained for
is a :class:`zcfast.spaces.TaskSpec` (``task=``): proxies that need a loss use the task's
(cross-entropy for class logits, the default without a task), labels are the task's kind
(class indices, soft labels, dense maps, regression targets), jacov and synflow sum all
outputs, and a proxy whose definition does not apply to the task is refused with the reason
(epe_nas needs class labels; zen needs the pre-pooling features: a task's ``feature_module``
or the model's ``AdaptiveAvgPool2d``); :func:`proxies_for` lists the ones that apply.
How they are computed (seed, device, dtype, SWAP's settings, threads, ...) is one
:class:`Options` object, whose fields every function also takes by name.

============  ==========================================================================
grad_norm     Σ‖∂L/∂W‖
snip          Σ|W ⊙ ∂L/∂W|
plain         Σ W ⊙ ∂L/∂W
fisher        Σ_layers fan-in · Σ_channels ½·mean_batch(Σ_spatial act ⊙ ∂L/∂act)²
grasp         −Σ W ⊙ (H g), g = ∂L/∂W
jacov         −Σ[ln(λ+1e-5) + 1/(λ+1e-5)], λ eigenvalues of corrcoef of ∂Σoutputs/∂x rows
epe_nas       per-class Σ ln(|corrcoef| + 1e-5) of the same Jacobians, combined
nwot          ln|det K|, K = Σ_ReLUs Hamming-agreement kernel of the binary input codes
synflow       ln Σ|W ⊙ ∂R/∂W|, R = Σ outputs, all-ones input, |θ|, float64, no BatchNorm
zen           ln mean‖f(x) − f(x + 0.01ε)‖₁ (pre-global-pool features, Gaussian init and
              inputs) + Σ_BN ln √mean(running_var)
swap          distinct per-neuron sign patterns of ReLU outputs over the first 16 samples
              (× the optional size regulariser)
l2_norm       Σ‖W‖
params        parameter count (millions)
flops         forward FLOPs of one sample (millions, tensorwatch convention)
============  ==========================================================================

NaN/±inf results are reported as :data:`SENTINEL` (−1e8), the reference's value; synflow of a
network whose output does not depend on its weights is 0 (as in the reference).

Per-layer primitives (:func:`layer_primitives`, the raw material of layer-wise proxy
discovery): one row per weight layer (every Conv1d/2d/3d, ConvTranspose1d/2d/3d and Linear, in
``named_modules()`` order, executed or not), columns :data:`LAYER_COLUMNS`: shape and cost
(``fan_in``, ``fan_out``, ``kernel``, ``groups``, ``n_params``, ``flops``, ``depth``), statistics
of W, G = ∂L/∂W and W⊙G, the per-layer terms of fisher, grasp and synflow, and activation
statistics of the layer's own input X and output Z: on the data batch (moments, fraction
positive, rank and log-determinant of the sign codes' kernel, SWAP patterns, ‖∂L/∂Z‖), on a
Gaussian noise batch, and the relative change of Z when the data move by 0.01·noise
(``sensitivity``).  A layer called several times reports the mean over its calls.  Every value
is finite (NaN/±inf become :data:`SENTINEL`).  The conv2d/linear rows sum to the proxies:
Σ grad_norm = grad_norm, Σ wg_abs_sum = snip, Σ wg_sum = plain, Σ weight_norm = l2_norm,
Σ fisher = fisher, Σ grasp = grasp, ln Σ synflow = synflow.  :func:`layer_primitives_many`
stacks the tables of many architectures of a search space (an ``arch`` column first, ``error``
last), and :func:`score_archs_and_layers` returns :func:`score_archs`' proxy matrix and that
long table from one pass per architecture.  The three take ``executor=`` (this process, local
worker processes or a Ray cluster) and ``out=`` (a directory the rows stream to, which a rerun
resumes; :func:`read_scores` reads it back).

Public API: :func:`compute`, :func:`layer_primitives`, :func:`score_archs`,
:func:`layer_primitives_many`, :func:`score_archs_and_layers`, :func:`read_scores`,
:func:`count_params`, :func:`count_flops`, :func:`example_batch`, :func:`proxies_for`,
:class:`Options`, :class:`ScoreJob`, :func:`proxy_costs` (:class:`ProxyCosts`),
:data:`PROXIES`, :data:`SENTINEL`, :data:`LAYER_COLUMNS`.
"""

from __future__ import annotations

try:
    import torch as _torch  # noqa: F401
except ImportError as _exc:  # pragma: no cover - exercised only without torch
    from zcfast._params import missing_dependency

    raise missing_dependency("PyTorch", "zcfast.metrics", "'zcfast[torch]'", _exc) from _exc

from zcfast.jobs import read_scores
from zcfast.metrics._api import LAYER_COLUMNS, compute, layer_primitives, proxies_for
from zcfast.metrics._batches import BATCH_SOURCES, example_batch
from zcfast.metrics._common import PROXIES, SENTINEL
from zcfast.metrics._costs import PASSES, ProxyCosts, proxy_costs
from zcfast.metrics._many import (
    ScoreJob,
    layer_primitives_many,
    score_archs,
    score_archs_and_layers,
)
from zcfast.metrics._options import Options
from zcfast.metrics._static import count_flops, count_params

__all__ = [
    "BATCH_SOURCES",
    "LAYER_COLUMNS",
    "PASSES",
    "PROXIES",
    "SENTINEL",
    "Options",
    "ProxyCosts",
    "ScoreJob",
    "compute",
    "count_flops",
    "count_params",
    "example_batch",
    "layer_primitives",
    "layer_primitives_many",
    "proxies_for",
    "proxy_costs",
    "read_scores",
    "score_archs",
    "score_archs_and_layers",
]
