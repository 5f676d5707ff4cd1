"""The training-free interval spotter of :mod:`.intervals`, run on the streamed features.

:class:`~.intervals.IntervalSpotter` scores frame t by the mean of the flows ``t-k → t`` and
``t+k → t`` over the face without the eyes, after subtracting the nose's median motion; it then
removes the echoes at ``t ± k`` (``contrast_signal``), smooths, and takes peaks above
``mean + p·(max − mean)`` (Li et al.'s MEGC threshold) as intervals. The streamed features carry
exactly that per-frame quantity (``nb_short_face``, ``nb_long_face``) and its eye-region
counterpart, so here the spotter's own post-processing and interval rule run on them unchanged:
micro-expressions from the short distance (``k`` = 0.2 s, ``max_length`` 0.5 s, as
``IntervalSpotter.for_fps``), macro-expressions from the long distance with the same rule (MEGC
baselines spot the two types with two distances the same way).

``threshold_p`` and ``extent`` are its only settings; :meth:`TrainingFreeLongSpotter.fit` picks
them per type on training recordings (MEGC F1, the grids of :func:`~.intervals.tune_interval_spotter`),
or they stay at the spotter's defaults with ``tune=False``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d

from ..errors import DataError
from .intervals import IntervalSpotter, contrast_signal
from .learned import TYPES, as_features, truth_intervals
from .long_features import FEATURE_NAMES, LongVideoFeatures
from .megc_metrics import one_to_one_counts, precision_recall_f1

#: Longest macro-expression the long-distance rule reports (s): the simulator's and CAS(ME)^3's longest is 4 s.
MACRO_MAX_S = 4.0
P_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
EXTENT_GRID = (0.1, 0.2, 0.3, 0.4, 0.5)
_COLUMNS = {"micro": ("nb_short_face", "nb_short_eyes"), "macro": ("nb_long_face", "nb_long_eyes")}


class TrainingFreeLongSpotter:
    """:class:`~.intervals.IntervalSpotter` on streamed features, one distance per type."""

    def __init__(self, *, tune: bool = True, threshold_p: float = 0.5, extent: float = 0.3,
                 p_grid: tuple[float, ...] = P_GRID, extent_grid: tuple[float, ...] = EXTENT_GRID,
                 macro_max_s: float = MACRO_MAX_S):
        self.tune, self.threshold_p, self.extent = tune, threshold_p, extent
        self.p_grid, self.extent_grid, self.macro_max_s = tuple(p_grid), tuple(extent_grid), macro_max_s
        self.settings_ = {t: {"threshold_p": threshold_p, "extent": extent} for t in TYPES}

    def get_params(self) -> dict:
        return {"tune": self.tune, "threshold_p": self.threshold_p, "extent": self.extent, "p_grid": self.p_grid,
                "extent_grid": self.extent_grid, "macro_max_s": self.macro_max_s}

    def spotter(self, feats: LongVideoFeatures, t: str, threshold_p: float, extent: float) -> IntervalSpotter:
        k_short, k_long = feats.spans
        base = IntervalSpotter.for_fps(feats.rate, threshold_p=threshold_p, extent=extent)
        if t == "micro":
            base.k = k_short
            return base
        base.k, base.max_length = k_long, max(3, round(self.macro_max_s * feats.rate))
        return base

    def signals(self, feats: LongVideoFeatures, t: str, spotter: IntervalSpotter | None = None):
        """``(signal, eye signal)`` of type ``t``, post-processed as ``IntervalSpotter`` does."""
        spotter = spotter or self.spotter(feats, t, self.threshold_p, self.extent)
        names = list(feats.names)
        missing = [c for c in _COLUMNS[t] if c not in names]
        if missing:
            raise DataError(f"features lack the columns {missing} (expected the layout {FEATURE_NAMES})")
        out = []
        for col in _COLUMNS[t]:
            curve = np.nan_to_num(feats.values[:, names.index(col)].astype(np.float64), nan=0.0)
            k = spotter.k
            curve[:k] = 0.0
            curve[max(0, len(curve) - k):] = 0.0
            if spotter.contrast:
                curve = contrast_signal(curve, k)
            if spotter.smoothing_sigma > 0:
                curve = gaussian_filter1d(curve, spotter.smoothing_sigma)
            out.append(curve)
        return out[0], out[1]

    def _intervals(self, feats: LongVideoFeatures, t: str, threshold_p: float, extent: float, signals=None):
        spotter = self.spotter(feats, t, threshold_p, extent)
        signal, eyes = signals if signals is not None else self.signals(feats, t, spotter)
        found = spotter.intervals_from_signal(signal, eyes)
        out = []
        for lo, hi in found:
            apex = lo + int(np.argmax(signal[lo:hi + 1]))
            out.append((feats.to_frames(lo, "onset"), feats.to_frames(hi, "offset"), feats.to_frames(apex),
                        float(signal[apex])))
        return out

    def fit(self, feature_seqs, interval_tables, groups=None) -> "TrainingFreeLongSpotter":
        """Pick ``threshold_p`` and ``extent`` per type on these (training) recordings."""
        feats = [as_features(f) for f in feature_seqs]
        truths = [truth_intervals(t) for t in interval_tables]
        if not self.tune:
            return self
        table = {}
        for t in TYPES:
            signals = [self.signals(f, t) for f in feats]  # threshold_p and extent do not change them
            for p in self.p_grid:
                for e in self.extent_grid:
                    c = np.zeros(3, int)
                    for f, sig, truth in zip(feats, signals, truths):
                        pred = [(a, b) for a, b, _, _ in self._intervals(f, t, p, e, sig)]
                        c += one_to_one_counts(pred, truth[t])
                    table[(t, p, e)] = c
        best = None
        for (_, pm, em), cm in ((k, v) for k, v in table.items() if k[0] == "micro"):
            for (_, pM, eM), cM in ((k, v) for k, v in table.items() if k[0] == "macro"):
                f1 = precision_recall_f1(*(cm + cM))["f1"]
                key = (f1, precision_recall_f1(*cm)["f1"])
                if best is None or key > best[0]:
                    best = (key, {"micro": {"threshold_p": pm, "extent": em}, "macro": {"threshold_p": pM, "extent": eM}})
        self.settings_ = best[1]
        return self

    def predict(self, features, fps: float | None = None) -> pd.DataFrame:
        """Intervals of one recording, as :meth:`microexp.spotting.learned.LongVideoSpotter.predict`."""
        feats = as_features(features, fps)
        rows = [(a, b, x, t, s) for t in TYPES for a, b, x, s in self._intervals(feats, t, **self.settings_[t])]
        df = pd.DataFrame(rows, columns=["onset", "offset", "apex", "type", "score"])
        return df.sort_values(["onset", "type"]).reset_index(drop=True).astype(
            {"onset": "int64", "offset": "int64", "apex": "int64", "score": "float64"})


__all__ = ["EXTENT_GRID", "MACRO_MAX_S", "P_GRID", "TrainingFreeLongSpotter"]
