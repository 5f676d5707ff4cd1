"""Small synthetic face sequences with known onset/apex/offset, for tests and development.

A smooth random texture with dark eyes, brows and mouth is warped by a local displacement bump
(an action-unit-like movement) whose intensity rises from the onset to the apex and falls to
the offset; blinks (fast eyelid closure), head translation and pixel noise are the nuisances a
spotter must ignore. :mod:`microexp.simulate` renders richer faces; this module needs nothing
but numpy and OpenCV and is fast enough for unit tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Face parts on the unit square (row, col): where movements and blinks happen.
EYE_CENTRES = ((0.36, 0.32), (0.36, 0.68))
MOVEMENT_SITES = {  # centre (row, col) and direction (dy, dx) of the displacement
    "brow_raise": (((0.26, 0.32), (0.26, 0.68)), (-1.0, 0.0)),
    "brow_lower": (((0.26, 0.36), (0.26, 0.64)), (1.0, 0.3)),
    "lip_corner_pull": (((0.74, 0.36), (0.74, 0.64)), (-0.7, 0.7)),
    "lip_corner_depress": (((0.74, 0.36), (0.74, 0.64)), (1.0, 0.0)),
}


@dataclass
class SyntheticClip:
    """Frames ``(T, S, S)`` uint8 and their ground truth."""

    frames: np.ndarray
    onset: int
    apex: int
    offset: int
    intensity: np.ndarray  # (T,) true movement intensity in [0, 1]
    subject: str = ""
    blinks: list[tuple[int, int]] = field(default_factory=list)
    intervals: list[tuple[int, int]] = field(default_factory=list)  # all ME (onset, offset) pairs


def synthetic_face(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """A neutral face-like float image ``(size, size)`` in [0, 255]."""
    import cv2

    tex = cv2.GaussianBlur(rng.normal(0, 1, (size, size)).astype(np.float32), (0, 0), size / 20)
    img = 150 + 25 * tex / (tex.std() + 1e-6)
    yy, xx = np.mgrid[0:size, 0:size] / size

    def blob(r, c, sr, sc, depth):
        return depth * np.exp(-(((yy - r) / sr) ** 2 + ((xx - c) / sc) ** 2))

    jitter = rng.normal(0, 0.01, 8)
    for k, (r, c) in enumerate(EYE_CENTRES):
        img -= blob(r + jitter[k], c + jitter[k + 2], 0.035, 0.08, 90)
        img -= blob(r - 0.1 + jitter[k + 4], c, 0.02, 0.1, 60)
    img -= blob(0.74 + jitter[6], 0.5, 0.03, 0.16, 80)
    img -= blob(0.57, 0.5 + jitter[7], 0.05, 0.03, 30)
    return np.clip(img, 0, 255).astype(np.float32)


def bump_profile(n_frames: int, onset: int, apex: int, offset: int) -> np.ndarray:
    """Smooth 0→1→0 intensity (raised-cosine rise and fall), 1 exactly at the apex."""
    t = np.arange(n_frames, dtype=float)
    out = np.zeros(n_frames)
    rise = (t >= onset) & (t <= apex)
    out[rise] = np.sin(0.5 * np.pi * (t[rise] - onset) / max(apex - onset, 1)) ** 2
    fall = (t > apex) & (t <= offset)
    out[fall] = np.sin(0.5 * np.pi * (offset - t[fall]) / max(offset - apex, 1)) ** 2
    out[apex] = 1.0
    return out


def _gaussian_field(size: int, centres, sigma: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / size
    g = np.zeros((size, size))
    for r, c in centres:
        g += np.exp(-(((yy - r) ** 2 + (xx - c) ** 2) / (2 * sigma ** 2)))
    return g


def render_frames(face: np.ndarray, movement: np.ndarray, site: str, amplitude: float,
                  blink: np.ndarray, head_xy: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Warp ``face`` per frame: movement ``(T,)`` and blink ``(T,)`` intensities, head ``(T, 2)``."""
    import cv2

    size = face.shape[0]
    centres, (dy, dx) = MOVEMENT_SITES[site]
    move_field = _gaussian_field(size, centres, 0.07)
    eye_field = _gaussian_field(size, EYE_CENTRES, 0.035)  # lids only: a blink leaves the brows still
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    frames = []
    for t in range(len(movement)):
        disp_y = amplitude * movement[t] * dy * move_field + 2.5 * blink[t] * eye_field
        disp_x = amplitude * movement[t] * dx * move_field * np.sign(xx / size - 0.5)
        map_x = (xx - disp_x - head_xy[t, 0]).astype(np.float32)
        map_y = (yy - disp_y - head_xy[t, 1]).astype(np.float32)
        img = cv2.remap(face, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        img = img - 40 * blink[t] * eye_field
        frames.append(img + rng.normal(0, noise, img.shape))
    return np.clip(np.stack(frames), 0, 255).astype(np.uint8)


def _blink_track(n_frames: int, starts, rng, length: int = 7) -> tuple[np.ndarray, list[tuple[int, int]]]:
    track, spans = np.zeros(n_frames), []
    for s in starts:
        e = min(s + length - 1, n_frames - 1)
        track = np.maximum(track, bump_profile(n_frames, s, min(s + length // 2, e), e))
        spans.append((int(s), int(e)))
    return track, spans


def _head_track(n_frames: int, rng, amplitude: float) -> np.ndarray:
    t = np.arange(n_frames)[:, None]
    drift = rng.uniform(-1, 1, (1, 2)) * amplitude * t / max(n_frames - 1, 1)
    sway = amplitude * 0.5 * np.sin(2 * np.pi * t / rng.uniform(40, 120) + rng.uniform(0, 6, (1, 2)))
    return drift + sway


def synthetic_apex_clip(rng: np.random.Generator, n_frames: int | None = None, size: int = 64,
                        face: np.ndarray | None = None, blink_prob: float = 0.5, head_motion: float = 1.0,
                        noise: float = 2.0, subject: str = "") -> SyntheticClip:
    """One onset→offset clip (onset = 0, offset = last frame) with the apex somewhere inside."""
    n = int(n_frames or rng.integers(20, 41))
    apex = int(rng.integers(max(1, round(0.15 * n)), round(0.85 * n)))
    face = synthetic_face(rng, size) if face is None else face
    movement = bump_profile(n, 0, apex, n - 1)
    starts = [int(rng.integers(0, n - 6))] if rng.random() < blink_prob else []
    blink, spans = _blink_track(n, starts, rng)
    site = str(rng.choice(sorted(MOVEMENT_SITES)))
    frames = render_frames(face, movement, site, rng.uniform(1.0, 2.0), blink,
                           _head_track(n, rng, head_motion), noise, rng)
    return SyntheticClip(frames, 0, apex, n - 1, movement, subject, spans, [(0, n - 1)])


def synthetic_long_clip(rng: np.random.Generator, n_frames: int = 200, size: int = 64,
                        face: np.ndarray | None = None, n_expressions: int = 2, n_blinks: int = 3,
                        head_motion: float = 2.0, noise: float = 2.0, subject: str = "") -> SyntheticClip:
    """A longer clip holding ``n_expressions`` separated micro-expressions among blinks."""
    face = synthetic_face(rng, size) if face is None else face
    movement, intervals = np.zeros(n_frames), []
    slots = np.linspace(0, n_frames, n_expressions + 1).astype(int)
    for a, b in zip(slots[:-1], slots[1:]):
        length = int(rng.integers(12, 21))
        on = int(rng.integers(a + 3, max(a + 4, b - length - 3)))
        off = min(on + length - 1, n_frames - 1)
        apex = int(on + rng.integers(length // 4, 3 * length // 4 + 1))
        movement = np.maximum(movement, bump_profile(n_frames, on, apex, off))
        intervals.append((on, off))
    starts = rng.integers(0, n_frames - 8, n_blinks)
    blink, spans = _blink_track(n_frames, starts, rng)
    site = str(rng.choice(sorted(MOVEMENT_SITES)))
    frames = render_frames(face, movement, site, rng.uniform(1.0, 2.0), blink,
                           _head_track(n_frames, rng, head_motion), noise, rng)
    apex = int(np.argmax(movement))
    return SyntheticClip(frames, intervals[0][0], apex, intervals[-1][1], movement, subject, spans, intervals)


def synthetic_apex_dataset(n_subjects: int = 10, clips_per_subject: int = 6, seed: int = 0,
                           size: int = 64, **clip_kw) -> list[SyntheticClip]:
    """Clips of ``n_subjects`` synthetic faces (one face per subject)."""
    rng = np.random.default_rng(seed)
    clips = []
    for s in range(n_subjects):
        face = synthetic_face(rng, size)
        for _ in range(clips_per_subject):
            clips.append(synthetic_apex_clip(rng, size=size, face=face, subject=f"syn{s:02d}", **clip_kw))
    return clips
