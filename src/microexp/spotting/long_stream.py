"""The streaming extractor behind :mod:`.long_features`: settings, feature layout, and
:class:`FeatureStream`, which takes one frame at a time.

Face. dlib's HOG detector and 68 landmarks run on the first frame, every
:attr:`FeatureSettings.detect_every_s` seconds after it, and sooner when the head moves fast or
the face was lost (then every :attr:`FeatureSettings.retry_every_s`). Between detections the
last crop box is kept; a new detection replaces it only when the face moved by more than
:data:`BOX_HYSTERESIS` of its side, so most neighbouring frames share one box and the flows
between them need no re-computation. Frame ``t``'s status is ``found`` (detected on it),
``interpolated`` (box carried from an earlier detection, at most ``max_carry_s``) or ``lost``
(no box: every feature NaN).

Motion. The face box is cut from frame ``t`` and from earlier frames, resized to a small grey
square (:attr:`FeatureSettings.face_size`) and compared by dense optical flow (OpenCV DIS) at two
distances, ``k_short`` and ``k_long`` frames (:data:`SHORT_SPAN_S`, :data:`LONG_SPAN_S` scaled to
the processed rate). For each flow the nose's median motion (rigid: head motion) is subtracted and
the mean residual magnitude is taken in eight regions (:data:`ROI_KEYS`); the nose's own motion
is kept as ``head``. The short flow adds the brows' and mouth corners' mean vertical motion, the
optical strain of the face without the eyes and the relative brightness change (``light``). The
training-free spotter's signal of :mod:`.intervals` (mean of the flows ``t-k → t`` and
``t+k → t``, nose motion subtracted, eyes masked) is computed for both distances (``nb_*``):
a row is final ``k_long`` frames after its frame has arrived.

Frame rate. Recordings faster than :data:`MAX_PROCESSED_FPS` (SAMM-LV: 200 fps) are decimated:
only every ``step``-th frame is processed (``step = ceil(fps / MAX_PROCESSED_FPS)``, 4 at 200 fps,
so 50 frames/s are processed).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError, DataError, MicroexpError
from .long_tracking import (FLOW_PRESETS, ROI_KEYS, FaceRegions, box_means, crop_box, detect_landmarks, eye_distance,
                            flow_solver, neighbour_signal, residual, strain)

#: Flow distances in seconds. SoftNet (Liong et al. 2021) and MEAN (Liong et al. 2022) compare
#: frames k apart with k half the mean expression length, 6 (micro) and 18 (macro) frames on
#: CAS(ME)^2 at 30 fps; the MEGC baseline of Li et al. (2020) sets its distance the same way.
SHORT_SPAN_S = 0.2
LONG_SPAN_S = 0.6
#: Highest rate actually processed; faster recordings keep every step-th frame (MEGC practice of
#: working SAMM-LV at a reduced rate: SoftNet and MEAN resample its 200 fps).
MAX_PROCESSED_FPS = 50.0
#: Frames larger than this (longest side, px) are shrunk first: SAMM's 2040x1088 faces stay >100 px.
WORK_SIDE = 640
#: A new detection replaces the crop box only when the box moved or resized by more than this fraction.
BOX_HYSTERESIS = 0.05
#: Head motion over the short distance (fraction of the face crop) that asks for a detection now.
REDETECT_SHIFT = 0.06

#: The per-frame features, in column order (see the module docstring).
FEATURE_NAMES: tuple[str, ...] = (
    *(f"short_{r}" for r in ROI_KEYS), "short_head",
    *(f"long_{r}" for r in ROI_KEYS), "long_head",
    "short_brow_v", "short_corner_v", "short_strain", "light",
    "nb_short_face", "nb_short_eyes", "nb_long_face", "nb_long_eyes",
)
FEATURE_DIM = len(FEATURE_NAMES)
#: Tracking status per row.
LOST, INTERPOLATED, FOUND = 0, 1, 2
STATUS_NAMES = ("lost", "interpolated", "found")
#: Version of the feature definition: part of every cache key.
FEATURE_VERSION = 1

_N_BACK = 9  # per distance: 8 regions + head
_EXTRA = 18  # index of short_brow_v
_NB = 22  # index of nb_short_face


@dataclass(frozen=True)
class FeatureSettings:
    """How features are extracted (all of it goes into the cache key)."""

    face_size: int = 96
    flow: str = "dis_fast"
    short_span_s: float = SHORT_SPAN_S
    long_span_s: float = LONG_SPAN_S
    max_fps: float = MAX_PROCESSED_FPS
    detect_every_s: float = 0.5
    retry_every_s: float = 0.25
    max_carry_s: float = 1.0

    def __post_init__(self) -> None:
        if self.flow not in FLOW_PRESETS:
            raise ConfigError(f"unknown flow {self.flow!r}; choose one of {', '.join(FLOW_PRESETS)}")
        if self.face_size < 32:
            raise ConfigError(f"face_size must be >= 32 px, got {self.face_size}")
        if not 0 < self.short_span_s < self.long_span_s:
            raise ConfigError(f"need 0 < short_span_s < long_span_s, got {self.short_span_s}, {self.long_span_s}")

    def to_dict(self) -> dict:
        return asdict(self)


def decimation_step(fps: float, max_fps: float = MAX_PROCESSED_FPS) -> int:
    """Process every ``step``-th frame so that at most ``max_fps`` frames per second are processed."""
    if not fps > 0:
        raise ConfigError(f"fps must be positive, got {fps}")
    return max(1, math.ceil(fps / max_fps - 1e-9))


def spans(fps: float, settings: FeatureSettings | None = None) -> tuple[int, int, int]:
    """``(step, k_short, k_long)``: decimation and the two flow distances in processed frames."""
    s = settings or FeatureSettings()
    step = decimation_step(fps, s.max_fps)
    rate = fps / step
    k_short = max(1, round(s.short_span_s * rate))
    return step, k_short, max(k_short + 1, round(s.long_span_s * rate))


class FeatureStream:
    """The extractor as an object: :meth:`push` one frame at a time, get back the rows finished
    by it (``(frame number, features (D,), status, jitter, inside)``, ``k_long`` frames late);
    :meth:`close` returns the rest. It holds a ring of ``2·k_long + 1`` grey frames (at most
    :data:`WORK_SIDE` px: about 11 MB at 30 fps, 13 MB for SAMM-LV), their flows and the rows not
    yet complete: memory does not grow with the recording.

    ``presampled``: the frames pushed are already every ``step``-th frame of the recording.
    """

    def __init__(self, fps: float, settings: FeatureSettings | None = None, *, presampled: bool = False):
        settings = settings or FeatureSettings()
        self.presampled = presampled
        self.received = 0
        self.processed = 0
        self.s = settings
        self.fps = float(fps)
        self.step, self.ks, self.kl = spans(fps, settings)
        rate = self.fps / self.step
        self.detect_every = max(1, round(settings.detect_every_s * rate))
        self.retry_every = max(1, round(settings.retry_every_s * rate))
        self.max_carry = max(1, round(settings.max_carry_s * rate))
        self.flow = flow_solver(settings.flow)
        self.size = settings.face_size
        self.frames: dict[int, np.ndarray] = {}
        self.crops: dict[tuple[int, int], np.ndarray] = {}
        self.back: dict[int, tuple[int, np.ndarray | None, np.ndarray | None]] = {}
        self.rows: dict[int, list] = {}
        self.box: tuple[float, float, float] | None = None
        self.box_id = 0
        self.geom: FaceRegions | None = None
        self.last_pts: np.ndarray | None = None
        self.jitter = float("nan")
        self.last_attempt = -10 ** 9
        self.last_found = -10 ** 9
        self.urgent = False
        self.shape: tuple[int, int] | None = None

    # -- frames and crops
    def _work_gray(self, frame) -> np.ndarray:
        import cv2

        arr = np.asarray(frame)
        if arr.dtype != np.uint8:
            raise DataError(f"frames must be uint8 RGB or grey arrays, got dtype {arr.dtype}")
        if arr.ndim == 3 and arr.shape[2] in (3, 4):
            gray = cv2.cvtColor(np.ascontiguousarray(arr[..., :3]), cv2.COLOR_RGB2GRAY)
        elif arr.ndim == 2:
            gray = arr
        else:
            raise DataError(f"frames must be (H, W) or (H, W, 3) arrays, got shape {arr.shape}")
        h, w = gray.shape
        if self.shape is None:
            self.shape = (h, w)
        elif self.shape != (h, w):
            raise DataError(f"frame size changed from {self.shape} to {(h, w)} within one recording")
        if max(h, w) > WORK_SIDE:
            f = WORK_SIDE / max(h, w)
            gray = cv2.resize(gray, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(gray)

    def _crop(self, t: int) -> np.ndarray:
        import cv2

        key = (t, self.box_id)
        out = self.crops.get(key)
        if out is None:
            g = self.frames[t]
            cx, cy, side = self.box
            x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
            x1, y1 = x0 + max(8, int(round(side))), y0 + max(8, int(round(side)))
            h, w = g.shape
            pad = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
            part = g[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
            if any(pad):
                part = cv2.copyMakeBorder(part, *pad, cv2.BORDER_REPLICATE) if part.size else \
                    np.zeros((y1 - y0, x1 - x0), np.uint8)
            out = cv2.resize(part, (self.size, self.size), interpolation=cv2.INTER_AREA)
            self.crops[key] = out
        return out

    def _inside(self) -> float:
        cx, cy, side = self.box
        h, w = self.frames_shape
        ix = max(0.0, min(w, cx + side / 2) - max(0.0, cx - side / 2))
        iy = max(0.0, min(h, cy + side / 2) - max(0.0, cy - side / 2))
        return float(ix * iy / (side * side))

    # -- face
    def _maybe_detect(self, t: int) -> int:
        due = t == 0 or (t - self.last_attempt >= (self.detect_every if self.box is not None else self.retry_every))
        if self.urgent and t - self.last_attempt >= self.retry_every:
            due = True
        if not due:
            return INTERPOLATED if self.box is not None else LOST
        self.last_attempt, self.urgent = t, False
        pts = detect_landmarks(self.frames[t], self.box)
        if pts is None:
            if self.box is not None and t - self.last_found > self.max_carry:
                self.box, self.geom = None, None
            return INTERPOLATED if self.box is not None else LOST
        self.last_found = t
        if self.last_pts is not None:
            d = (pts - pts.mean(0)) - (self.last_pts - self.last_pts.mean(0))
            self.jitter = float(np.sqrt((d ** 2).sum(1).mean()) / max(eye_distance(pts), 1.0))
        self.last_pts = pts
        new = crop_box(pts)
        if self.box is None or (math.hypot(new[0] - self.box[0], new[1] - self.box[1]) > BOX_HYSTERESIS * self.box[2]
                                or abs(new[2] / self.box[2] - 1) > BOX_HYSTERESIS):
            self.box = new
            self.box_id += 1
        cx, cy, side = self.box
        scale = self.size / side
        pts_crop = (pts - (cx - side / 2, cy - side / 2)) * scale
        try:
            self.geom = FaceRegions(pts_crop, self.size)
        except MicroexpError:
            self.box, self.geom = None, None
            return LOST
        return FOUND

    # -- flows
    def _back_flows(self, t: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Flows ``t-k_short → t`` and ``t-k_long → t`` in the current box (cached while it holds)."""
        cached = self.back.get(t)
        if cached is not None and cached[0] == self.box_id:
            return cached[1], cached[2]
        cur = self._crop(t)
        fs = self.flow(self._crop(t - self.ks), cur) if t - self.ks in self.frames else None
        fl = self.flow(self._crop(t - self.kl), cur) if t - self.kl in self.frames else None
        self.back[t] = (self.box_id, fs, fl)
        return fs, fl

    def _back_features(self, t: int, row: np.ndarray) -> None:
        import cv2

        fs, fl = self._back_flows(t)
        g = self.geom
        for j, f in ((0, fs), (_N_BACK, fl)):
            if f is None:
                continue
            head, u, v = residual(f, g)
            mag = cv2.magnitude(u, v)
            row[j:j + 8] = box_means(cv2.integral(mag, sdepth=cv2.CV_64F), g.rois)
            row[j + 8] = float(np.hypot(*head))
            if j == 0:
                vint = cv2.integral(v, sdepth=cv2.CV_64F)
                row[_EXTRA] = float(np.mean(box_means(vint, g.rois[0:2])))
                row[_EXTRA + 1] = float(np.mean(box_means(vint, g.rois[5:7])))
                row[_EXTRA + 2] = float(cv2.mean(strain(u, v), g.keep_u8)[0])
                before = float(cv2.mean(self._crop(t - self.ks))[0])
                row[_EXTRA + 3] = (float(cv2.mean(self._crop(t))[0]) - before) / max(before, 1.0)
                if row[8] > REDETECT_SHIFT * self.size:
                    self.urgent = True

    def _neighbour_features(self, t: int) -> None:
        """The training-free signal of frames ``t - k`` (both distances), now that ``t`` is here."""
        for k, which, col in ((self.ks, 1, _NB), (self.kl, 2, _NB + 2)):
            c = t - k
            if c not in self.rows or c - k not in self.frames:
                continue
            back = self._back_flows(c)[which - 1]
            if back is None:
                continue
            nb = 0.5 * (back + self.flow(self._crop(t), self._crop(c)))
            self.rows[c][0][col:col + 2] = neighbour_signal(nb, self.geom)

    # -- the stream
    def push(self, frame) -> list[tuple[int, np.ndarray, int, float, float]]:
        """Take the next frame; return the rows it completed."""
        i = self.received
        self.received += 1
        if not self.presampled and i % self.step:
            return []
        t = self.processed
        self.processed += 1
        return [(done * self.step, *rest) for done, *rest in self._push(t, frame)]

    def close(self) -> list[tuple[int, np.ndarray, int, float, float]]:
        """The rows still waiting for frames that will not come (the recording's last ``k_long``)."""
        return [(t * self.step, *self.rows.pop(t)) for t in sorted(self.rows)]

    def _push(self, t: int, frame) -> Iterator[tuple]:
        g = self._work_gray(frame)
        self.frames_shape = g.shape
        self.frames[t] = g
        status = self._maybe_detect(t)
        row = np.full(FEATURE_DIM, np.nan, np.float32)
        inside = float("nan")
        if self.box is not None:
            inside = self._inside()
            self._back_features(t, row)
        self.rows[t] = [row, status, self.jitter, inside]
        if self.box is not None:
            self._neighbour_features(t)
        old = t - 2 * self.kl
        self.frames.pop(old - 1, None)
        self.back.pop(t - self.kl - 1, None)
        for key in [k for k in self.crops if k[0] < old or k[1] != self.box_id]:
            del self.crops[key]
        done = t - self.kl
        if done in self.rows:
            yield (done, *self.rows.pop(done))


__all__ = [
    "BOX_HYSTERESIS", "FEATURE_DIM", "FEATURE_NAMES", "FEATURE_VERSION", "FLOW_PRESETS", "FOUND", "INTERPOLATED",
    "LONG_SPAN_S", "LOST", "MAX_PROCESSED_FPS", "REDETECT_SHIFT", "ROI_KEYS", "SHORT_SPAN_S", "STATUS_NAMES",
    "WORK_SIDE", "FeatureSettings", "FeatureStream", "decimation_step", "neighbour_signal", "spans",
]
