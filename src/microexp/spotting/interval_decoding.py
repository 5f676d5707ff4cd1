"""Frame scores ↔ intervals for the learned long-video spotter: soft training targets, and the
decoding of per-frame micro/macro scores into scored intervals.

Targets (one channel per type). SoftNet (Liong et al. 2021) and LGSNet (Yu et al. 2023) train on
soft frame labels instead of hard 0/1 so the network is not punished for being unsure at an
interval's blurry edges. Here a frame inside ``[onset, offset]`` gets a trapezoid: 1 in the middle,
falling linearly to :data:`EDGE_TARGET` at the onset and the offset over the outer
:data:`TAPER_FRACTION` of the interval on each side; frames outside get 0. The plateau, not a peak
at the apex, is the target because a spotter must find the extent of the interval (IoU >= 0.5),
not one frame; the taper makes the 0.5-crossing of a well-trained score fall on the annotated
edges.

Decoding (per type): the score is smoothed (Gaussian, ``sigma`` in frames); runs of frames above
the threshold become candidates; a run holding two clear peaks (the valley between them lower than
each peak by ``split_drop``) is split at the valley; a candidate longer than the type's longest
duration keeps the longest duration centred on its peak, one shorter than the type's shortest is
dropped; its score is its peak score. Overlapping candidates are suppressed greedily by score
(non-maximum suppression, IoU > ``nms_iou``), and across types a micro and a macro interval that
share more than half of the shorter one keep only the higher-scored.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

#: Target at an interval's onset and offset frames, and the fraction of its length over which
#: the target rises from there to 1.
EDGE_TARGET = 0.5
TAPER_FRACTION = 0.25
TYPES = ("micro", "macro")


def soft_targets(intervals, frames: np.ndarray, taper: float = TAPER_FRACTION,
                 edge: float = EDGE_TARGET) -> np.ndarray:
    """``(len(frames),)`` target of the rows whose frame numbers are ``frames``, for
    ``intervals`` ``[(onset, offset), …]`` in the same numbering (see the module docstring)."""
    frames = np.asarray(frames, np.float64)
    y = np.zeros(len(frames), np.float32)
    for onset, offset in intervals:
        onset, offset = float(onset), float(offset)
        inside = (frames >= onset) & (frames <= offset)
        if not inside.any():
            continue
        length = max(offset - onset, 1.0)
        pos = (frames[inside] - onset) / length
        from_edge = np.minimum(pos, 1.0 - pos)
        value = edge + (1.0 - edge) * np.minimum(1.0, from_edge / max(taper, 1e-6))
        y[inside] = np.maximum(y[inside], value.astype(np.float32))
    return y


@dataclass(frozen=True)
class DecodeSettings:
    """Decoding of one type: threshold, smoothing (frames), durations (frames), splitting, NMS."""

    threshold: float = 0.5
    sigma: float = 1.0
    min_length: int = 2
    max_length: int = 15
    split_drop: float = 0.25
    nms_iou: float = 0.3


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
    if inter <= 0:
        return 0.0
    return inter / ((a[1] - a[0] + 1) + (b[1] - b[0] + 1) - inter)


def _split(score: np.ndarray, lo: int, hi: int, drop: float) -> list[tuple[int, int]]:
    """``[lo, hi]`` cut at the valleys between peaks that both rise ``drop`` above the valley."""
    seg = score[lo:hi + 1]
    if len(seg) < 5 or drop <= 0:
        return [(lo, hi)]
    from scipy.signal import find_peaks

    peaks, _ = find_peaks(np.r_[0.0, seg, 0.0], prominence=drop)
    peaks = peaks - 1
    if len(peaks) < 2:
        return [(lo, hi)]
    cuts = [lo + int(a + np.argmin(seg[a:b + 1])) for a, b in zip(peaks[:-1], peaks[1:])]
    return list(zip([lo] + [c + 1 for c in cuts], cuts + [hi]))


def decode_type(score: np.ndarray, s: DecodeSettings) -> list[tuple[int, int, int, float]]:
    """``[(onset row, offset row, apex row, score), …]`` of one type's ``(T,)`` frame scores."""
    p = np.nan_to_num(np.asarray(score, np.float64), nan=0.0)
    if s.sigma > 0 and len(p) > 1:
        p = gaussian_filter1d(p, s.sigma, mode="nearest")
    above = p > s.threshold
    if not above.any():
        return []
    edges = np.flatnonzero(np.diff(np.r_[0, above.astype(np.int8), 0]))
    found = []
    for lo, hi in zip(edges[0::2], edges[1::2] - 1):
        for a, b in _split(p, int(lo), int(hi), s.split_drop):
            if b < a:
                continue
            apex = a + int(np.argmax(p[a:b + 1]))
            if b - a + 1 > s.max_length:
                a = max(a, apex - s.max_length // 2)
                b = a + s.max_length - 1
            if b - a + 1 < s.min_length:
                continue
            found.append((int(a), int(b), int(apex), float(p[apex])))
    return nms(found, s.nms_iou)


def nms(candidates, iou: float) -> list:
    """Greedy non-maximum suppression of ``(onset, offset, apex, score, …)`` tuples by score."""
    kept = []
    for c in sorted(candidates, key=lambda c: -c[3]):
        if all(_iou((c[0], c[1]), (k[0], k[1])) <= iou for k in kept):
            kept.append(c)
    return sorted(kept)


def suppress_across_types(micro: list, macro: list, share: float = 0.5) -> tuple[list, list]:
    """Drop the lower-scored of a micro and a macro interval sharing more than ``share`` of the shorter."""
    tagged = [(c, "micro") for c in micro] + [(c, "macro") for c in macro]
    kept: list = []
    for c, t in sorted(tagged, key=lambda x: -x[0][3]):
        clash = False
        for k, u in kept:
            if u == t:
                continue
            inter = min(c[1], k[1]) - max(c[0], k[0]) + 1
            shorter = min(c[1] - c[0], k[1] - k[0]) + 1
            if inter > share * shorter:
                clash = True
                break
        if not clash:
            kept.append((c, t))
    return sorted(c for c, t in kept if t == "micro"), sorted(c for c, t in kept if t == "macro")


__all__ = ["EDGE_TARGET", "TAPER_FRACTION", "DecodeSettings", "decode_type", "nms", "soft_targets",
           "suppress_across_types"]
