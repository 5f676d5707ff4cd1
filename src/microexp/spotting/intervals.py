"""Micro-expression intervals (onset, offset) in a longer clip, scored by interval F1 at IoU >= 0.5.

MEGC spotting style. The motion of frame t is compared with frames t-k and t+k: the mean of the
flows t-k→t and t+k→t is large at a short facial movement (both neighbours are neutral) while a
steady head movement cancels in it (the two flows are opposite). What is left of head motion is
removed by subtracting the nose's median flow, and the eyes are masked so blinks do not count.
Peaks above the threshold of Li et al. (MEGC baseline), ``mean + p·(max − mean)``, become
intervals that extend while the signal stays above a fraction of the peak.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from ..errors import DataError
from .baseline import motion_curve
from .flow_features import DEFAULT_FLOW_SIZE, pair_flow, to_gray_frames

#: MEGC spotting: a predicted interval is a hit when its IoU with a true one is at least 0.5.
MEGC_IOU_THRESHOLD = 0.5

#: Micro-expressions last at most 0.5 s (paper 004, Sec. 1); k is about half of a typical one.
ME_MAX_DURATION_S = 0.5
DEFAULT_HALF_SPAN_S = 0.2


Interval = tuple[int, int]


def interval_iou(a: Interval, b: Interval) -> float:
    """IoU of two inclusive frame intervals."""
    inter = min(a[1], b[1]) - max(a[0], b[0]) + 1
    if inter <= 0:
        return 0.0
    return inter / ((a[1] - a[0] + 1) + (b[1] - b[0] + 1) - inter)


def match_intervals(predicted: Sequence[Interval], true: Sequence[Interval],
                    iou_threshold: float = MEGC_IOU_THRESHOLD) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives); each true interval matches once,
    pairs taken greedily by decreasing IoU."""
    pairs = sorted(((interval_iou(p, t), i, j) for i, p in enumerate(predicted) for j, t in enumerate(true)),
                   reverse=True)
    used_p, used_t = set(), set()
    for iou, i, j in pairs:
        if iou < iou_threshold:
            break
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
    tp = len(used_p)
    return tp, len(predicted) - tp, len(true) - tp


def interval_f1(predicted: Sequence[Sequence[Interval]], true: Sequence[Sequence[Interval]],
                iou_threshold: float = MEGC_IOU_THRESHOLD) -> dict[str, float]:
    """Precision, recall and F1 over all clips (counts pooled, as MEGC does)."""
    if len(predicted) != len(true):
        raise DataError(f"{len(predicted)} predicted clips but {len(true)} annotated clips")
    tp = fp = fn = 0
    for p, t in zip(predicted, true):
        a, b, c = match_intervals(p, t, iou_threshold)
        tp, fp, fn = tp + a, fp + b, fn + c
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def neighbour_flows(gray: np.ndarray, k: int, method: str = "farneback") -> np.ndarray:
    """``(T, H, W, 2)``: mean of the flows t-k→t and t+k→t (zero where a neighbour is missing)."""
    n = gray.shape[0]
    if k < 1:
        raise DataError(f"neighbour distance k must be >= 1, got {k}")
    out = np.zeros(gray.shape + (2,), np.float32)
    for t in range(k, n - k):
        out[t] = 0.5 * (pair_flow(gray[t - k], gray[t], method) + pair_flow(gray[t + k], gray[t], method))
    return out


def contrast_signal(signal: np.ndarray, k: int) -> np.ndarray:
    """``max(0, s(t) - (s(t-k) + s(t+k)) / 2)``: the contrasting step of Li et al. (MEGC baseline).

    An event at t also shows at t ± k (it is a neighbour of those frames); subtracting the
    neighbours' mean removes those echoes and keeps the event itself.
    """
    s = np.asarray(signal, float)
    padded = np.pad(s, k, mode="constant")
    return np.maximum(0.0, s - 0.5 * (padded[:-2 * k] + padded[2 * k:]))


@dataclass
class IntervalSpotter:
    """Find ME intervals in a clip; ``threshold_p`` and ``extent`` can be tuned on training clips."""

    k: int = 6
    threshold_p: float = 0.5
    extent: float = 0.3
    max_length: int = 15  # frames; at most ME_MAX_DURATION_S at the clip's frame rate
    smoothing_sigma: float = 1.0
    mask_eyes: bool = True
    compensate_head: bool = True
    contrast: bool = True
    blink_ratio: float = float("inf")  # a peak whose eye motion exceeds this multiple of the rest is a blink
    widen: float = 1.0  # the found region's half-length is scaled by this (tails of an ME are faint)

    @classmethod
    def for_fps(cls, fps: float, **kw) -> "IntervalSpotter":
        return cls(k=max(1, round(DEFAULT_HALF_SPAN_S * fps)), max_length=max(3, round(ME_MAX_DURATION_S * fps)), **kw)

    def _curve(self, dflows: np.ndarray, exclude: np.ndarray | None, nose: np.ndarray | None) -> np.ndarray:
        curve = motion_curve(dflows, "magnitude", exclude, nose, self.compensate_head)
        curve[: self.k] = 0.0
        curve[len(curve) - self.k:] = 0.0
        if self.contrast:
            curve = contrast_signal(curve, self.k)
        return gaussian_filter1d(curve, self.smoothing_sigma) if self.smoothing_sigma > 0 else curve

    def signal(self, dflows: np.ndarray, eyes: np.ndarray | None, nose: np.ndarray | None) -> np.ndarray:
        """``(T,)`` smoothed motion of the neighbour flows (see :func:`neighbour_flows`) over the
        face, without the eyes when ``mask_eyes``."""
        return self._curve(dflows, eyes if self.mask_eyes else None, nose)

    def eye_signal(self, dflows: np.ndarray, eyes: np.ndarray, nose: np.ndarray | None) -> np.ndarray:
        """``(T,)`` the same motion inside the eye regions only (what a blink moves)."""
        return self._curve(dflows, ~np.asarray(eyes, bool), nose)

    def intervals_from_signal(self, signal: np.ndarray, eye_signal: np.ndarray | None = None) -> list[Interval]:
        """Intervals around the peaks of ``signal``; with ``eye_signal``, peaks where the eyes move
        more than ``blink_ratio`` times the rest of the face are taken for blinks and dropped."""
        s = np.asarray(signal, float)
        if s.size == 0 or s.max() <= 0:
            return []
        threshold = s.mean() + self.threshold_p * (s.max() - s.mean())
        peaks, _ = find_peaks(s, height=threshold, distance=2 * self.k)
        if eye_signal is not None and np.isfinite(self.blink_ratio):
            peaks = [p for p in peaks if eye_signal[p] <= self.blink_ratio * s[p]]
        found, half = [], self.max_length // 2
        for p in peaks:
            floor = self.extent * s[p]
            lo = p
            while lo > max(0, p - half) and s[lo - 1] > floor:
                lo -= 1
            hi = p
            while hi < min(len(s) - 1, p + half) and s[hi + 1] > floor:
                hi += 1
            centre, reach = (lo + hi) / 2, min(self.widen * (hi - lo) / 2, half)
            found.append((max(0, int(round(centre - reach))), min(len(s) - 1, int(round(centre + reach)))))
        return found

    def spot(self, frames, landmarks: np.ndarray | None = None, method: str = "farneback",
             flow_size: int = DEFAULT_FLOW_SIZE) -> tuple[list[Interval], np.ndarray]:
        """Frames ``(T, H, W[, 3])`` (+ ``(68, 2)`` landmarks of the first frame, to crop the face
        and find the eyes and nose) → (intervals, signal ``(T,)``)."""
        from .regions import crop_clip_to_landmarks, eye_mask, nose_mask, scale_landmarks

        arr = np.asarray(frames)
        if landmarks is not None:
            arr, landmarks = crop_clip_to_landmarks(arr, landmarks, flow_size)
        gray = to_gray_frames(arr, flow_size)
        lm = None if landmarks is None else scale_landmarks(landmarks, arr.shape[1:3], gray.shape[1:])
        dflows = neighbour_flows(gray, self.k, method)
        eyes, nose = eye_mask(gray.shape[1:], lm), nose_mask(gray.shape[1:], lm)
        signal = self.signal(dflows, eyes, nose)
        return self.intervals_from_signal(signal, self.eye_signal(dflows, eyes, nose)), signal


def tune_interval_spotter(signals_and_truth: Sequence[tuple], base: IntervalSpotter,
                          p_grid=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7), extent_grid=(0.1, 0.2, 0.3, 0.4, 0.5),
                          blink_ratio_grid=(float("inf"), 1.0, 1.5, 2.0, 3.0),
                          widen_grid=(1.0, 1.5, 2.0)) -> IntervalSpotter:
    """Pick ``threshold_p``, ``extent``, ``widen`` (and ``blink_ratio`` when eye signals are
    given) that maximise interval F1 on training clips only.

    ``signals_and_truth``: ``(signal, true intervals)`` or ``(signal, eye_signal, true intervals)``.
    """
    items = [(t[0], None, t[1]) if len(t) == 2 else tuple(t) for t in signals_and_truth]
    ratios = blink_ratio_grid if all(e is not None for _, e, _ in items) else (base.blink_ratio,)
    best, best_f1 = base, -1.0
    for p in p_grid:
        for e in extent_grid:
            for r in ratios:
                for w in widen_grid:
                    cand = IntervalSpotter(**{**base.__dict__, "threshold_p": p, "extent": e, "blink_ratio": r,
                                              "widen": w})
                    f1 = interval_f1([cand.intervals_from_signal(s, es) for s, es, _ in items],
                                     [t for _, _, t in items])["f1"]
                    if f1 > best_f1:
                        best, best_f1 = cand, f1
    return best
