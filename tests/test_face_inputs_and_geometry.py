"""Face functions on synthetic inputs: bad inputs, alignment maths, crops, ROIs, eye masks."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.errors import DataError, FaceNotFoundError
from microexp.face import (ROI_NAMES, FaceAligner, align_clip, apply_transform, crop_face, detect_face,
                           draw_landmarks, facial_rois, landmarks_68, landmarks_plausible, mask_eyes,
                           roi_mask, similarity_transform)
from microexp.face.alignment import TEMPLATE_FRACTIONS
from microexp.face.landmarks import LEFT_EYE, OUTER_LIPS, RIGHT_EYE


def synthetic_landmarks(cx: float = 100.0, cy: float = 110.0, scale: float = 1.0) -> np.ndarray:
    """A face-like 68-point layout (dlib order) built from simple curves."""
    s = scale
    pts = np.zeros((68, 2), dtype=np.float32)
    t = np.linspace(-1, 1, 17)
    pts[0:17] = np.c_[cx + 60 * s * t, cy - 10 * s + 60 * s * np.sqrt(1 - t ** 2)]  # jaw: a half ellipse
    pts[17:22] = np.c_[cx - 45 * s + 8 * s * np.arange(5), np.full(5, cy - 45 * s)]
    pts[22:27] = np.c_[cx + 13 * s + 8 * s * np.arange(5), np.full(5, cy - 45 * s)]
    pts[27:31] = np.c_[np.full(4, cx), cy - 30 * s + 8 * s * np.arange(4)]
    pts[31:36] = np.c_[cx - 10 * s + 5 * s * np.arange(5), np.full(5, cy + 5 * s)]
    ring = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    pts[36:42] = np.c_[cx - 25 * s + 9 * s * np.cos(ring), cy - 30 * s + 4 * s * np.sin(ring)]
    pts[42:48] = np.c_[cx + 25 * s + 9 * s * np.cos(ring), cy - 30 * s + 4 * s * np.sin(ring)]
    lips = np.linspace(np.pi, -np.pi, 12, endpoint=False)
    pts[48:60] = np.c_[cx + 20 * s * np.cos(lips), cy + 25 * s + 7 * s * np.sin(lips)]
    inner = np.linspace(np.pi, -np.pi, 8, endpoint=False)
    pts[60:68] = np.c_[cx + 14 * s * np.cos(inner), cy + 25 * s + 3 * s * np.sin(inner)]
    return pts


@pytest.mark.parametrize("bad, fragment", [
    (None, "None"),
    (np.zeros((0, 0), np.uint8), "empty"),
    (np.zeros((20, 20), np.float32), "dtype"),
    (np.zeros((4, 20, 20), np.uint8), "shape"),
    (np.zeros((20, 20, 2), np.uint8), "shape"),
])
def test_bad_images_raise_clear_data_errors(bad, fragment):
    for call in (lambda: detect_face(bad), lambda: landmarks_68(bad, (0, 0, 10, 10)),
                 lambda: crop_face(bad, synthetic_landmarks(), 32)):
        with pytest.raises(DataError, match=fragment):
            call()


def test_bad_landmarks_raise():
    img = np.zeros((50, 50), np.uint8)
    with pytest.raises(DataError, match=r"\(68, 2\)"):
        crop_face(img, np.zeros((5, 2)), 32)
    with pytest.raises(DataError, match="NaN"):
        facial_rois(np.full((68, 2), np.nan))


def test_blank_image_without_fallback_raises_face_not_found():
    with pytest.raises(FaceNotFoundError):
        detect_face(np.full((120, 120), 128, np.uint8), fallback=False)
    # with fallback, a blank frame has no face evidence, so even the whole-frame pass refuses it
    with pytest.raises(FaceNotFoundError, match="no face found"):
        detect_face(np.full((120, 100), 128, np.uint8))


def test_similarity_transform_recovers_known_transform():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (6, 2))
    angle, scale, shift = 0.3, 1.7, np.array([5.0, -8.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = scale * src @ rot.T + shift
    m = similarity_transform(src, dst)
    np.testing.assert_allclose(m[:, :2], scale * rot, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-9)
    np.testing.assert_allclose(apply_transform(src, m), dst, atol=1e-4)


def test_align_clip_uses_one_transform_and_maps_anchors_to_template():
    lm = synthetic_landmarks()
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 255, (3, 200, 220), dtype=np.uint8)
    clip = align_clip(frames, size=64, landmarks=lm)
    assert clip.frames.shape == (3, 64, 64) and clip.frames.dtype == np.uint8
    assert clip.landmarks.shape == (68, 2)
    anchors = np.stack([clip.landmarks[LEFT_EYE].mean(0), clip.landmarks[RIGHT_EYE].mean(0),
                        clip.landmarks[OUTER_LIPS].mean(0)])
    # eyes level and symmetric in the crop; anchors close to the template (3 points, 4 dof)
    assert abs(anchors[0, 1] - anchors[1, 1]) < 1e-3
    np.testing.assert_allclose(anchors, TEMPLATE_FRACTIONS * 64, atol=3.0)
    # the same transform on every frame: warping frame 2 alone gives the same pixels
    again = FaceAligner(size=64).fit(frames[0], lm).warp(frames[2])
    np.testing.assert_array_equal(again, clip.frames[2])


def test_align_clip_rejects_bad_clips():
    lm = synthetic_landmarks()
    with pytest.raises(DataError, match="empty"):
        align_clip([], landmarks=lm)
    with pytest.raises(DataError, match="differ"):
        align_clip([np.zeros((50, 50), np.uint8), np.zeros((60, 50), np.uint8)], landmarks=lm)
    with pytest.raises(DataError, match="ref_index"):
        align_clip([np.zeros((50, 50), np.uint8)], ref_index=3, landmarks=lm)


def test_crop_face_shape_and_border_handling():
    lm = synthetic_landmarks(cx=20, cy=30)  # face partly outside the image
    img = np.random.default_rng(2).integers(0, 255, (120, 100, 3), dtype=np.uint8)
    out = crop_face(img, lm, 48)
    assert out.shape == (48, 48, 3) and out.dtype == np.uint8


def test_facial_rois_are_the_15_named_boxes_in_face_order():
    lm = synthetic_landmarks()
    rois = facial_rois(lm)
    assert tuple(rois) == ROI_NAMES and len(rois) == 15
    for x0, y0, x1, y1 in rois.values():
        assert x1 > x0 and y1 > y0
    centre_y = {k: (b[1] + b[3]) / 2 for k, b in rois.items()}
    centre_x = {k: (b[0] + b[2]) / 2 for k, b in rois.items()}
    assert centre_y["forehead"] < centre_y["left_eyebrow"] < centre_y["left_eye"] < centre_y["left_cheek"]
    assert centre_y["nose"] < centre_y["mouth"] < centre_y["chin"]
    assert centre_x["left_eye"] < centre_x["nose"] < centre_x["right_eye"]
    clipped = facial_rois(lm, (60, 60))
    assert all(0 <= b[0] < b[2] <= 60 and 0 <= b[1] < b[3] <= 60 for b in clipped.values())
    assert roi_mask((200, 220), lm).any()


def test_mask_eyes_only_touches_the_eyes():
    lm = synthetic_landmarks()
    img = np.full((200, 220), 200, np.uint8)
    out = mask_eyes(img, lm)
    changed = out != img
    assert changed.any()
    ys, xs = np.nonzero(changed)
    assert ys.max() < lm[33, 1]  # nothing below the nose base
    assert img.min() == 200  # input untouched


def test_landmarks_plausible_and_drawing():
    lm = synthetic_landmarks()
    assert landmarks_plausible(lm, (200, 220), min_spread=0.3)
    assert not landmarks_plausible(lm[::-1].copy())  # scrambled order
    flipped = lm.copy()
    flipped[:, 1] = 220 - flipped[:, 1]  # upside-down face
    assert not landmarks_plausible(flipped)
    drawn = draw_landmarks(np.zeros((200, 220), np.uint8), lm, facial_rois(lm))
    assert drawn.shape == (200, 220, 3) and drawn.any()


def test_non_faces_raise_face_not_found():
    import numpy as np
    import pytest

    from microexp.errors import FaceNotFoundError
    from microexp.face import find_face

    rng = np.random.default_rng(0)
    grey = np.full((224, 224, 3), 128, np.uint8)
    noise = rng.integers(0, 255, (224, 224, 3), dtype=np.uint8)
    gradient = np.tile(np.linspace(0, 255, 224).astype(np.uint8)[None, :, None], (224, 1, 3))
    for img in (grey, noise, gradient):
        with pytest.raises(FaceNotFoundError, match="no face found"):
            find_face(img)
