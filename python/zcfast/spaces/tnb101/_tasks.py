"""TransNAS-Bench-101's seven Taskonomy tasks as :class:`~zcfast.spaces.TaskSpec`\\ s.

Sizes, heads and losses are those of NASLib's TransNAS-Bench-101 builder
(``naslib/search_spaces/transbench101/tnb101``), whose parameter and FLOP counts zcfast
reproduces, and of the benchmark's training configurations:

============== ================= ============ ========= ========================================
task           input (1 sample)  output       classes   loss (labels)
============== ================= ============ ========= ========================================
class_scene    (3, 256, 256)     logits       63        soft cross-entropy (soft labels)
class_object   (3, 256, 256)     logits       100       soft cross-entropy (soft labels)
jigsaw         (9, 3, 64, 64)    logits       1000      cross-entropy (permutation index)
room_layout    (3, 256, 256)     vector       9         MSE
segmentsemantic (3, 256, 256)    dense_logits 17        cross-entropy per pixel
autoencoder    (3, 256, 256)     image        3 ch.     L1 (the input itself)
normal         (3, 256, 256)     dense        3 ch.     L1 (surface normals)
============== ================= ============ ========= ========================================

Notes on faithfulness:

* class_scene / class_object: NASLib's builder has 63 and 100 outputs (the public
  TransNAS-Bench-101 configurations say 47 and 75); the shared counts are NASLib's.  Both are
  trained against soft labels (a distribution over classes from a pretrained network) with
  ``SoftmaxCrossEntropyWithLogits``, i.e. ``−Σ t log softmax(z)``; the benchmark adds 1e-5
  inside the log, zcfast's ``soft_cross_entropy`` does not.
* jigsaw: the image is resized to 255×255, centre-cropped by 0.9 and cut into a 3×3 grid of
  64×64 tiles, shuffled by one of 1000 fixed permutations (the class to predict).
* autoencoder and normal are trained as pix2pix-style GANs: ``0.99·L1 + 0.01·GAN loss``; the
  GAN term needs the discriminator, which is not part of the network (see
  :mod:`zcfast.spaces.tnb101`), so the task's loss is the L1 term (NASLib's ``get_loss_fn``
  does the same).  Both decoders end in ``tanh``; targets are images normalised to [-1, 1].

``feature_module`` (where zen reads features, as an input) follows NASLib's zen for this
benchmark: the input of the global pooling for the classification, regression and jigsaw heads
(for jigsaw: the nine tiles' encoder features concatenated along the channels), and the input of
the decoder's last convolution for the dense tasks (NASLib's ``_forward_before_last_conv``).
"""

from __future__ import annotations

from zcfast.spaces._task import TaskSpec

__all__ = ["DEFAULT_TASK", "TASKS", "TASK_NAMES"]

_IMAGE = (3, 256, 256)
_HEAD_FEATURES = "head.avgpool"

#: The seven tasks, the default (``class_scene``) first.
TASKS: dict[str, TaskSpec] = {
    "class_scene": TaskSpec(
        "class_scene",
        _IMAGE,
        "logits",
        63,
        labels="distribution",
        loss="soft_cross_entropy",
        feature_module=_HEAD_FEATURES,
        description="Taskonomy scene classification: 63 scene classes, soft labels",
    ),
    "class_object": TaskSpec(
        "class_object",
        _IMAGE,
        "logits",
        100,
        labels="distribution",
        loss="soft_cross_entropy",
        feature_module=_HEAD_FEATURES,
        description="Taskonomy object classification: 100 object classes, soft labels",
    ),
    "autoencoder": TaskSpec(
        "autoencoder",
        _IMAGE,
        "image",
        3,
        labels="dense",
        loss="l1",
        feature_module="decoder.conv14",
        description="Taskonomy autoencoding: reconstruct the RGB input (tanh output, L1)",
    ),
    "normal": TaskSpec(
        "normal",
        _IMAGE,
        "dense",
        3,
        labels="dense",
        loss="l1",
        feature_module="decoder.conv14",
        description="Taskonomy surface normals: a 3-channel map in [-1, 1] (tanh output, L1)",
    ),
    "jigsaw": TaskSpec(
        "jigsaw",
        (9, 3, 64, 64),
        "logits",
        1000,
        labels="class",
        loss="cross_entropy",
        feature_module=_HEAD_FEATURES,
        description="Taskonomy jigsaw: which of 1000 permutations shuffled the 3×3 grid of tiles",
    ),
    "room_layout": TaskSpec(
        "room_layout",
        _IMAGE,
        "vector",
        9,
        labels="vector",
        loss="mse",
        feature_module=_HEAD_FEATURES,
        description="Taskonomy room layout: 9 values describing the room's 3D box, MSE",
    ),
    "segmentsemantic": TaskSpec(
        "segmentsemantic",
        _IMAGE,
        "dense_logits",
        17,
        labels="dense_class",
        loss="cross_entropy",
        feature_module="decoder.layers.7",
        description="Taskonomy semantic segmentation: 17 classes per pixel",
    ),
}

#: Task names, the default first.
TASK_NAMES: tuple[str, ...] = tuple(TASKS)
DEFAULT_TASK = TASK_NAMES[0]
