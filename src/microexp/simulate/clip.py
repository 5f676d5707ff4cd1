"""One simulated clip: a person showing an expression from onset to offset, with ground truth."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .action_units import au_displacements_with_virtual, blink_displacements, parse_au_key
from .emotions import ExpressionSpec, sample_expression
from .identities import Identity
from .nuisances import NuisanceConfig, blink_profile, flicker_gains, nuisance_config, smooth_drift
from .timeline import Timeline, sample_timeline
from .warping import expression_field, forward_positions, identity_grid


@dataclass
class ClipGroundTruth:
    """What is really in a simulated clip (frame indices count from the onset frame, 0-based).

    ``au_intensity``: AU → (n_frames,) intensity; ``landmarks``: (n_frames, 68, 2) true positions.
    """

    emotion: str | None
    megc3: str | None
    action_units: str | int
    au_apex_intensity: dict[str, float]
    side_scale: tuple[float, float]
    n_frames: int
    apex_index: int
    profile: np.ndarray
    au_intensity: dict[str, np.ndarray]
    landmarks: np.ndarray
    max_displacement_px: float
    blink: dict | None
    amplitude: float

    def to_dict(self, decimals: int = 4) -> dict:
        """JSON-ready summary (without the landmark array)."""
        r = lambda v: round(float(v), decimals)  # noqa: E731
        return {
            "emotion": self.emotion, "megc3": self.megc3, "action_units": self.action_units,
            "au_apex_intensity": {k: r(v) for k, v in self.au_apex_intensity.items()},
            "side_scale": [r(v) for v in self.side_scale], "amplitude": r(self.amplitude),
            "n_frames": self.n_frames, "apex_index": self.apex_index,
            "max_displacement_px": r(self.max_displacement_px), "blink": self.blink,
            "au_intensity_per_frame": {k: [r(x) for x in v] for k, v in self.au_intensity.items()},
        }


def _expression(emotion_or_aus, rng: np.random.Generator, cfg: NuisanceConfig) -> ExpressionSpec:
    if isinstance(emotion_or_aus, ExpressionSpec):
        return emotion_or_aus
    if isinstance(emotion_or_aus, str):
        return sample_expression(emotion_or_aus, rng, intensity_jitter=cfg.intensity_jitter,
                                 one_sided_probability=cfg.one_sided_probability,
                                 distractor_probability=cfg.distractor_probability)
    if isinstance(emotion_or_aus, dict):
        for key in emotion_or_aus:
            parse_au_key(key)
        return ExpressionSpec(None, {k: float(v) for k, v in emotion_or_aus.items()}, (1.0, 1.0))
    raise ConfigError(f"expected an emotion name, an AU dict or an ExpressionSpec, got {type(emotion_or_aus).__name__}")


def _head_transforms(rng: np.random.Generator, n: int, cfg: NuisanceConfig, centre: np.ndarray) -> np.ndarray:
    """(n, 2, 3) similarity transforms of the head (face → frame), identity at the onset."""
    dx = smooth_drift(rng, n, cfg.head_motion_px)
    dy = smooth_drift(rng, n, cfg.head_motion_px)
    roll = np.deg2rad(smooth_drift(rng, n, cfg.head_roll_deg))
    c, s = np.cos(roll), np.sin(roll)
    m = np.zeros((n, 2, 3))
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, -s, s, c
    m[:, :, 2] = centre - np.einsum("nij,j->ni", m[:, :, :2], centre) + np.stack([dx, dy], 1)
    return m


def render_clip(identity: Identity, emotion_or_aus, *, fps: float = 200.0, amplitude: float = 1.0,
                nuisances: NuisanceConfig | str = "medium", timeline: Timeline | None = None,
                seed: int | np.random.Generator = 0) -> tuple[np.ndarray, ClipGroundTruth]:
    """Frames (n_frames, H, W, 3) uint8 RGB of ``identity`` showing ``emotion_or_aus``, and the truth.

    ``emotion_or_aus``: a CASME II emotion name (a random variant is drawn), ``{'AU12': 1.0, …}``
    or an :class:`ExpressionSpec`. ``amplitude`` scales every AU (0: no expression at all).
    ``nuisances``: a difficulty name (``none``, ``easy``, ``medium``, ``hard``) or a config.
    The same ``seed`` gives the same frames.
    """
    import cv2

    if amplitude < 0:
        raise ConfigError(f"amplitude must be >= 0, got {amplitude}")
    cfg = nuisance_config(nuisances) if isinstance(nuisances, str) else nuisances
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(int(seed))
    spec = _expression(emotion_or_aus, rng, cfg)
    tl = timeline if timeline is not None else sample_timeline(rng, fps)
    n = tl.n_frames
    profile = tl.profile()
    aus = {k: v * amplitude for k, v in spec.au_intensities.items()}

    L0 = identity.landmarks
    shape = identity.image.shape[:2]
    field_apex = expression_field(shape, L0, aus, spec.side_scale) if any(aus.values()) else None
    disp_apex = au_displacements_with_virtual(L0, aus, spec.side_scale)[:68]
    if field_apex is not None:  # the landmarks' true motion under the rendered warp
        disp_apex = forward_positions(field_apex, L0, L0 + disp_apex) - L0

    blink, blink_info = np.zeros(n), None
    field_blink = disp_blink = None
    if cfg.blink_probability > 0 and rng.random() < cfg.blink_probability:
        blink, blink_info = blink_profile(rng, n, fps)
        full = blink_displacements(L0, 1.0)
        field_blink = expression_field(shape, L0, {}, extra=full)
        disp_blink = forward_positions(field_blink, L0, L0 + full[:68]) - L0

    centre = L0.mean(axis=0)
    heads = _head_transforms(rng, n, cfg, centre)
    gains = flicker_gains(rng, n, fps, cfg.flicker)

    base = identity.image.astype(np.float32)
    grid = identity_grid(shape)
    gx, gy = grid[..., 0], grid[..., 1]
    frames = np.empty((n,) + identity.image.shape, dtype=np.uint8)
    landmarks = np.empty((n, 68, 2))
    for i in range(n):
        inv = cv2.invertAffineTransform(heads[i]).astype(np.float32)
        map_x = inv[0, 0] * gx + inv[0, 1] * gy + inv[0, 2]
        map_y = inv[1, 0] * gx + inv[1, 1] * gy + inv[1, 2]
        moved = L0.copy()
        for weight, fld, disp in ((profile[i], field_apex, disp_apex), (blink[i], field_blink, disp_blink)):
            if fld is not None and weight > 0:
                map_x += np.float32(weight) * fld[..., 0]
                map_y += np.float32(weight) * fld[..., 1]
                moved += weight * disp
        img = cv2.remap(base, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        if gains[i] != 1.0:
            img *= np.float32(gains[i])
        if cfg.sensor_noise > 0:
            img += np.float32(cfg.sensor_noise) * rng.standard_normal(img.shape, dtype=np.float32)
        frames[i] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        landmarks[i] = moved @ heads[i][:, :2].T + heads[i][:, 2]

    au_curves = {k: v * profile for k, v in aus.items()}
    max_disp = float(np.linalg.norm(disp_apex, axis=1).max()) if len(disp_apex) else 0.0
    truth = ClipGroundTruth(
        emotion=spec.emotion, megc3=spec.megc3, action_units=spec.action_units_code, au_apex_intensity=aus,
        side_scale=spec.side_scale, n_frames=n, apex_index=tl.apex_index, profile=profile,
        au_intensity=au_curves, landmarks=landmarks, max_displacement_px=max_disp, blink=blink_info,
        amplitude=float(amplitude),
    )
    return frames, truth
