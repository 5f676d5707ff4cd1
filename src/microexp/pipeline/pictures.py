"""Pictures for checking preprocessing by eye: HSV flow, landmarks with ROIs, ARS/RRS.

Every picture is an RGB uint8 panel; inputs are a frame folder, a video, one image (landmarks
only) or a clip's ``.npz`` written by :func:`microexp.pipeline.preprocess.preprocess_dataset`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from ..io import read_image

PICTURE_KINDS = ("flow", "landmarks", "ars")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
#: Pixels of white between panel tiles.
GAP = 2


def panel(tiles: list[np.ndarray], height: int | None = None) -> np.ndarray:
    """Tiles (gray or RGB uint8) side by side at one height, separated by :data:`GAP` white pixels."""
    import cv2

    height = height or max(t.shape[0] for t in tiles)
    out = []
    for t in tiles:
        t = np.asarray(t)
        if t.ndim == 2:
            t = np.repeat(t[:, :, None], 3, axis=2)
        if t.shape[0] != height:
            t = cv2.resize(t, (round(t.shape[1] * height / t.shape[0]), height), interpolation=cv2.INTER_NEAREST)
        out += [t.astype(np.uint8), np.full((height, GAP, 3), 255, np.uint8)]
    return np.concatenate(out[:-1], axis=1)


def _clip_frames(path: Path, onset, apex, offset) -> tuple[list[np.ndarray], int]:
    from ..datasets.video import load_video

    row = load_video(path, onset, apex, offset).df.iloc[0]
    paths = row["frame_paths"]
    if len(paths) < 2:
        raise DataError("a clip needs at least two frames (onset and apex)", path)
    return [read_image(p, "rgb") for p in paths], int(row["apex"]) - int(row["onset"])


def _landmarks_picture(image: np.ndarray) -> np.ndarray:
    from ..face import draw_landmarks, facial_rois, landmarks_68

    pts = landmarks_68(image)
    return draw_landmarks(image, pts, facial_rois(pts, image.shape), label_rois=False)


def _from_arrays(kind: str, arrays: dict) -> np.ndarray:
    from ..face import draw_landmarks, facial_rois
    from ..motion import flow_to_hsv_image, scalar_to_image

    if kind == "flow":
        if "flow" not in arrays:
            raise DataError("no flow was computed for this clip (preprocess with --features flow)")
        tiles = [arrays["apex_face"], flow_to_hsv_image(arrays["flow"])]
        if "strain" in arrays:
            tiles.append(scalar_to_image(arrays["strain"]))
        return panel(tiles)
    if kind == "ars":
        missing = [k for k in ("ars", "rrs") if k not in arrays]
        if missing:
            raise DataError(f"no {'/'.join(missing)} computed for this clip (preprocess with --features ars,rrs)")
        return panel([arrays["apex_face"], arrays["ars"], arrays["rrs"]])
    face, pts = arrays["apex_face"], arrays["landmarks"]
    return draw_landmarks(face, pts, facial_rois(pts, face.shape))


def make_picture(kind: str, source: str | Path, *, onset: int | None = None, apex: int | None = None,
                 offset: int | None = None, size: int = 128, method: str = "tvl1") -> np.ndarray:
    """The ``kind`` picture (``flow``, ``landmarks``, ``ars``) of ``source`` as RGB uint8.

    flow: apex face | HSV flow (hue = direction, brightness = magnitude) | optical strain;
    landmarks: the 68 points and 15 ROIs (on the image, the apex frame of a clip, or the aligned
    apex face of an ``.npz``); ars: apex face | ARS | RRS (paper 003).
    """
    from .clip_features import compute_clip_features

    if kind not in PICTURE_KINDS:
        raise ConfigError(f"unknown picture {kind!r}; choose from {PICTURE_KINDS}")
    source = Path(source)
    if not source.exists():
        raise DataError("input does not exist", source)
    if source.suffix == ".npz":
        try:
            with np.load(source) as data:
                return _from_arrays(kind, {k: data[k] for k in data.files})
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read ({exc})", source) from exc
    if source.is_file() and source.suffix.lower() in IMAGE_SUFFIXES:
        if kind != "landmarks":
            raise ConfigError(f"a {kind} picture needs a clip (frame folder, video or .npz), not one image")
        return _landmarks_picture(read_image(source, "rgb"))
    frames, apex_index = _clip_frames(source, onset, apex, offset)
    if kind == "landmarks":
        return _landmarks_picture(frames[apex_index])
    features = ("flow", "strain") if kind == "flow" else ("ars", "rrs")
    arrays = compute_clip_features(frames, apex_index, features=features, size=size, method=method)
    return _from_arrays(kind, arrays)
