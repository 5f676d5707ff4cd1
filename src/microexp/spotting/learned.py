"""A learned micro/macro interval spotter for long recordings, over the streamed per-frame features.

``LongVideoSpotter(**settings).fit(features, interval_tables, groups).predict(features)``.

Inputs. The features of :mod:`.long_features` are normalised with statistics of the training
recordings only: magnitudes (columns that are never negative in training) become
``log(x + m)`` with ``m`` their training median; with ``video_centering`` each recording's own
median is subtracted (label-free: the recording's resting level, which differs with noise and
lighting); then every column is z-scored with the training mean and standard deviation. Missing
values (lost face, the recording's ends) become 0 and a last input channel says which rows are
complete.

Network and targets. :class:`~.temporal_net.TemporalSpotterNet` gives two logits per frame,
micro and macro, trained against the soft targets of :func:`.interval_decoding.soft_targets`
with a weighted binary cross-entropy: frame weight ``1 + (w - 1)·y`` with ``w`` = (target-free
frames / target mass) of that type in the training set, capped at ``max_pos_weight``, so rare
micro-expressions are not drowned by neutral frames. Training draws ``batch_size`` windows of
``window_s`` seconds per step (half of them centred on a random expression), Adam with a cosine
learning-rate decay, a FIXED number of ``steps``: nothing is stopped early and nothing looks at
held-out recordings.

Thresholds. The per-type thresholds are the only settings chosen from data, and only from the
training recordings: their subjects are split into ``inner_folds`` groups; a network trained on
the others scores each group; the pair (micro, macro) of thresholds from ``threshold_grid``
maximising the MEGC overall F1 (one-to-one matching, IoU >= 0.5, counts pooled) on those
out-of-fold scores is kept, and the final network is trained on all training recordings with
the same budget. Decoding is :func:`.interval_decoding.decode_type` with the duration limits
``micro ≤ micro_max_s`` and ``macro ≥ macro_min_s`` at the recording's frame rate.

Long recordings are scored in overlapping windows (``inference_window`` rows plus the network's
receptive field on each side), so memory does not grow with their length.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .interval_decoding import DecodeSettings, decode_type, soft_targets, suppress_across_types
from .long_features import FEATURE_NAMES, LOST, LongVideoFeatures
from .megc_metrics import one_to_one_counts, precision_recall_f1

#: Default grid of per-type thresholds searched on the training subjects.
THRESHOLD_GRID = tuple(round(float(x), 2) for x in np.arange(0.1, 0.951, 0.05))
SPOTTER_FORMAT = 1
TYPES = ("micro", "macro")
_CLIP = 8.0


# ------------------------------------------------------------------------------------ inputs
def as_features(features, fps: float | None = None) -> LongVideoFeatures:
    """``features`` as :class:`LongVideoFeatures`; a bare ``(T, D)`` array needs ``fps`` (one row per
    frame; with D = 26 its columns are taken to be :data:`~.long_features.FEATURE_NAMES`)."""
    if isinstance(features, LongVideoFeatures):
        return features
    arr = np.asarray(features, np.float32)
    if arr.ndim != 2:
        raise DataError(f"features must be (T, D), got shape {arr.shape}")
    if fps is None:
        raise ConfigError("a bare feature array needs its frame rate (fps=...)")
    n = len(arr)
    names = FEATURE_NAMES if arr.shape[1] == len(FEATURE_NAMES) else tuple(f"f{i}" for i in range(arr.shape[1]))
    return LongVideoFeatures(arr, np.arange(n, dtype=np.int64), np.full(n, 2, np.int8), np.full(n, np.nan, np.float32),
                             np.ones(n, np.float32), float(fps), 1, n, names)


def truth_intervals(table: pd.DataFrame | None) -> dict[str, list[tuple[int, int]]]:
    """``{'micro': [(onset, offset)…], 'macro': […]}`` of one recording, 0-based (``first_frame`` removed)."""
    out: dict[str, list[tuple[int, int]]] = {t: [] for t in TYPES}
    if table is None or len(table) == 0:
        return out
    first = table["first_frame"].to_numpy(np.int64) if "first_frame" in table.columns else np.zeros(len(table), np.int64)
    for t, on, off, f in zip(table["type"], table["onset"], table["offset"], first):
        if t not in out:
            raise DataError(f"interval type {t!r} is neither micro nor macro")
        out[t].append((int(on) - int(f), int(off) - int(f)))
    return out


@dataclass
class Normaliser:
    """Training-set statistics of the features (see the module docstring)."""

    log_columns: np.ndarray
    offset: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    video_centering: bool = True

    @classmethod
    def fit(cls, arrays: list[np.ndarray], video_centering: bool = True) -> "Normaliser":
        stacked = np.concatenate(arrays)
        with np.errstate(all="ignore"):
            lo = np.nanmin(stacked, axis=0)
            log_columns = np.nan_to_num(lo, nan=-1.0) >= 0
            offset = np.where(log_columns, np.nan_to_num(np.nanmedian(stacked, axis=0), nan=1.0), 0.0)
        offset = np.maximum(offset, 1e-6)
        self = cls(log_columns, offset, np.zeros(stacked.shape[1]), np.ones(stacked.shape[1]), video_centering)
        pre = np.concatenate([self._pre(a) for a in arrays])
        with np.errstate(all="ignore"):
            self.mean = np.nan_to_num(np.nanmean(pre, axis=0))
            self.std = np.nan_to_num(np.nanstd(pre, axis=0), nan=1.0)
        self.std = np.where(self.std > 1e-8, self.std, 1.0)
        return self

    def _pre(self, values: np.ndarray) -> np.ndarray:
        x = np.asarray(values, np.float64).copy()
        x[:, self.log_columns] = np.log(np.maximum(x[:, self.log_columns], 0.0) + self.offset[self.log_columns])
        if self.video_centering and len(x):
            with np.errstate(all="ignore"):
                centre = np.nanmedian(x, axis=0)
            x -= np.nan_to_num(centre)
        return x

    def transform(self, values: np.ndarray) -> np.ndarray:
        """``(T, D)`` → ``(T, D + 1)`` float32 network input (the last column: the row is complete)."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns of a face-less recording
            x = (self._pre(values) - self.mean) / self.std
        complete = np.isfinite(x).all(axis=1)
        x = np.clip(np.nan_to_num(x, nan=0.0, posinf=_CLIP, neginf=-_CLIP), -_CLIP, _CLIP)
        return np.concatenate([x, complete[:, None]], axis=1).astype(np.float32)

    def to_dict(self) -> dict:
        return {"log_columns": self.log_columns.astype(bool).tolist(), "offset": self.offset.tolist(),
                "mean": self.mean.tolist(), "std": self.std.tolist(), "video_centering": bool(self.video_centering)}

    @classmethod
    def from_dict(cls, d: dict) -> "Normaliser":
        return cls(np.asarray(d["log_columns"], bool), np.asarray(d["offset"], float), np.asarray(d["mean"], float),
                   np.asarray(d["std"], float), bool(d["video_centering"]))


# ------------------------------------------------------------------------------------- spotter
@contextmanager
def _torch_threads(threads: int | None):
    """torch's intra-op threads set to ``threads`` for the block (the net is small: parallel folds
    in separate processes use the cores better than threads, which spin on a busy machine)."""
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class LongVideoSpotter:
    """Learned micro/macro interval spotter (see the module docstring for every choice)."""

    def __init__(self, *, channels: int = 32, levels: int = 6, kernel: int = 3, dropout: float = 0.1,
                 steps: int = 800, batch_size: int = 8, window_s: float = 8.0, lr: float = 3e-3,
                 weight_decay: float = 1e-4, max_pos_weight: float = 20.0, expression_window_share: float = 0.5,
                 micro_max_s: float = 0.5, micro_min_s: float = 0.1, macro_min_s: float = 0.3,
                 macro_max_s: float = 10.0, micro_sigma_s: float = 0.03, macro_sigma_s: float = 0.1,
                 split_drop: float = 0.25, nms_iou: float = 0.3, inner_folds: int = 2,
                 threshold_grid: tuple[float, ...] = THRESHOLD_GRID, video_centering: bool = True,
                 inference_window: int = 4096, seed: int = 0, threads: int | None = 1):
        self.channels, self.levels, self.kernel, self.dropout = channels, levels, kernel, dropout
        self.steps, self.batch_size, self.window_s, self.lr = steps, batch_size, window_s, lr
        self.weight_decay, self.max_pos_weight = weight_decay, max_pos_weight
        self.expression_window_share = expression_window_share
        self.micro_max_s, self.micro_min_s, self.macro_min_s, self.macro_max_s = (micro_max_s, micro_min_s,
                                                                                  macro_min_s, macro_max_s)
        self.micro_sigma_s, self.macro_sigma_s = micro_sigma_s, macro_sigma_s
        self.split_drop, self.nms_iou, self.inner_folds = split_drop, nms_iou, inner_folds
        self.threshold_grid = tuple(float(x) for x in threshold_grid)
        self.video_centering, self.inference_window, self.seed, self.threads = (video_centering, inference_window,
                                                                                seed, threads)
        self.thresholds_: dict[str, float] | None = None
        self.inner_scores_: dict | None = None

    _PARAMS = ("channels", "levels", "kernel", "dropout", "steps", "batch_size", "window_s", "lr", "weight_decay",
               "max_pos_weight", "expression_window_share", "micro_max_s", "micro_min_s", "macro_min_s",
               "macro_max_s", "micro_sigma_s", "macro_sigma_s", "split_drop", "nms_iou", "inner_folds",
               "threshold_grid", "video_centering", "inference_window", "seed", "threads")

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in self._PARAMS}

    # -- training
    def _net(self, n_inputs: int):
        from .temporal_net import TemporalSpotterNet

        return TemporalSpotterNet(n_inputs, 2, self.channels, self.levels, self.kernel, self.dropout)

    def _targets(self, feats: LongVideoFeatures, truth: dict) -> np.ndarray:
        return np.stack([soft_targets(truth[t], feats.frame_index) for t in TYPES], axis=1)

    def _train(self, inputs: list[np.ndarray], targets: list[np.ndarray], rates: list[float], seed: int):
        import torch

        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        net = self._net(inputs[0].shape[1])
        length = max(16, int(round(self.window_s * float(np.median(rates)))))
        y_all = np.concatenate(targets)
        mass = y_all.sum(axis=0)
        neg = (y_all == 0).sum(axis=0)
        pos_weight = np.clip(neg / np.maximum(mass, 1e-6), 1.0, self.max_pos_weight)
        sizes = np.array([len(x) for x in inputs], float)
        centres = [(v, r) for v, y in enumerate(targets) for r in np.flatnonzero(
            (y.max(axis=1) > 0) & (np.r_[0.0, y.max(axis=1)[:-1]] == 0))]  # each expression's first row
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, self.steps))
        pw = torch.tensor(pos_weight, dtype=torch.float32)[None, :, None]
        net.train()
        for _ in range(self.steps):
            xb = np.zeros((self.batch_size, inputs[0].shape[1], length), np.float32)
            yb = np.zeros((self.batch_size, 2, length), np.float32)
            mb = np.zeros((self.batch_size, 1, length), np.float32)
            for b in range(self.batch_size):
                if centres and rng.random() < self.expression_window_share:
                    v, r = centres[int(rng.integers(len(centres)))]
                    start = int(r) - int(rng.integers(length))
                else:
                    v = int(rng.choice(len(inputs), p=sizes / sizes.sum()))
                    start = int(rng.integers(-length // 4, max(1, len(inputs[v]) - 3 * length // 4)))
                lo, hi = max(0, start), min(len(inputs[v]), start + length)
                if hi <= lo:
                    continue
                xb[b, :, lo - start:hi - start] = inputs[v][lo:hi].T
                yb[b, :, lo - start:hi - start] = targets[v][lo:hi].T
                mb[b, :, lo - start:hi - start] = 1.0
            x, y, m = torch.from_numpy(xb), torch.from_numpy(yb), torch.from_numpy(mb)
            logits = net(x)
            weight = m * (1.0 + (pw - 1.0) * y)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, weight=weight, reduction="sum")
            loss = loss / m.sum().clamp(min=1.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        return net

    def _fit_once(self, feats: list[LongVideoFeatures], truths: list[dict], seed: int):
        norm = Normaliser.fit([f.values for f in feats], self.video_centering)
        inputs = [norm.transform(f.values) for f in feats]
        targets = [self._targets(f, t) for f, t in zip(feats, truths)]
        return norm, self._train(inputs, targets, [f.rate for f in feats], seed)

    def fit(self, feature_seqs, interval_tables, groups) -> "LongVideoSpotter":
        """Train on recordings ``feature_seqs`` (:class:`LongVideoFeatures`), their interval
        tables (``onset, offset, type`` [, ``first_frame``]) and subjects ``groups``."""
        with _torch_threads(self.threads):
            return self._fit(feature_seqs, interval_tables, groups)

    def _fit(self, feature_seqs, interval_tables, groups) -> "LongVideoSpotter":
        feats = [as_features(f) for f in feature_seqs]
        tables = list(interval_tables)
        groups = [str(g) for g in groups]
        if not (len(feats) == len(tables) == len(groups)) or not feats:
            raise DataError(f"fit needs as many interval tables and groups as recordings "
                            f"({len(feats)} recordings, {len(tables)} tables, {len(groups)} groups)")
        truths = [truth_intervals(t) for t in tables]
        subjects = sorted(set(groups))
        k = min(self.inner_folds, len(subjects))
        probas: list[np.ndarray | None] = [None] * len(feats)
        if k >= 2:
            for i in range(k):
                held = {s for j, s in enumerate(subjects) if j % k == i}
                train = [v for v, g in enumerate(groups) if g not in held]
                norm, net = self._fit_once([feats[v] for v in train], [truths[v] for v in train], self.seed + 1 + i)
                for v, g in enumerate(groups):
                    if g in held:
                        probas[v] = self._proba(net, norm, feats[v])
        self.normaliser_, self.net_ = self._fit_once(feats, truths, self.seed)
        if k < 2:  # one training subject: no held-out scores exist; thresholds from training scores
            probas = [self._proba(self.net_, self.normaliser_, f) for f in feats]
        self.thresholds_, self.inner_scores_ = self._choose_thresholds(probas, feats, truths)
        self.n_inputs_ = int(self.normaliser_.mean.shape[0])
        self.feature_names_ = list(feats[0].names)
        return self

    # -- scoring
    def _proba(self, net, norm: Normaliser, feats: LongVideoFeatures) -> np.ndarray:
        """Per-row scores; 0 wherever no face is tracked (the features there say nothing of a face,
        and a network that never met such a stretch in training must not read one into it)."""
        import torch

        with _torch_threads(self.threads):
            proba = self._proba_windows(torch, net, norm.transform(feats.values))
        proba[np.asarray(feats.status) == LOST] = 0.0
        return proba

    def _proba_windows(self, torch, net, x: np.ndarray) -> np.ndarray:
        n, margin, window = len(x), net.receptive_field // 2 + 1, max(64, int(self.inference_window))
        out = np.zeros((n, 2), np.float32)
        with torch.no_grad():
            for start in range(0, n, window):
                lo, hi = max(0, start - margin), min(n, start + window + margin)
                logits = net(torch.from_numpy(np.ascontiguousarray(x[lo:hi].T))[None])[0]
                p = torch.sigmoid(logits).numpy().T
                stop = min(n, start + window)
                out[start:stop] = p[start - lo:stop - lo]
        return out

    def predict_proba(self, features, fps: float | None = None) -> np.ndarray:
        """``(T, 2)`` per-row micro and macro scores in [0, 1]."""
        self._check_fitted()
        return self._proba(self.net_, self.normaliser_, as_features(features, fps))

    def _decode_settings(self, rate: float, t: str, threshold: float) -> DecodeSettings:
        if t == "micro":
            return DecodeSettings(threshold, self.micro_sigma_s * rate, max(1, round(self.micro_min_s * rate)),
                                  max(2, int(np.floor(self.micro_max_s * rate + 1e-9))), self.split_drop, self.nms_iou)
        return DecodeSettings(threshold, self.macro_sigma_s * rate, max(2, round(self.macro_min_s * rate)),
                              max(3, int(round(self.macro_max_s * rate))), self.split_drop, self.nms_iou)

    def _decode(self, proba: np.ndarray, feats: LongVideoFeatures, thresholds: dict[str, float]) -> dict[str, list]:
        found = {t: decode_type(proba[:, i], self._decode_settings(feats.rate, t, thresholds[t]))
                 for i, t in enumerate(TYPES)}
        found["micro"], found["macro"] = suppress_across_types(found["micro"], found["macro"])
        return found

    @staticmethod
    def _to_frames(candidates, feats: LongVideoFeatures) -> list[tuple[int, int, int, float]]:
        return [(feats.to_frames(a, "onset"), feats.to_frames(b, "offset"), feats.to_frames(x), s)
                for a, b, x, s in candidates]

    def _choose_thresholds(self, probas, feats, truths) -> tuple[dict[str, float], dict]:
        grid = self.threshold_grid
        per = {}  # (type, threshold) -> per-recording frame intervals with scores
        for i, t in enumerate(TYPES):
            for th in grid:
                per[(t, th)] = [self._to_frames(decode_type(p[:, i], self._decode_settings(f.rate, t, th)), f)
                                for p, f in zip(probas, feats)]
        best, best_key = None, None
        for tm in grid:
            for tM in grid:
                counts = {t: [0, 0, 0] for t in TYPES}
                for v, truth in enumerate(truths):
                    micro, macro = suppress_across_types(per[("micro", tm)][v], per[("macro", tM)][v])
                    for t, pred in (("micro", micro), ("macro", macro)):
                        c = one_to_one_counts([(a, b) for a, b, _, _ in pred], truth[t])
                        counts[t] = [x + y for x, y in zip(counts[t], c)]
                overall = precision_recall_f1(*(counts["micro"][j] + counts["macro"][j] for j in range(3)))
                micro_f1 = precision_recall_f1(*counts["micro"])["f1"]
                key = (round(overall["f1"], 9), round(micro_f1, 9), -abs(tm - 0.5) - abs(tM - 0.5))
                if best_key is None or key > best_key:
                    best_key = key
                    best = ({"micro": tm, "macro": tM}, {"overall_f1": overall["f1"], "micro_f1": micro_f1,
                                                         "macro_f1": precision_recall_f1(*counts["macro"])["f1"]})
        return best

    def predict(self, features, fps: float | None = None) -> pd.DataFrame:
        """Intervals of one recording: ``onset, offset, apex`` (frames of the recording, from 0),
        ``type`` and ``score`` (the peak frame score)."""
        self._check_fitted()
        feats = as_features(features, fps)
        found = self._decode(self._proba(self.net_, self.normaliser_, feats), feats, self.thresholds_)
        rows = [(on, off, apex, t, score) for t in TYPES for on, off, apex, score in self._to_frames(found[t], feats)]
        df = pd.DataFrame(rows, columns=["onset", "offset", "apex", "type", "score"])
        return df.sort_values(["onset", "type"]).reset_index(drop=True).astype(
            {"onset": "int64", "offset": "int64", "apex": "int64", "score": "float64"})

    def _check_fitted(self) -> None:
        if self.thresholds_ is None:
            raise ConfigError("the spotter is not fitted (call fit or LongVideoSpotter.load)")

    # -- persistence
    def save(self, folder: str | Path) -> Path:
        """``spotter.json`` (settings, normaliser, thresholds) and ``weights.pt`` (a state dict)."""
        import torch

        from ..io import atomic_write_bytes, atomic_write_json, plain

        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        import io as _io

        buf = _io.BytesIO()
        torch.save(self.net_.state_dict(), buf)
        atomic_write_bytes(folder / "weights.pt", buf.getvalue())
        atomic_write_json(folder / "spotter.json", plain({
            "format": SPOTTER_FORMAT, "params": self.get_params(), "normaliser": self.normaliser_.to_dict(),
            "thresholds": self.thresholds_, "inner_scores": self.inner_scores_, "n_inputs": self.n_inputs_,
            "feature_names": self.feature_names_}))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "LongVideoSpotter":
        import torch

        folder = Path(folder)
        path = folder / "spotter.json"
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DataError(f"not a saved spotter ({exc})", path) from exc
        if state.get("format") != SPOTTER_FORMAT:
            raise DataError(f"spotter format {state.get('format')!r} is not {SPOTTER_FORMAT}", path)
        params = dict(state["params"])
        params["threshold_grid"] = tuple(params["threshold_grid"])
        self = cls(**params)
        self.normaliser_ = Normaliser.from_dict(state["normaliser"])
        self.thresholds_ = {k: float(v) for k, v in state["thresholds"].items()}
        self.inner_scores_ = state.get("inner_scores")
        self.n_inputs_ = int(state["n_inputs"])
        self.feature_names_ = list(state["feature_names"])
        self.net_ = self._net(self.n_inputs_ + 1)
        self.net_.load_state_dict(torch.load(folder / "weights.pt", weights_only=True))
        self.net_.eval()
        return self


__all__ = ["THRESHOLD_GRID", "LongVideoSpotter", "Normaliser", "as_features", "truth_intervals"]
