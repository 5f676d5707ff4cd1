"""Distinct synthetic people made from the bundled portraits.

An identity is a morph of two portraits (landmark-aligned thin-plate warps, cross-faded) whose
face geometry (eye spacing, face width and length, nose, mouth, brows), skin tone, lighting, pose,
size and handedness (mirroring) are drawn from the identity's own random stream, so every
subject of a simulated dataset is a different face while the dlib pipeline still finds it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .textures import PORTRAITS, base_face
from .warping import dense_field

#: Frame size (width, height) of simulated clips; faces span about 150 px (a 64-78 px eye distance).
DEFAULT_FRAME_SIZE: tuple[int, int] = (256, 288)
#: Range of the distance between the eye centres, in pixels.
IOD_RANGE_PX: tuple[float, float] = (64.0, 78.0)
#: Largest weight of the second portrait in a morph (the first always dominates: no ghost faces).
MAX_MORPH_WEIGHT = 0.3


@dataclass
class Identity:
    """A neutral face: ``image`` (H, W, 3) uint8 RGB and its true ``landmarks`` (68, 2) float64."""

    subject: str
    image: np.ndarray
    landmarks: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def iod(self) -> float:
        """Distance between the eye centres, in pixels."""
        return float(np.linalg.norm(self.landmarks[42:48].mean(0) - self.landmarks[36:42].mean(0)))


def similarity_fit(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity (rotation, uniform scale, shift) taking ``src`` onto ``dst`` (Umeyama 1991)."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(sig) @ sign) / (s ** 2).sum(1).mean())
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - scale * rot @ mu_s
    return m


def apply_affine(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return np.asarray(pts, dtype=np.float64) @ m[:, :2].T + m[:, 2]


def canonical_shape(landmarks: np.ndarray) -> np.ndarray:
    """Landmarks moved so that the eye centres sit at (-0.5, 0) and (0.5, 0) (IOD = 1)."""
    L = np.asarray(landmarks, dtype=np.float64)
    eyes = np.stack([L[36:42].mean(0), L[42:48].mean(0)])
    m = similarity_fit(eyes, np.array([[-0.5, 0.0], [0.5, 0.0]]))
    return apply_affine(m, L)


def _geometry_offsets(rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """(68, 2) offsets in IOD units that give a face its own proportions."""
    p = {
        "eye_spacing": rng.uniform(-0.04, 0.04), "face_width": rng.uniform(-0.06, 0.06),
        "face_length": rng.uniform(-0.07, 0.07), "nose_length": rng.uniform(-0.05, 0.05),
        "mouth_width": rng.uniform(-0.06, 0.06), "mouth_height": rng.uniform(-0.04, 0.04),
        "brow_height": rng.uniform(-0.04, 0.04),
    }
    off = np.zeros((68, 2))
    for idx_r, idx_l in ((range(36, 42), range(42, 48)), (range(17, 22), range(22, 27))):
        off[list(idx_r), 0] -= p["eye_spacing"] / 2
        off[list(idx_l), 0] += p["eye_spacing"] / 2
    jaw = np.arange(17)
    off[jaw, 0] += p["face_width"] * (jaw - 8) / 8.0 * 0.9
    off[jaw, 1] += p["face_length"] * np.clip(1 - np.abs(jaw - 8) / 8.0, 0, 1) ** 0.5
    off[48:68, 1] += p["face_length"] * 0.5 + p["mouth_height"]
    off[31:36, 1] += p["nose_length"]
    off[27:31, 1] += p["nose_length"] * np.linspace(0.25, 1.0, 4)
    off[[48, 60], 0] -= p["mouth_width"] / 2
    off[[54, 64], 0] += p["mouth_width"] / 2
    off[[49, 59, 61, 67], 0] -= p["mouth_width"] / 4
    off[[53, 55, 63, 65], 0] += p["mouth_width"] / 4
    off[17:27, 1] -= p["brow_height"]
    return off, {k: round(float(v), 4) for k, v in p.items()}


def _warp_portrait_to(face, target: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The portrait resampled so that its landmarks land on ``target``; (H, W, 3) float32."""
    import cv2

    w, h = size
    to_frame = similarity_fit(face.landmarks, target)
    to_portrait = cv2.invertAffineTransform(to_frame)
    # away from the face the warp is the plain similarity: controls on a ring around the frame
    ring = np.array([[x, y] for x in np.linspace(-w * 0.25, w * 1.25, 7) for y in (-h * 0.25, h * 1.25)]
                    + [[x, y] for y in np.linspace(0, h, 5) for x in (-w * 0.25, w * 1.25)])
    controls = np.vstack([target, ring])
    values = np.vstack([face.landmarks, apply_affine(to_portrait, ring)])
    grid = dense_field((h, w), controls, values, step=2)
    return cv2.remap(face.image, grid[..., 0], grid[..., 1], interpolation=cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REFLECT101).astype(np.float32)


def make_identity(index: int, seed: int, frame_size: tuple[int, int] = DEFAULT_FRAME_SIZE) -> Identity:
    """The ``index``-th person (0-based) of the population drawn from ``seed``; subject ``f'{index+1:02d}'``.

    Identities are cached per process; their arrays are read-only.
    """
    return _cached_identity(int(index), int(seed), tuple(int(v) for v in frame_size))


@lru_cache(maxsize=64)
def _cached_identity(index: int, seed: int, frame_size: tuple[int, int]) -> Identity:
    import cv2

    rng = np.random.default_rng([int(seed), int(index), 0x1D])
    names = sorted(PORTRAITS)
    primary = names[index % len(names)]
    secondary = names[(index + 1) % len(names)]
    morph = float(rng.uniform(0.0, MAX_MORPH_WEIGHT))
    faces = [base_face(primary, bool(rng.integers(2))), base_face(secondary, bool(rng.integers(2)))]
    shape = (1 - morph) * canonical_shape(faces[0].landmarks) + morph * canonical_shape(faces[1].landmarks)
    offsets, geometry = _geometry_offsets(rng)
    shape = shape + offsets

    w, h = frame_size
    iod = float(rng.uniform(*IOD_RANGE_PX))
    roll = float(rng.uniform(-6.0, 6.0))
    eye_centre = np.array([w / 2 + rng.uniform(-8, 8), h * 0.40 + rng.uniform(-8, 8)])
    c, s = np.cos(np.deg2rad(roll)), np.sin(np.deg2rad(roll))
    target = (shape * iod) @ np.array([[c, s], [-s, c]]) + eye_centre

    blended = (1 - morph) * _warp_portrait_to(faces[0], target, frame_size) \
        + morph * _warp_portrait_to(faces[1], target, frame_size)

    # skin tone (per-channel gains), exposure and gamma, then a soft directional light
    gains = np.exp(rng.normal(0.0, 0.06, 3)) * np.exp(rng.normal(0.0, 0.08))
    gamma = float(rng.uniform(0.85, 1.15))
    img = 255.0 * np.clip(blended * gains / 255.0, 0, 1) ** gamma
    angle = rng.uniform(0, 2 * np.pi)
    strength = float(rng.uniform(0.0, 0.45))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = ((xs - w / 2) * np.cos(angle) + (ys - h / 2) * np.sin(angle)) / max(w, h)
    img = img * (1.0 + strength * ramp)[..., None]
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    image = cv2.GaussianBlur(image, (0, 0), 0.6) if rng.random() < 0.3 else image

    params = {
        "portraits": [f.name for f in faces], "morph_weight": round(morph, 4), "iod_px": round(iod, 2),
        "roll_deg": round(roll, 2), "eye_centre": [round(float(v), 2) for v in eye_centre],
        "channel_gains": [round(float(g), 4) for g in gains], "gamma": round(gamma, 4),
        "light_strength": round(strength, 4), "geometry": geometry,
    }
    image.setflags(write=False)
    target.setflags(write=False)
    return Identity(f"{index + 1:02d}", image, target, params)
