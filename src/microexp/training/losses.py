"""Classification losses: (class-weighted) cross-entropy with optional label smoothing, mixup, ArcFace.

ArcFace (Deng et al. 2019) is cross-entropy on the margin logits produced by
:class:`microexp.models.arcface.ArcFaceHead`; the trainer passes the labels to models that declare
``accepts_labels`` so the margin is applied to the true class during training.
Label smoothing: paper 003 (Lukasik et al. 2020).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError

LOSSES = ("cross_entropy", "label_smoothing", "arcface")
#: Paper 003 does not state ε; 0.1 is the usual value (Szegedy et al. 2016).
DEFAULT_LABEL_SMOOTHING = 0.1


def balanced_class_weights(y: np.ndarray, num_classes: int) -> np.ndarray:
    """n / (k · n_c), as scikit-learn's ``class_weight='balanced'`` (absent classes get weight 0)."""
    counts = np.bincount(np.asarray(y, dtype=int), minlength=num_classes).astype(np.float64)
    w = np.zeros(num_classes)
    present = counts > 0
    w[present] = counts.sum() / (present.sum() * counts[present])
    return w


def resolve_label_smoothing(loss: str, label_smoothing: float | None) -> float:
    if loss not in LOSSES:
        raise ConfigError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    if label_smoothing is not None:
        return float(label_smoothing)
    return DEFAULT_LABEL_SMOOTHING if loss == "label_smoothing" else 0.0


def classification_loss(outputs, targets: torch.Tensor, *, weight: torch.Tensor | None, label_smoothing: float,
                        targets_b: torch.Tensor | None = None, lam: float = 1.0) -> torch.Tensor:
    """Loss of a model output: a logits tensor or ``{"logits", "aux_logits": [...]}`` (summed, as ABN).

    With mixup, ``targets_b`` and ``lam`` give the second label of each mixed sample and its share.
    """
    if isinstance(outputs, dict):
        heads = [outputs["logits"], *outputs.get("aux_logits", [])]
    else:
        heads = [outputs]
    total = 0.0
    for logits in heads:
        loss = F.cross_entropy(logits, targets, weight=weight, label_smoothing=label_smoothing)
        if targets_b is not None and lam < 1.0:
            loss = lam * loss + (1 - lam) * F.cross_entropy(logits, targets_b, weight=weight,
                                                            label_smoothing=label_smoothing)
        total = total + loss
    return total


def main_logits(outputs) -> torch.Tensor:
    return outputs["logits"] if isinstance(outputs, dict) else outputs
