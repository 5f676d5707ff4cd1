"""Faces and motion on real frames from ../shared/data (skipped when it is absent).

Writes pictures for checking by eye to runs/tests/faces_and_motion/.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from microexp.face import align_clip, draw_landmarks, facial_rois, find_face, landmarks_68, landmarks_plausible
from microexp.io import atomic_write_image, read_image
from microexp.motion import clip_motion, encode_composite, flow_to_hsv_image, scalar_to_image

OUT = Path(__file__).resolve().parents[1] / "runs" / "tests" / "faces_and_motion"

#: MEGC2019 apex crops on which dlib's HOG detector, run as it is, finds no face.
HOG_MISSES = ("sub17_EP01_06.jpg", "s03_s3_sur_01.jpg", "010_010_2_1.jpg")


def test_casme2_sample_faces_alignment_flow_and_strain(shared_data):
    paths = [shared_data / "casme2-sample" / f"{i:03d}.jpg" for i in range(1, 11)]
    frames = [read_image(p, mode="rgb") for p in paths]

    all_landmarks = []
    for frame in frames:
        found = find_face(frame)
        landmarks = landmarks_68(frame, found.box)
        assert landmarks_plausible(landmarks, frame.shape, min_spread=0.4), found
        all_landmarks.append(landmarks)
    assert len(all_landmarks) == 10
    # ten consecutive frames of a still subject: the eyes and nose barely move
    drift = np.abs(all_landmarks[-1][27:48] - all_landmarks[0][27:48]).mean()
    assert drift < 4.0

    clip = align_clip(frames, size=128, landmarks=all_landmarks[0])
    assert clip.frames.shape == (10, 128, 128, 3)
    inner = clip.landmarks[17:]  # brows, eyes, nose, mouth (the jaw may leave a tight crop)
    assert (inner >= 0).all() and (inner <= 128).all()
    assert clip.valid.shape == (128, 128) and clip.valid.mean() > 0.7

    motion = clip_motion(frames, onset_idx=0, apex_idx=9, size=128, landmarks=all_landmarks[0])
    flow, strain = motion["flow"], motion["strain"]
    assert flow.shape == (128, 128, 2) and strain.shape == (128, 128)
    assert np.isfinite(flow).all() and (strain >= 0).all()
    # a micro-movement: sub-pixel to a few pixels, not a tracking failure
    assert 0.01 < np.hypot(flow[..., 0], flow[..., 1]).mean() < 3.0

    rois = facial_rois(all_landmarks[0], frames[0].shape)
    atomic_write_image(OUT / "casme2_landmarks_rois.png", draw_landmarks(frames[0], all_landmarks[0], rois))
    atomic_write_image(OUT / "casme2_aligned_1_to_10.png", np.hstack(list(clip.frames)))
    atomic_write_image(OUT / "casme2_flow_1_to_10.png", flow_to_hsv_image(flow))
    atomic_write_image(OUT / "casme2_strain_1_to_10.png", scalar_to_image(strain))
    atomic_write_image(OUT / "casme2_composite_1_to_10.png", encode_composite(flow, strain, size=28))
    assert (OUT / "casme2_flow_1_to_10.png").stat().st_size > 0


def test_large_frames_are_detected_on_a_shrunk_copy(shared_data):
    import cv2

    frame = read_image(shared_data / "casme2-sample" / "001.jpg", mode="gray")
    big = cv2.resize(frame, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)  # 840x1020 > 640
    small_box = np.array(find_face(frame).box, float)
    big_found = find_face(big)
    assert big_found.strategy == "hog"
    assert np.abs(np.array(big_found.box) / 3 - small_box).max() < 0.08 * (small_box[2] - small_box[0])


def test_circulated_composite_decodes_to_u_v_strain(megc2019_root):
    from microexp.motion import decode_composite

    path = sorted((megc2019_root / "datasets" / "STSNet_whole_norm_u_v_os").glob("*.png"))[0]
    channels = decode_composite(read_image(path, mode="rgb"))
    assert channels.shape == (3, 28, 28)
    assert np.allclose(channels.reshape(3, -1).min(1), 0) and np.allclose(channels.reshape(3, -1).max(1), 1)
    # strain is a magnitude concentrated in few pixels: its mean sits far below u's and v's
    assert channels[2].mean() < min(channels[0].mean(), channels[1].mean())


def test_tight_crops_missed_by_plain_hog_get_plausible_landmarks(megc2019_root):
    from microexp.face import FaceNotFoundError, detect_face

    face_dir = megc2019_root / "datasets" / "combined_datasets_whole"
    for name in HOG_MISSES:
        image = read_image(face_dir / name, mode="rgb")
        try:
            detect_face(image, fallback=False)
            raise AssertionError(f"{name}: expected plain HOG to miss this crop")
        except FaceNotFoundError:
            pass
        found = find_face(image)
        assert found.strategy != "hog"
        assert landmarks_plausible(landmarks_68(image, found.box), image.shape, min_spread=0.4), (name, found)
