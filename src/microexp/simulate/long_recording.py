"""Long simulated recordings (minutes, any frame rate) for spotting, with exact ground truth.

A recording shows one synthetic person (:mod:`.identities`) in front of a still room, at 640×480
by default with a face 200-300 px tall. Micro- and macro-expressions (AU sets of
:mod:`.emotions`, thin-plate warps of :mod:`.warping`) occur at the rates and with the durations
of the real long-video sheets (:mod:`.long_calibration`), among blinks, head turns and drift,
talking, illumination changes and sensor noise (:mod:`.long_schedule`).

Frames are streamed: :meth:`LongRecording.frames` yields them one at a time and memory does not
grow with the recording's length. The person is rendered once per recording; a frame then costs a
warp of the face region only when something moves on the face (cached deformation fields, one
per expression, built when it starts and dropped when it ends), one affine warp of the person
into the frame, a blend with the background and one pass adding brightness and noise.

>>> rec = simulate_recording("casme_sq", minutes=2, seed=0)             # doctest: +SKIP
>>> rec.intervals                                                      # doctest: +SKIP
>>> for frame in rec.frames(): ...                                     # doctest: +SKIP
>>> write_recording("runs/rec.mp4", rec)                               # doctest: +SKIP
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .action_units import blink_displacements, virtual_points
from .identities import Identity, make_identity
from .long_schedule import LongRecordingProfile, RecordingPlan, plan_recording, recording_profile
from .warping import expression_field, face_mask, identity_grid

#: Size (width, height) of the person as rendered once: head, neck and shoulders.
PERSON_SIZE: tuple[int, int] = (288, 352)
#: The face's height, hairline to chin, is this multiple of the landmarks' span (brows to chin).
FOREHEAD_FACTOR = 1.3
#: Mouth movements of speech, as AU intensities at full weight (jaw opening; lips rounding).
TALK_JAW_AUS = {"AU25": 1.5, "AU26": 2.5}
TALK_LIPS_AUS = {"AU23": 1.5, "AU25": 0.8}
#: Pre-drawn sensor noise: a bank this much larger than the frame, cropped at a random offset per frame.
NOISE_BANK_PAD = 64
_NOISE_BANK_STD = 16.0
#: Dataset name of simulated recordings in interval tables.
SIMULATED_DATASET = "simulated_long"


def _scene(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A still room behind the person: a shaded wall, a door or shelf edge, a desk, fine texture
    (RGB uint8)."""
    import cv2

    w, h = size
    tint = np.exp(rng.normal(0, 0.08, 3))
    base = rng.uniform(90, 190)
    shade = cv2.resize(rng.normal(0, 15, (4, 5)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    img = ((base + shade)[..., None] * tint).astype(np.float32)
    x0 = int(rng.uniform(0.03, 0.25) * w) if rng.random() < 0.5 else int(rng.uniform(0.7, 0.9) * w)
    img[:, x0:x0 + int(rng.uniform(0.04, 0.1) * w)] *= np.float32(rng.uniform(0.7, 1.25))
    img[int(rng.uniform(0.75, 0.9) * h):] *= (np.float32(rng.uniform(0.5, 0.8)) * np.exp(rng.normal(0, 0.1, 3))
                                              ).astype(np.float32)
    fine = cv2.resize(rng.normal(0, 4, (h // 3, w // 3)).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    img = cv2.GaussianBlur(img + fine[..., None], (0, 0), 1.0)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _person_alphas(identity: Identity, pad: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Soft opacities (float32) of the moving head (with the top of the neck), on the person's
    pixels, and of the still torso below it, on the person's pixels padded by ``pad`` = (sides, bottom)."""
    import cv2

    h, w = identity.image.shape[:2]
    L = identity.landmarks
    width, span = float(np.ptp(L[:17, 0])), float(np.ptp(L[:, 1]))
    cx, cy, chin = float(L[:, 0].mean()), float(L[:, 1].mean()) - 0.15 * span, float(L[8, 1])
    head = np.zeros((h, w), np.float32)
    cv2.ellipse(head, (int(round(cx)), int(round(cy))), (int(0.62 * width), int(0.575 * FOREHEAD_FACTOR * span)),
                0, 0, 360, 1.0, -1)
    neck = np.zeros((h, w), np.float32)
    cv2.rectangle(neck, (int(cx - 0.3 * width), int(chin - 0.2 * span)), (int(cx + 0.3 * width), h), 1.0, -1)
    rows = np.arange(h, dtype=np.float32)[:, None]
    neck *= np.clip((chin + 0.45 * span - rows) / (0.25 * span), 0.0, 1.0)  # fades into the still torso
    head = cv2.GaussianBlur(np.maximum(head, neck), (0, 0), 0.04 * width)

    px, py = pad
    torso = np.zeros((h + py, w + 2 * px), np.float32)
    top = chin + 0.15 * span
    shoulders = chin + 0.6 * span
    poly = np.array([[cx - 0.35 * width, top], [cx + 0.35 * width, top], [cx + 1.1 * width, shoulders],
                     [cx + 1.1 * width, h + py], [cx - 1.1 * width, h + py], [cx - 1.1 * width, shoulders]]) + (px, 0)
    cv2.fillConvexPoly(torso, np.round(poly).astype(np.int32), 1.0)
    return head, cv2.GaussianBlur(torso, (0, 0), 0.08 * width)


def _blend_into(frame: np.ndarray, layer: np.ndarray, m: np.ndarray, border: int) -> None:
    """Warp ``layer`` (H, W, 4: colour and opacity 0-255) by the affine ``m`` and blend it into
    ``frame`` (H, W, 3) in place, touching only the bounding box of the warped layer."""
    import cv2

    fh, fw = frame.shape[:2]
    lh, lw = layer.shape[:2]
    box = np.array([[0, 0, 1], [lw, 0, 1], [0, lh, 1], [lw, lh, 1]], float) @ m.T
    x0, y0 = np.maximum(np.floor(box.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(box.max(0)).astype(int), (fw, fh))
    if x1 <= x0 or y1 <= y0:
        return
    m_roi = m.copy()
    m_roi[:, 2] -= (x0, y0)
    fg = cv2.warpAffine(layer, m_roi, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR, borderMode=border)
    a = cv2.extractChannel(fg, 3).astype(np.float32)
    # blendLinear divides by the sum of the weights: opacity and its complement, both 0-255
    frame[y0:y1, x0:x1] = cv2.blendLinear(cv2.cvtColor(fg, cv2.COLOR_BGRA2BGR), frame[y0:y1, x0:x1], a, 255.0 - a)


def _with_alpha(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8: ``image`` (H, W, 3) with the opacity ``alpha`` (0-1) as a fourth channel."""
    return np.dstack([image, np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8)])


def _stage(texture: np.ndarray, torso: np.ndarray, scene: np.ndarray, m_ref: np.ndarray,
           pad: tuple[int, int]) -> np.ndarray:
    """The still part of every frame: the room with the torso (opacity ``torso``, see
    :func:`_person_alphas`) at the reference pose ``m_ref``. The person's picture is mirrored
    below itself and its side columns repeated by ``pad`` = (sides, bottom), so the torso reaches
    the frame's bottom without a visible edge."""
    import cv2

    px, py = pad
    body = cv2.copyMakeBorder(texture, 0, py, 0, 0, cv2.BORDER_REFLECT)
    body = cv2.copyMakeBorder(body, 0, 0, px, px, cv2.BORDER_REPLICATE)
    m = m_ref.copy()
    m[:, 2] -= m[:, :2] @ (px, 0)
    stage = scene.copy()
    _blend_into(stage, _with_alpha(body, torso), m, cv2.BORDER_CONSTANT)
    return stage


class LongRecording:
    """A planned recording: ground truth now, frames on demand (:meth:`frames`, a generator).

    ``intervals``: the expressions in the interval table of
    :mod:`microexp.datasets.long_videos` (frames numbered from 0); ``nuisance_events``: blinks,
    head turns, talking and illumination steps (``kind, onset, offset, …``); ``plan``: per-frame
    parameters. ``head_affine(t)`` maps the person's pixels to frame ``t``.
    """

    def __init__(self, profile: LongRecordingProfile, plan: RecordingPlan, identity: Identity,
                 rng: np.random.Generator, subject: str, video: str, dataset: str = SIMULATED_DATASET):
        self.profile, self.plan, self.identity = profile, plan, identity
        self.subject, self.video, self.dataset = subject, video, dataset
        w, h = profile.frame_size
        L = identity.landmarks
        self._pivot = L.mean(axis=0)
        height = float(rng.uniform(*profile.face_height)) * h
        self.scale = height / (FOREHEAD_FACTOR * float(np.ptp(L[:, 1])))
        eyes = (L[36:42].mean(0) + L[42:48].mean(0)) / 2
        eye_pos = np.array([w * (0.5 + rng.uniform(-0.06, 0.06)), h * rng.uniform(0.36, 0.44)])
        self._anchor = eye_pos + self.scale * (self._pivot - eyes)
        self._scene_seed = int(rng.integers(2 ** 31))
        self._noise_seed = int(rng.integers(2 ** 31))

    # ------------------------------------------------------------------------- ground truth
    @property
    def n_frames(self) -> int:
        return self.plan.n_frames

    @property
    def fps(self) -> float:
        return self.profile.fps

    @property
    def frame_size(self) -> tuple[int, int]:
        return tuple(self.profile.frame_size)

    def __len__(self) -> int:
        return self.n_frames

    @property
    def nuisance_events(self) -> list[dict]:
        return self.plan.nuisance_events

    @property
    def intervals(self) -> pd.DataFrame:
        from ..datasets.long_videos import INTERVAL_COLUMNS, VIDEO_COLUMNS

        rows = [{"dataset": self.dataset, "subject": self.subject, "video": self.video, "onset": e.onset,
                 "apex": e.apex, "offset": e.offset, "type": e.type, "aus": e.aus, "emotion": e.emotion,
                 "emotion_class": e.emotion_class, "video_length": self.n_frames, "fps": self.fps,
                 "first_frame": 0, "quirk": "", "row": i + 1} for i, e in enumerate(self.plan.expressions)]
        df = pd.DataFrame.from_records(rows, columns=list(INTERVAL_COLUMNS))
        for c in ("onset", "apex", "offset", "video_length", "first_frame", "row"):
            df[c] = df[c].astype("int64")
        df["fps"] = df["fps"].astype(float)
        df.attrs["videos"] = pd.DataFrame([(self.dataset, self.subject, self.video, self.n_frames, self.fps, 0)],
                                          columns=list(VIDEO_COLUMNS))
        return df

    def head_affine(self, t: int) -> np.ndarray:
        """(2, 3) affine map from the person's pixels to frame ``t``'s pixels."""
        return self._affine(*(float(v) for v in self.plan.head[t]))

    def _reference_affine(self) -> np.ndarray:
        return self._affine(0.0, 0.0, 0.0, 0.0, 1.0)

    def _affine(self, dx: float, dy: float, roll: float, yaw: float, scale: float) -> np.ndarray:
        c, s = np.cos(np.deg2rad(roll)), np.sin(np.deg2rad(roll))
        # a turn of the head about the vertical axis foreshortens the face horizontally
        lin = np.array([[c, -s], [s, c]]) @ np.diag([self.scale * scale * np.cos(np.deg2rad(yaw)),
                                                      self.scale * scale])
        m = np.empty((2, 3))
        m[:, :2] = lin
        m[:, 2] = self._anchor + (dx, dy) - lin @ self._pivot
        return m

    def head_landmarks(self, t: int) -> np.ndarray:
        """(68, 2) the neutral face's landmarks placed by frame ``t``'s head pose (no expression)."""
        m = self.head_affine(t)
        return self.identity.landmarks @ m[:, :2].T + m[:, 2]

    # ------------------------------------------------------------------------------ frames
    def frames(self, channel_order: str = "rgb") -> Iterator[np.ndarray]:
        """A generator of the ``n_frames`` frames, (H, W, 3) uint8, one at a time, in
        ``channel_order`` ``'rgb'`` or ``'bgr'`` (for OpenCV writers). Each call starts from the
        first frame."""
        if channel_order not in ("rgb", "bgr"):
            raise ConfigError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        return self._frames(channel_order)

    def __iter__(self) -> Iterator[np.ndarray]:
        return self._frames("rgb")

    def _frames(self, channel_order: str) -> Iterator[np.ndarray]:
        import cv2

        flip = (lambda a: np.ascontiguousarray(a[..., ::-1])) if channel_order == "bgr" else (lambda a: a)
        w, h = self.frame_size
        profile, plan, identity = self.profile, self.plan, self.identity
        texture = flip(identity.image)
        shape = texture.shape[:2]
        pad = (shape[1] // 2, max(0, int(np.ceil(h / self.scale)) - shape[0] // 2))
        head_alpha, torso = _person_alphas(identity, pad)
        stage = _stage(texture, torso, flip(_scene(np.random.default_rng(self._scene_seed), (w, h))),
                       self._reference_affine(), pad)
        noise_rng = np.random.default_rng(self._noise_seed)
        bank = None
        if profile.sensor_noise > 0:
            bank = np.clip(np.rint(128 + _NOISE_BANK_STD * noise_rng.standard_normal(
                (h + NOISE_BANK_PAD, w + NOISE_BANK_PAD, 3), dtype=np.float32)), 0, 255).astype(np.uint8)
        beta = profile.sensor_noise / _NOISE_BANK_STD

        # the face region that expressions, blinks and talking deform, and the head layer around it
        L0 = identity.landmarks
        ys, xs = np.nonzero(face_mask(shape, np.vstack([L0, virtual_points(L0)])) > 1e-4)
        fy0, fy1, fx0, fx1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        hy, hx = np.nonzero(head_alpha > 1e-3)
        y0, y1 = min(fy0, hy.min()), max(fy1, hy.max() + 1)
        x0, x1 = min(fx0, hx.min()), max(fx1, hx.max() + 1)
        head = _with_alpha(texture[y0:y1, x0:x1], head_alpha[y0:y1, x0:x1])
        grid = identity_grid(shape)[fy0:fy1, fx0:fx1]
        gx, gy = np.ascontiguousarray(grid[..., 0]), np.ascontiguousarray(grid[..., 1])

        def crop(field: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            f = field[fy0:fy1, fx0:fx1]
            return np.ascontiguousarray(f[..., 0]), np.ascontiguousarray(f[..., 1])

        blink_field = jaw_field = lips_field = None
        if plan.blink.any():
            blink_field = crop(expression_field(shape, L0, {}, extra=blink_displacements(L0, 1.0)))
        if plan.talk.any():
            jaw_field = crop(expression_field(shape, L0, TALK_JAW_AUS))
            lips_field = crop(expression_field(shape, L0, TALK_LIPS_AUS))

        pending = list(plan.expressions)
        active: list[tuple] = []  # (expression, intensity curve, cropped field)
        for t in range(plan.n_frames):
            while pending and pending[0].onset <= t:
                e = pending.pop(0)
                fld = crop(expression_field(shape, L0, e.au_intensities, e.spec.side_scale))
                active.append((e, e.intensity(), fld))
            active = [a for a in active if a[0].offset >= t]
            terms = [(float(plan.blink[t]), blink_field), (float(plan.talk[t, 0]), jaw_field),
                     (float(plan.talk[t, 1]), lips_field)]
            terms += [(float(curve[t - e.onset]), fld) for e, curve, fld in active]
            terms = [(wgt, fld) for wgt, fld in terms if fld is not None and wgt > 1e-3]
            layer = head
            if terms:
                mx, my = gx.copy(), gy.copy()
                for wgt, (fx, fy) in terms:
                    cv2.scaleAdd(fx, wgt, mx, mx)
                    cv2.scaleAdd(fy, wgt, my, my)
                layer = head.copy()
                layer[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0, :3] = cv2.remap(texture, mx, my, cv2.INTER_LINEAR,
                                                                            borderMode=cv2.BORDER_REFLECT101)
            m = self.head_affine(t)
            m[:, 2] += m[:, :2] @ (x0, y0)
            frame = stage.copy()
            _blend_into(frame, layer, m, cv2.BORDER_CONSTANT)
            gain = float(plan.gain[t])
            if bank is not None:
                ox, oy = noise_rng.integers(0, NOISE_BANK_PAD, 2)
                frame = cv2.addWeighted(frame, gain, bank[oy:oy + h, ox:ox + w], beta, -128.0 * beta)
            elif gain != 1.0:
                frame = cv2.convertScaleAbs(frame, alpha=gain)
            yield frame


def simulate_recording(profile: str | LongRecordingProfile = "casme_sq", *, minutes: float | None = None,
                       seconds: float | None = None, fps: float | None = None, seed: int = 0,
                       subject_index: int = 0, video_index: int = 0, subject: str | None = None,
                       video: str | None = None, dataset: str = SIMULATED_DATASET, **overrides) -> LongRecording:
    """Plan a recording of ``minutes`` (or ``seconds``; default: the profile's median video length)
    of synthetic person ``subject_index`` (the same person for every video of one ``seed``).

    ``profile``: ``casme_sq`` (30 fps), ``samm_lv`` (200 fps), ``casme3_lv`` or a
    :class:`LongRecordingProfile`; ``fps`` and ``overrides`` (e.g. ``micro_per_minute=6``) replace
    its settings. Nothing is rendered until :meth:`LongRecording.frames` is iterated; the same
    arguments give the same frames.
    """
    prof = recording_profile(profile, fps=fps, **overrides)
    if minutes is not None and seconds is not None:
        raise ConfigError("give minutes or seconds, not both")
    if seconds is None:
        seconds = 60.0 * minutes if minutes is not None else prof.calibration.video_length_s[3]
    if not seconds > 0:
        raise ConfigError(f"a recording must last more than 0 s, got {seconds} s")
    n_frames = max(1, int(round(seconds * prof.fps)))
    rng = np.random.default_rng([int(seed), int(subject_index), int(video_index), 0x10C])
    plan = plan_recording(prof, n_frames, rng)
    identity = make_identity(int(subject_index), int(seed), PERSON_SIZE)
    return LongRecording(prof, plan, identity, rng, subject or f"s{subject_index + 1:02d}",
                         video or f"v{video_index + 1:02d}", dataset)


# ----------------------------------------------------------------------------------- on disk
def _write_mp4(path: Path, recording: LongRecording) -> None:
    import cv2

    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), float(recording.fps), recording.frame_size)
    if not writer.isOpened():
        raise DataError("OpenCV cannot open an mp4v video writer here", path)
    try:
        for frame in recording.frames("bgr"):
            writer.write(frame)
    except BaseException:
        writer.release()
        tmp.unlink(missing_ok=True)
        raise
    writer.release()
    os.replace(tmp, path)


def _write_frames(path: Path, recording: LongRecording) -> None:
    import cv2

    if path.exists() and (not path.is_dir() or any(not (p.suffix == ".jpg" and p.stem.isdigit())
                                                   for p in path.iterdir())):
        raise ConfigError(f"{path} exists and is not a folder of frames 0.jpg, 1.jpg, …; choose a new path")
    tmp = path.with_name(f".{path.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    quality = [cv2.IMWRITE_JPEG_QUALITY, int(recording.profile.jpeg_quality)]
    try:
        for i, frame in enumerate(recording.frames("bgr")):
            ok, buf = cv2.imencode(".jpg", frame, quality)
            if not ok:
                raise DataError("JPEG encoding failed", tmp / f"{i}.jpg")
            (tmp / f"{i}.jpg").write_bytes(buf.tobytes())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.exists():
        shutil.rmtree(path)
    os.replace(tmp, path)


def write_recording(path: str | Path, recording: LongRecording | None = None, **simulate_kwargs) -> pd.DataFrame:
    """Write ``recording`` (or the one :func:`simulate_recording` makes from ``simulate_kwargs``)
    and return its ground-truth intervals (frames numbered from 0).

    ``path`` ending in ``.mp4``: a video (OpenCV, codec ``mp4v``); a path without a suffix: a
    folder of JPEG frames ``0.jpg, 1.jpg, …`` (CAS(ME)^3's numbering). Frames are streamed to disk.
    """
    if recording is None:
        recording = simulate_recording(**simulate_kwargs)
    elif simulate_kwargs:
        raise ConfigError(f"give a recording or settings to simulate one, not both (got {sorted(simulate_kwargs)})")
    path = Path(path)
    if path.suffix.lower() == ".mp4":
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_mp4(path, recording)
    elif path.suffix == "":
        _write_frames(path, recording)
    else:
        raise ConfigError(f"{path}: write an .mp4 video or a frame folder (a path without a suffix)")
    return recording.intervals
