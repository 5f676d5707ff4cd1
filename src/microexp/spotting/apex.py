"""Spot the apex of one clip: ``spot_apex(frames, onset, offset, method) -> (index, curve)``.

``method`` is ``"baseline"`` (training-free peak of onset→frame flow magnitude),
``"baseline_strain"`` (the same on optical strain), a fitted :class:`IntensityRegressor`, or the
path of a saved one. Loaders of databases without an apex (SMIC, user videos) take
``apex_spotter(...)`` as their ``apex_from=`` hook.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import DataError
from .baseline import baseline_curve, compensate_head_motion
from .decoders import SW_MAX_WINDOW, decode_apex
from .flow_features import DEFAULT_FLOW_SIZE, DEFAULT_INPUT_SIZE, flow_images, onset_flows, to_gray_frames
from .regions import crop_clip_to_landmarks, eye_mask, nose_mask, scale_landmarks

BASELINE_METHODS = {"baseline": "magnitude", "baseline_strain": "strain"}


@dataclass
class FlowPreparation:
    """How a clip becomes flows: the same for training and spotting, so it is saved with a model."""

    flow_method: str = "farneback"
    flow_size: int = DEFAULT_FLOW_SIZE
    input_size: int = DEFAULT_INPUT_SIZE
    mask_eyes: bool = True
    compensate_head: bool = True
    crop_face: bool = True  # with landmarks: crop the clip to the face before computing flow

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PreparedClip:
    """Onset→frame flows ``(n, H, W, 2)`` of frames onset..offset (head motion removed if asked)
    and the eye mask ``(H, W)`` (None when eyes are kept)."""

    flows: np.ndarray
    eyes: np.ndarray | None
    onset: int
    offset: int


def prepare_clip(frames, onset: int = 0, offset: int | None = None, landmarks: np.ndarray | None = None,
                 prep: FlowPreparation | None = None) -> PreparedClip:
    """Frames ``(T, H, W[, 3])`` (+ optional ``(68, 2)`` landmarks of the onset frame, in the
    frames' pixels) → flows of the face."""
    prep = prep or FlowPreparation()
    arr = np.asarray(frames)
    if arr.ndim not in (3, 4) or arr.shape[0] < 1:
        raise DataError(f"expected frames shaped (T, H, W[, 3]), got {arr.shape}")
    offset = arr.shape[0] - 1 if offset is None else int(offset)
    if not 0 <= int(onset) <= offset < arr.shape[0]:
        raise DataError(f"onset {onset} / offset {offset} do not fit a clip of {arr.shape[0]} frames")
    arr = arr[int(onset):offset + 1]
    if landmarks is not None and prep.crop_face:
        arr, landmarks = crop_clip_to_landmarks(arr, landmarks, prep.flow_size)
    gray = to_gray_frames(arr, prep.flow_size)
    lm = None if landmarks is None else scale_landmarks(landmarks, arr.shape[1:3], gray.shape[1:])
    flows = onset_flows(gray, 0, None, prep.flow_method)
    if prep.compensate_head:
        flows = compensate_head_motion(flows, nose_mask(gray.shape[1:], lm))
    eyes = eye_mask(gray.shape[1:], lm) if prep.mask_eyes else None
    return PreparedClip(flows, eyes, int(onset), offset)


def regressor_inputs(clip: PreparedClip, prep: FlowPreparation | None = None) -> np.ndarray:
    """``(n, 3, S, S)`` regressor input of a prepared clip."""
    return flow_images(clip.flows, (prep or FlowPreparation()).input_size, exclude=clip.eyes)


def _load_method(method):
    from .regressor_training import IntensityRegressor

    if isinstance(method, (str, Path)) and str(method) not in BASELINE_METHODS:
        if Path(method).suffix in (".pt", ".pth") or Path(method).is_file():
            return IntensityRegressor.load(method)
        raise DataError(f"unknown spotting method {method!r}; use {sorted(BASELINE_METHODS)}, "
                        "a fitted IntensityRegressor or the path of a saved one")
    return method


def spot_apex(frames, onset: int = 0, offset: int | None = None, method="baseline", *,
              decoder: str = "sw_max", window: int = SW_MAX_WINDOW, landmarks: np.ndarray | None = None,
              prep: FlowPreparation | None = None) -> tuple[int, np.ndarray]:
    """Apex frame index (into ``frames``) and the ``(T,)`` intensity curve (0 outside onset..offset)."""
    method = _load_method(method)
    if prep is None:
        prep = FlowPreparation(**getattr(method, "preparation", {})) if not isinstance(method, str) else FlowPreparation()
    clip = prepare_clip(frames, onset, offset, landmarks, prep)
    if isinstance(method, str):
        inside = baseline_curve(clip.flows, BASELINE_METHODS[method], exclude=clip.eyes)
    else:
        inside = np.asarray(method.predict(regressor_inputs(clip, prep)), float)
    curve = np.zeros(len(frames))
    curve[clip.onset:clip.offset + 1] = inside
    return clip.onset + decode_apex(inside, decoder, window), curve


def apex_spotter(method="baseline", **kw) -> Callable[..., int]:
    """``f(frames, onset=0, offset=None) -> apex index``: the ``apex_from=`` hook for loaders."""
    method = _load_method(method)

    def spot(frames, onset: int = 0, offset: int | None = None) -> int:
        return spot_apex(frames, onset, offset, method, **kw)[0]

    return spot
