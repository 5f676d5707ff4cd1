"""The learned AU animator (displacement + attention + colour, taught by the simulator), the face
embedding that checks identity, and the AU-transfer benchmark's report."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from microexp.augment.famgan.learned_animator import (AnimatorNet, LearnedAUAnimator, animator_pairs,
                                                      landmark_planes, train_animator, warp_tensor)
from microexp.errors import DataError
from microexp.simulate import make_identity
from microexp.simulate.action_units import FLIP_68

torch.set_num_threads(1)
AUS = ("AU1", "AU4", "AU12", "AU15")


def test_landmark_planes_peak_on_their_group():
    lms = np.tile([[10.0, 40.0]], (68, 1))
    lms[48:68] = [50.0, 20.0]  # the mouth elsewhere
    planes = landmark_planes(lms, 64)
    assert planes.shape == (5, 64, 64)
    mouth, jaw = planes[4], planes[0]
    assert np.unravel_index(mouth.argmax(), mouth.shape) == (20, 50) and mouth.max() == pytest.approx(1.0)
    assert np.unravel_index(jaw.argmax(), jaw.shape) == (40, 10) and mouth[40, 10] < 1e-6
    with pytest.raises(DataError, match="68, 2"):
        landmark_planes(np.zeros((5, 2)), 64)


def test_warp_tensor_samples_at_the_displaced_pixel():
    image = torch.arange(64, dtype=torch.float32).reshape(1, 1, 8, 8)
    same = warp_tensor(image, torch.zeros(1, 2, 8, 8))
    assert torch.allclose(same, image)
    shift = torch.zeros(1, 2, 8, 8)
    shift[:, 0] = 1.0  # one pixel to the right: out(x) = in(x + 1)
    moved = warp_tensor(image, shift)
    assert torch.allclose(moved[..., :-1], image[..., 1:])


def _faces(n=2):
    return [(make_identity(300 + i, 0).image, make_identity(300 + i, 0).landmarks) for i in range(n)]


def test_pairs_move_only_when_an_au_is_set_and_on_its_side():
    pairs = animator_pairs(_faces(1), 12, AUS, size=48, seed=1, neutral_fraction=0.3)
    assert pairs.neutral.shape == (12, 48, 48, 3) and pairs.cond.shape == (12, 8) and pairs.planes.shape == (12, 5, 48, 48)
    still = pairs.cond.sum(1) == 0
    assert still.any() and (~still).any()
    assert np.array_equal(pairs.neutral[still], pairs.expressive[still]) and not pairs.displacement[still].any()
    moved = np.abs(pairs.displacement[~still]).reshape((~still).sum(), -1).max(1)
    assert (moved > 0.05).all()
    # the conditions are the sides' AUs: left then right, each the setting scaled by its side
    left, right = pairs.cond[:, :4], pairs.cond[:, 4:]
    both = (left.sum(1) > 0) & (right.sum(1) > 0)
    assert both.any()
    assert np.array_equal(left[both] > 0, right[both] > 0)
    assert np.allclose(left[both] * right[both].sum(1, keepdims=True), right[both] * left[both].sum(1, keepdims=True),
                       atol=1e-5)


def test_a_left_side_au_moves_the_image_right_half():
    """The subject's left is the image's right: what the side conditions mean in the pairs."""
    from microexp.augment.famgan.learned_animator import _crop
    from microexp.simulate.warping import expression_field

    image, lms = _faces(1)[0]
    _, crop_lms, _ = _crop(image, lms, 48)
    left_only = expression_field((48, 48), crop_lms, {"L12": 1.5})
    mid = int(round(crop_lms[27:31, 0].mean()))
    assert np.abs(left_only[:, mid + 3:]).sum() > 20 * np.abs(left_only[:, :mid - 3]).sum()


def test_mirroring_a_face_mirrors_its_displacement_with_the_sides_swapped():
    """The training flips faces and swaps the sides' AUs: valid only if the simulator agrees."""
    from microexp.augment.famgan.learned_animator import _crop
    from microexp.simulate.warping import expression_field

    image, lms = _faces(1)[0]
    crop, c_lms, _ = _crop(image, lms, 64)
    mirrored = c_lms[list(FLIP_68)].copy()
    mirrored[:, 0] = 64 - 1 - mirrored[:, 0]
    field = expression_field((64, 64), c_lms, {"L12": 1.2, "R4": 0.8})
    field_m = expression_field((64, 64), mirrored, {"R12": 1.2, "L4": 0.8})
    unswapped = expression_field((64, 64), mirrored, {"L12": 1.2, "R4": 0.8})
    expected = field[:, ::-1] * np.array([-1.0, 1.0])
    # a face is not exactly symmetric: about 20 % apart, against about 180 % with the sides left as they were
    error = np.abs(field_m - expected).mean() / np.abs(field).mean()
    assert error < 0.3 and np.abs(unswapped - expected).mean() / np.abs(field).mean() > 4 * error


@pytest.mark.parametrize("guided", [False, True])
def test_training_learns_the_displacement_and_the_file_round_trips(tmp_path, guided):
    pairs = animator_pairs(_faces(2), 10, AUS, size=32, seed=0, guided=guided)
    assert pairs.planes.shape[1] == (10 if guided else 5)
    animator = train_animator(pairs, steps=60, batch_size=8, width=8, lr=3e-3)
    first, last = animator.history[0], animator.history[-1]
    assert last["displacement_l1"] < 0.8 * first["displacement_l1"]
    image, lms = _faces(1)[0]
    out = animator(image, lms, {"AU12": 1.0}, {"AU12": 1.0})
    assert out.shape == image.shape and out.dtype == np.uint8
    grey = animator(image.mean(2).astype(np.uint8), lms, {"AU12": 1.0}, {})
    assert grey.shape == image.shape[:2]
    path = tmp_path / "animator.pt"
    path.write_bytes(animator.to_bytes())
    again = LearnedAUAnimator.load(path)
    assert again.guided == guided
    assert np.array_equal(again(image, lms, {"AU12": 1.0}, {"AU12": 1.0}), out)
    torch.save({"format": "something else"}, tmp_path / "other.pt")
    with pytest.raises(DataError, match="not a microexp AU animator"):
        LearnedAUAnimator.load(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(DataError, match="cannot read"):
        LearnedAUAnimator.load(tmp_path / "junk.pt")


def test_untrained_animator_copies_its_input():
    net = AnimatorNet(cond_dim=8, width=8).eval()
    animator = LearnedAUAnimator(net, AUS, size=32, width=8)
    image, lms = _faces(1)[0]
    out = animator(image, lms, {"AU12": 1.5}, {"AU12": 1.5})
    assert np.abs(out.astype(int) - image).mean() < 1.5


def test_face_embedding_tells_people_apart_and_survives_an_expression():
    from microexp.face.embedding import SAME_PERSON_DISTANCE, embedding_distance, face_embedding
    from microexp.simulate.warping import warp_face_by_aus

    a, b = make_identity(0, 0), make_identity(1, 0)
    ea = face_embedding(a.image, a.landmarks)
    smiling = warp_face_by_aus(a.image, a.landmarks, {"AU12": 1.5, "AU6": 1.0})
    assert ea.shape == (128,)
    same, other = embedding_distance(ea, face_embedding(smiling, a.landmarks)), embedding_distance(
        ea, face_embedding(b.image, b.landmarks))
    assert same < SAME_PERSON_DISTANCE / 2 and other > 2 * same
    with pytest.raises(DataError, match="68, 2"):
        face_embedding(a.image, a.landmarks[:5])


def test_au_transfer_benchmark_reports_both_generators(load_benchmark, tmp_path, capsys):
    bench = load_benchmark("au_transfer")
    out = tmp_path / "run"
    summary = bench.main(["--clips", "2", "--calibration-identities", "2", "--calibration-clips", "3",
                          "--animator-identities", "2", "--animator-real-faces", "0", "--animator-samples", "4",
                          "--animator-steps", "2", "--root", str(tmp_path / "absent"),
                          "--casme2-sample", str(tmp_path / "absent"), "--deltas", "0", "--threads", "1",
                          "--out", str(out)])
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line == json.loads(json.dumps(summary))
    for name in ("warp", "learned"):
        res = line[name]
        assert set(res) >= {"r_synthetic", "r_real", "identity_distance", "face_rate"}
        assert res["targets_synthetic"] == 2 and res["targets_real"] == 0 and res["r_real"] is None
        assert isinstance(res["r_synthetic"], float) and res["identity_distance"] > 0
    assert (out / "animator.pt").is_file() and (out / "apex_strip_learned_synthetic.png").is_file()
    per_clip = (out / "per_clip.csv").read_text().splitlines()
    assert len(per_clip) == 1 + 2 * 2
    with pytest.raises(Exception, match="generators"):
        bench.main(["--generators", "warp,magic", "--out", str(tmp_path / "bad")])


def test_motion_planes_show_where_the_au_geometry_moves_each_part():
    from microexp.augment.famgan.learned_animator import input_planes

    image, lms = _faces(1)[0]
    from microexp.augment.famgan.learned_animator import _crop

    _, c_lms, _ = _crop(image, lms, 64)
    still = input_planes(c_lms, 64, {}, guided=True)
    smile = input_planes(c_lms, 64, {"L12": 1.5, "R12": 1.5}, guided=True)
    assert still.shape == (10, 64, 64) and not still[5:].any()
    assert np.array_equal(smile[:5], still[:5])
    motion = np.abs(smile[5:]).reshape(5, -1).sum(1)
    assert motion.argmax() == 4 and motion[4] > 5 * motion[1]  # the mouth moves, the brows hardly
    assert input_planes(c_lms, 64, {"L12": 1.5}).shape == (5, 64, 64)
