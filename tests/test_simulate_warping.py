"""Action units as landmark displacements, and the warp that puts them into an image."""
from __future__ import annotations

import numpy as np
import pytest

from microexp.errors import ConfigError
from microexp.simulate import AU_SPECS, au_displacements, make_identity, parse_au_key, warp_face_by_aus
from microexp.simulate.action_units import FLIP_68
from microexp.simulate.warping import expression_field, forward_positions

REQUIRED_AUS = ("AU1", "AU2", "AU4", "AU5", "AU6", "AU7", "AU9", "AU10", "AU12", "AU14", "AU15", "AU17",
                "AU20", "AU23", "AU24", "AU25", "AU26")


@pytest.fixture(scope="module")
def face():
    return make_identity(0, seed=0)


def test_required_action_units_are_modelled():
    assert set(REQUIRED_AUS) <= set(AU_SPECS)


def test_parse_au_key_reads_casme2_codes():
    assert parse_au_key("AU12") == ("AU12", None)
    assert parse_au_key("12") == ("AU12", None)
    assert parse_au_key("L10") == ("AU10", "L")
    assert parse_au_key("R2") == ("AU2", "R")
    with pytest.raises(ConfigError):
        parse_au_key("AU99")
    with pytest.raises(ConfigError):
        parse_au_key("smile")


def test_displacements_are_micro_and_mirror_symmetric(face):
    L = face.landmarks
    for au in REQUIRED_AUS:
        d = au_displacements(L, {au: 1.0})
        assert d.shape == (68, 2)
        peak = np.linalg.norm(d, axis=1).max()
        assert 0.5 < peak < 0.12 * face.iod, au  # a few pixels, not a macro-expression
    # AU12 pulls both lip corners outward and up, by mirror-equal amounts
    d = au_displacements(L, {"AU12": 1.0})
    assert np.isclose(np.linalg.norm(d[48]), np.linalg.norm(d[54]))
    across = L[54] - L[48]
    assert d[48] @ across < 0 < d[54] @ across
    moved = [i for i in range(68) if np.linalg.norm(d[i]) > 0]
    assert set(moved) == {FLIP_68[i] for i in moved}


def test_side_scale_and_one_sided_units(face):
    L = face.landmarks
    both = au_displacements(L, {"AU12": 1.0})
    weak_left = au_displacements(L, {"AU12": 1.0}, side_scale=(0.5, 1.0))
    # subject's left mouth corner is landmark 54 (image right in a frontal view)
    assert np.allclose(weak_left[54], 0.5 * both[54]) and np.allclose(weak_left[48], both[48])
    left_only = au_displacements(L, {"L12": 1.0})
    assert np.allclose(left_only[48], 0) and np.allclose(left_only[54], both[54])


def test_zero_intensity_leaves_the_image_unchanged(face):
    out = warp_face_by_aus(face.image, face.landmarks, {"AU12": 0.0})
    assert np.array_equal(out, face.image)


def test_warp_moves_the_unit_region_only(face):
    img = face.image
    out = warp_face_by_aus(img, face.landmarks, {"AU12": 2.0})
    diff = np.abs(out.astype(int) - img.astype(int)).sum(-1)
    L = face.landmarks.astype(int)
    mouth = diff[L[51, 1] - 8:L[57, 1] + 8, L[48, 0] - 8:L[54, 0] + 8].mean()
    forehead = diff[max(0, L[19, 1] - 40):L[19, 1] - 10, L[19, 0]:L[24, 0]].mean()
    border = np.concatenate([diff[:5].ravel(), diff[-5:].ravel(), diff[:, :5].ravel(), diff[:, -5:].ravel()])
    assert mouth > 5 * max(forehead, 0.1)
    assert border.max() == 0


def test_forward_positions_follow_the_field(face):
    field = expression_field(face.image.shape, face.landmarks, {"AU26": 1.0})
    q = forward_positions(field, face.landmarks)
    nominal = au_displacements(face.landmarks, {"AU26": 1.0})
    moved = q - face.landmarks
    assert moved[8, 1] > 0.5 * nominal[8, 1] > 0  # the chin drops
    assert np.abs(moved[27]).max() < 0.3  # the nose bridge stays
