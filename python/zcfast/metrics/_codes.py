"""Binary activation codes: nwot's Hamming kernel and SWAP's bit-packed sign patterns.

A batch of activations ``(B, ...)`` becomes a ``(B, D)`` boolean matrix ``codes = act > 0``
(one row per sample, one column per unit).  nwot compares rows (samples) through the ``B×B``
Hamming-agreement kernel; SWAP counts distinct columns (units) over the first samples.
"""

from __future__ import annotations

import torch

#: Relative floor of the eigenvalues in :func:`floored_logdet` (see there).
LOGDET_FLOOR = 1e-12


def sign_gram(codes: torch.Tensor) -> torch.Tensor:
    """``S Sᵀ`` in float64 for the ±1 codes ``S = 2·codes − 1`` of a ``(B, D)`` boolean matrix.

    The matmul runs in float32, which is exact for ``D < 2²⁴`` (every partial sum is an integer
    below 2²⁴, and ±1 is exact even in TF32), else in float64.

    Example
    -------
    >>> sign_gram(torch.tensor([[True, False], [True, True]])).tolist()
    [[2.0, 0.0], [0.0, 2.0]]
    """
    d = codes.shape[1]
    mm = torch.float64 if d >= 2**24 else torch.float32
    s = codes.to(mm).mul_(2).sub_(1)
    return (s @ s.T).to(torch.float64)


def hamming_kernel(gram: torch.Tensor, units: int) -> torch.Tensor:
    """nwot's kernel ``K_ij`` = number of units on which samples i and j agree, from
    :func:`sign_gram` (agreements − disagreements = ``S Sᵀ``, agreements + disagreements = D)."""
    return (gram + units) * 0.5


def floored_logdet(kernel: torch.Tensor) -> torch.Tensor:
    """``Σ log max(λ, 1e-12·max(λ_max, 1))`` over the eigenvalues of a symmetric PSD ``kernel``.

    Equals ``log det`` for a well-conditioned kernel; a singular one (two samples with the same
    code, a dead layer) gets a finite value that still grows with the kernel's non-zero spectrum,
    instead of ``−inf``.

    Example
    -------
    >>> float(floored_logdet(torch.eye(2, dtype=torch.float64) * 3))  # 2·ln 3
    2.1972245773362196
    """
    lam = torch.linalg.eigvalsh(kernel)
    floor = LOGDET_FLOOR * torch.clamp(lam.max(), min=1.0)
    return torch.log(torch.maximum(lam, floor)).sum()


def pack_patterns(active: torch.Tensor) -> torch.Tensor:
    """``(n, D)`` booleans → one code row per unit: ``(D,)`` int64 or ``(D, words)``.

    Each unit's pattern over the ``n`` samples is packed into 52-bit words (exact in the
    float64 matmul that packs them).
    """
    n = active.shape[0]
    words = []
    for start in range(0, n, 52):
        chunk = active[start : start + 52]
        w = torch.pow(
            torch.tensor(2.0, dtype=torch.float64, device=active.device),
            torch.arange(chunk.shape[0], device=active.device, dtype=torch.float64),
        )
        words.append((w @ chunk.to(torch.float64)).to(torch.int64))
    return words[0] if len(words) == 1 else torch.stack(words, dim=1)


def count_distinct(codes: torch.Tensor) -> int:
    """Number of distinct codes (rows) of :func:`pack_patterns`' output."""
    if codes.numel() == 0:
        return 0
    if codes.dim() == 1:
        return int(torch.unique(codes).numel())
    return int(torch.unique(codes, dim=0).shape[0])
