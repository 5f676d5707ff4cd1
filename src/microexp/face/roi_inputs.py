"""Paper 001's "ROI" input: the face divided into its 15 regions, as one mirror-consistent mosaic.

Paper 001 (sec. 3.2) compares the full face with the face divided into 15 expression-related regions
(Kato's segmentation, :mod:`.rois`). A network needs one tensor, so the regions are cut out, each
resized to ``tile × tile``, and laid out anatomically on a 5 × 3 grid (rows top to bottom, columns
image-left | centre | image-right)::

    left_eyebrow        forehead  right_eyebrow
    left_eye            glabella  right_eye
    left_cheek          nose      right_cheek
    left_nasolabial     mouth     right_nasolabial
    left_mouth_corner   chin      right_mouth_corner

Mirroring the mosaic left-right swaps each left region with its right twin and mirrors every tile,
which is the mosaic of the mirrored face: the usual horizontal-flip augmentation (for flows, with
``u → 1 − u``) stays valid on it.

:func:`attach_roi_inputs` adds ``face_rois`` (uint8 ``(5·tile, 3·tile, 3)``) and ``flow_rois``
(float ``(3, 5·tile, 3·tile)``) array kinds to a sample table with apex faces. Landmarks are found
once per apex face (dlib 68 points inside the detected, or fallback, face box). For the flows the
apex face's landmarks are rescaled to the flow's size, which assumes the flow image and the apex
face are crops of the same face region: true of the MEGC2019 composite as circulated, where the
two are computed from the same cropped frames (checked by eye on samples of each database).
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from ..datasets.samples import SampleTable
from ..errors import DataError
from .rois import facial_rois

#: The mosaic: rows top to bottom, columns image-left | centre | image-right.
ROI_MOSAIC = (
    ("left_eyebrow", "forehead", "right_eyebrow"),
    ("left_eye", "glabella", "right_eye"),
    ("left_cheek", "nose", "right_cheek"),
    ("left_nasolabial", "mouth", "right_nasolabial"),
    ("left_mouth_corner", "chin", "right_mouth_corner"),
)
#: Tile sides used by :func:`attach_roi_inputs`: 16 px per face region (an 80 × 48 mosaic), 8 per flow region.
FACE_TILE, FLOW_TILE = 16, 8


def roi_mosaic(image: np.ndarray, landmarks: np.ndarray, tile: int) -> np.ndarray:
    """``image`` (H, W[, C]) divided into the 15 regions of ``landmarks`` (68, 2), as a (5·tile, 3·tile[, C]) mosaic.

    Each region is resized with area averaging when it shrinks and bilinearly when it grows; the
    output keeps the image's dtype and channels.
    """
    import cv2

    image = np.asarray(image)
    if image.ndim not in (2, 3) or min(image.shape[:2]) < 2:
        raise DataError(f"image must be (H, W) or (H, W, C) with H, W >= 2; got {image.shape}")
    if tile < 1:
        raise DataError(f"tile must be >= 1 pixel; got {tile}")
    boxes = facial_rois(landmarks, image.shape)
    rows = []
    for names in ROI_MOSAIC:
        tiles = []
        for name in names:
            x0, y0, x1, y1 = boxes[name]
            crop = image[y0:y1, x0:x1]
            shrink = crop.shape[0] >= tile and crop.shape[1] >= tile
            interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            tiles.append(cv2.resize(crop, (tile, tile), interpolation=interp).reshape(tile, tile, *image.shape[2:]))
        rows.append(np.concatenate(tiles, axis=1))
    return np.concatenate(rows, axis=0)


def apex_face_landmarks(faces: np.ndarray) -> np.ndarray:
    """(N, 68, 2) landmarks of apex faces (N, H, W, 3) uint8, each in its detected (or fallback) face box.

    Apex faces are face crops already, so where no detector pass finds a face the whole image is
    taken as the face box.
    """
    from ..errors import FaceNotFoundError
    from .detection import find_face
    from .landmarks import landmarks_68

    out = []
    for f in faces:
        try:
            box = find_face(f, fallback=True).box
        except FaceNotFoundError:
            box = (0, 0, f.shape[1], f.shape[0])
        out.append(landmarks_68(f, box))
    return np.stack(out).astype(np.float32)


def _row_index(row: pd.Series, keys: dict) -> int:
    # by sample, not position: a subset of the table still finds its own rows
    return keys[(row["subject"], row["clip"])]


def _face_mosaic(row: pd.Series, i: int, *, faces: np.ndarray, landmarks: np.ndarray, keys: dict,
                 tile: int) -> np.ndarray:
    k = _row_index(row, keys)
    return roi_mosaic(faces[k], landmarks[k], tile)


def _flow_mosaic(row: pd.Series, i: int, *, flows: np.ndarray, landmarks: np.ndarray, keys: dict,
                 face_size: tuple[int, int], tile: int) -> np.ndarray:
    k = _row_index(row, keys)
    flow = flows[k]                                    # (C, h, w) float
    h, w = flow.shape[1:]
    scaled = landmarks[k] * np.array([w / face_size[1], h / face_size[0]], dtype=np.float32)
    return np.ascontiguousarray(roi_mosaic(flow.transpose(1, 2, 0), scaled, tile).transpose(2, 0, 1))


def attach_roi_inputs(table: SampleTable, *, face_tile: int = FACE_TILE, flow_tile: int = FLOW_TILE,
                      landmarks: np.ndarray | None = None) -> SampleTable:
    """A copy of ``table`` that can also load ``face_rois`` and (when it has flows) ``flow_rois``.

    ``landmarks`` (N, 68, 2) in apex-face pixels may be given (e.g. cached); otherwise they are
    found on the apex faces. The table must have ``face`` arrays.
    """
    if "face" not in table.kinds:
        raise DataError(f"ROI inputs need apex faces; table {table.name!r} has only {table.kinds}")
    faces = table.arrays("face")
    if faces.ndim != 4 or faces.dtype != np.uint8:
        raise DataError(f"apex faces must be (N, H, W, C) uint8; got {faces.shape} {faces.dtype}")
    if landmarks is None:
        landmarks = apex_face_landmarks(faces)
    landmarks = np.asarray(landmarks, dtype=np.float32)
    if landmarks.shape != (len(table), 68, 2):
        raise DataError(f"landmarks must be ({len(table)}, 68, 2); got {landmarks.shape}")
    # no ``sources`` entry: a mosaic depends on two files and the landmarks, so a run's identity
    # hashes the mosaics themselves
    loaders = dict(table.loaders)
    keys = {(r["subject"], r["clip"]): i for i, r in table.df.iterrows()}
    loaders["face_rois"] = partial(_face_mosaic, faces=faces, landmarks=landmarks, keys=keys, tile=face_tile)
    if "flow" in table.kinds:
        loaders["flow_rois"] = partial(_flow_mosaic, flows=table.arrays("flow"), landmarks=landmarks, keys=keys,
                                       face_size=faces.shape[1:3], tile=flow_tile)
    return SampleTable(table.df.copy(), table.classes, loaders, table.name, dict(table.sources))
