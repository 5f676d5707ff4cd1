"""Paper 001's comparison: the 15-ROI mosaic input, the ABN switch, and the benchmark crossing the factors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from microexp.datasets.samples import SampleTable
from microexp.errors import DataError
from microexp.face import ROI_MOSAIC, attach_roi_inputs, facial_rois, roi_mosaic
from microexp.models import create_model
from microexp.simulate import make_identity

#: dlib's 68 points under a left-right mirror: index i of the mirrored face is point MIRROR[i] of the original.
MIRROR = np.array(list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] + [35, 34, 33, 32, 31]
                  + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
                  + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])


def _face():
    ident = make_identity(0, 0)
    return ident.image, ident.landmarks


def test_mosaic_is_five_rows_of_three_regions_in_anatomical_order():
    image, lms = _face()
    mosaic = roi_mosaic(image, lms, 10)
    assert mosaic.shape == (50, 30, 3) and mosaic.dtype == np.uint8
    # paint the mouth region white: the mouth tile (row 3, centre) turns white, the forehead tile does not
    x0, y0, x1, y1 = facial_rois(lms, image.shape)["mouth"]
    painted = image.copy()
    painted[y0:y1, x0:x1] = 255
    after = roi_mosaic(painted, lms, 10)
    assert ROI_MOSAIC[3][1] == "mouth"
    assert (after[30:40, 10:20] == 255).all() and not (mosaic[30:40, 10:20] == 255).all()
    np.testing.assert_array_equal(after[0:10, 10:20], mosaic[0:10, 10:20])  # forehead untouched


def test_mosaic_of_the_mirrored_face_is_the_mirrored_mosaic():
    image, lms = _face()
    w = image.shape[1]
    flipped = image[:, ::-1].copy()
    flipped_lms = lms[MIRROR].copy()
    flipped_lms[:, 0] = (w - 1) - flipped_lms[:, 0]
    a = roi_mosaic(flipped, flipped_lms, 12).astype(float)
    b = roi_mosaic(image, lms, 12)[:, ::-1].astype(float)
    unflipped = roi_mosaic(image, lms, 12).astype(float)
    mirrored_error = np.abs(a - b).mean()
    assert mirrored_error < 0.25 * np.abs(a - unflipped).mean()
    assert mirrored_error < 6.0  # grey levels: one-pixel box rounding, not a different layout


def test_mosaic_refuses_a_bad_image_or_tile():
    _, lms = _face()
    with pytest.raises(DataError, match="tile"):
        roi_mosaic(np.zeros((64, 64), np.uint8), lms, 0)
    with pytest.raises(DataError, match="image must be"):
        roi_mosaic(np.zeros((64,), np.uint8), lms, 8)


def _table(n: int = 4):
    faces, lms = [], []
    for i in range(n):
        ident = make_identity(i, 0)
        faces.append(ident.image)
        lms.append(ident.landmarks)
    h, w = faces[0].shape[:2]
    flows = np.random.default_rng(0).random((n, 3, 28, 28)).astype(np.float32)
    df = pd.DataFrame({"dataset": "sim", "subject": [f"s{i}" for i in range(n)], "clip": [f"c{i}" for i in range(n)],
                       "label": "negative", "y": 0, "onset": pd.NA, "apex": pd.NA, "offset": pd.NA})
    loaders = {"face": lambda row, i: faces[int(row["subject"][1:])],
               "flow": lambda row, i: flows[int(row["subject"][1:])]}
    return SampleTable(df, ("negative", "positive", "surprise"), loaders, "sim"), np.stack(lms), flows, (h, w)


def test_attached_mosaics_follow_their_sample_through_a_subset():
    table, lms, flows, (h, w) = _table()
    with_rois = attach_roi_inputs(table, landmarks=lms, face_tile=8, flow_tile=6)
    assert {"face_rois", "flow_rois"} <= set(with_rois.kinds)
    faces = with_rois.arrays("face_rois")
    flow_rois = with_rois.arrays("flow_rois")
    assert faces.shape == (4, 40, 24, 3) and flow_rois.shape == (4, 3, 30, 18)
    # the flow mosaic uses the face's landmarks rescaled to the flow's size
    scaled = lms[2] * np.array([28 / w, 28 / h])
    np.testing.assert_allclose(flow_rois[2], roi_mosaic(flows[2].transpose(1, 2, 0), scaled, 6).transpose(2, 0, 1))
    sub = attach_roi_inputs(table, landmarks=lms, face_tile=8).subset(np.array([3, 1]))
    np.testing.assert_array_equal(sub.arrays("face_rois")[0], faces[3])


def test_attach_refuses_tables_without_faces_and_wrong_landmarks():
    table, lms, _, _ = _table()
    with pytest.raises(DataError, match=r"landmarks must be \(4, 68, 2\)"):
        attach_roi_inputs(table, landmarks=lms[:3])
    flow_only = SampleTable(table.df, table.classes, {"flow": table.loaders["flow"]}, "sim")
    with pytest.raises(DataError, match="need apex faces"):
        attach_roi_inputs(flow_only)


def test_attach_finds_landmarks_on_the_faces_when_none_are_given():
    table, lms, _, _ = _table(2)
    found = attach_roi_inputs(table)
    # dlib on the simulator's faces lands near their true landmarks, so the mosaics nearly agree
    a = found.arrays("face_rois").astype(float)
    b = attach_roi_inputs(table, landmarks=lms).arrays("face_rois").astype(float)
    assert np.abs(a - b).mean() < 20


def test_abn_switch_removes_the_attention_branch():
    x = torch.rand(2, 3, 40, 24)
    with_abn = create_model("resnet_abn_arcface", input_size=None, width=0.125, arcface=False, abn=True).eval()
    without = create_model("resnet_abn_arcface", input_size=None, width=0.125, arcface=False, abn=False).eval()
    out_a, out_b = with_abn(x), without(x)
    assert out_a["logits"].shape == out_b["logits"].shape == (2, 3)
    assert out_a["attention"].shape[0] == 2 and len(out_a["aux_logits"]) == 1
    assert set(out_b) == {"logits"}
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(without) < n(with_abn)
    assert not any("attention" in name for name, _ in without.named_parameters())


def test_factor_effects_pair_runs_that_differ_in_one_factor(load_benchmark):
    bench = load_benchmark("paper001_comparison")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    subjects = np.array(["a", "a", "b", "b", "c", "c", "d", "d"])
    wrong = (y + 1) % 3
    runs = []
    for rois in (False, True):
        for abn in (False, True):
            for arcface in (False, True):
                runs.append({"seed": 1, "rois": rois, "abn": abn, "arcface": arcface,
                             "pred": y.copy() if abn else wrong})  # only ABN matters
    effects = bench.factor_effects(runs, y, subjects, 3, n_resamples=50)
    assert effects["abn"]["pairs"] == 4 and effects["abn"]["uf1_difference"] == pytest.approx(1.0)
    assert effects["rois"]["uf1_difference"] == 0 and effects["arcface"]["uar_difference"] == 0


def test_condition_names_round_trip_and_unknown_ones_are_refused(load_benchmark):
    bench = load_benchmark("paper001_comparison")
    for cond in ({"rois": True, "abn": False, "arcface": True}, {"rois": False, "abn": True, "arcface": False}):
        assert bench.parse_condition(bench.condition_name(**cond)) == cond
    with pytest.raises(SystemExit, match="unknown condition"):
        bench.parse_condition("roi+abn")


def test_benchmark_runs_the_crossed_conditions_on_a_small_composite(composite_fixture, tmp_path, load_benchmark):
    bench = load_benchmark("paper001_comparison")
    out = tmp_path / "p001"
    summary = bench.main(["--root", str(composite_fixture), "--inputs", "flow", "--fast", "--bootstrap", "20",
                          "--conditions", "full+abn+arcface,rois+abn+arcface,full+arcface", "--out", str(out)])
    names = [r["condition"] for r in summary["conditions"]]
    assert names == ["full+abn+arcface", "rois+abn+arcface", "full+arcface"]
    assert summary["folds"] == 9
    # the ROI run really read the mosaic, and ABN off really trained without the attention branch
    import yaml

    rois_cfg = yaml.safe_load((out / "flow" / "rois+abn+arcface" / "seed1" / "config.yaml").read_text())
    plain_cfg = yaml.safe_load((out / "flow" / "full+arcface" / "seed1" / "config.yaml").read_text())
    assert rois_cfg["input_kind"] == "flow_rois" and rois_cfg["model_kwargs"]["input_size"] is None
    assert plain_cfg["model_kwargs"]["abn"] is False and plain_cfg["trainer"]["loss"] == "arcface"
    assert set(summary["effects"]["flow"]) == {"rois", "abn"}  # arcface has no off twin among these
    assert summary["effects"]["flow"]["rois"]["pairs"] == 1
    assert "| flow | rois | 1 |" in (out / "table.md").read_text()
