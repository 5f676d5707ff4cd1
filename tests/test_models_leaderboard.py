"""The composite's leading architectures keep their papers' layouts, and each trains, predicts and
reloads through the one trainer."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from microexp.recognisers import create_estimator, create_model
from microexp.recognisers.persistence import load_estimator, save_estimator

torch.set_num_threads(1)

LEADERBOARD = ("htnet", "sssnet", "rcn", "dual_inception", "featref")


# ----------------------------------------------------------------------------- HTNet
def test_htnet_crops_four_areas_at_the_named_landmarks():
    from microexp.models.htnet import REGION_CENTRES, REGION_SIZE, crop_facial_regions, region_boxes

    x = torch.arange(2 * 3 * 28 * 28, dtype=torch.float32).reshape(2, 3, 28, 28) + 1
    crops = crop_facial_regions(x)
    assert crops.shape == (2, 4, 3, REGION_SIZE, REGION_SIZE)
    boxes = region_boxes(28)
    assert [b[0] for b in boxes] == [name for name, _ in REGION_CENTRES]
    padded = torch.nn.functional.pad(x, (REGION_SIZE,) * 4)
    for k, ((name, top, left, size), (_, (cx, cy))) in enumerate(zip(boxes, REGION_CENTRES)):
        assert (top + size // 2, left + size // 2) == (cy, cx), name  # centred on the landmark
        expected = padded[..., top + REGION_SIZE:top + REGION_SIZE + size, left + REGION_SIZE:left + REGION_SIZE + size]
        torch.testing.assert_close(crops[:, k], expected, rtol=0, atol=0)
    # eyes in the upper half, mouth corners in the lower half, image-left first
    (_, (lex, ley)), (_, (rex, rey)), (_, (lmx, lmy)), (_, (rmx, rmy)) = REGION_CENTRES
    assert ley == rey < 14 < lmy == rmy and lex < 14 < rex and lmx < 14 < rmx


def test_htnet_areas_are_mirror_images_so_flipping_the_face_flips_the_tiled_image():
    from microexp.models.htnet import crop_facial_regions, tile_regions

    x = torch.rand(2, 3, 28, 28)
    tiled = tile_regions(crop_facial_regions(x))
    torch.testing.assert_close(tile_regions(crop_facial_regions(x.flip(-1))), tiled.flip(-1), rtol=0, atol=0)


def test_htnet_hierarchy_first_attends_within_each_area_then_across_areas():
    from microexp.models.htnet import HTNET_DEPTHS, PAPER_CONFIG, to_blocks

    model = create_model("htnet", num_classes=3)
    assert model.levels == len(HTNET_DEPTHS) == 2 and len(model.aggregations) == 1
    assert model.blocks_per_side == [2, 1] and model.map_sides == [8, 4]
    # level 1: every block holds the tokens of exactly one facial area (the tiled image's quadrants)
    side = model.map_sides[0]
    area = torch.zeros(1, 1, side, side)
    area[..., :side // 2, side // 2:] = 1
    area[..., side // 2:, :side // 2] = 2
    area[..., side // 2:, side // 2:] = 3
    blocks = to_blocks(area, model.blocks_per_side[0])
    assert [sorted(set(b.flatten().tolist())) for b in blocks] == [[0.0], [1.0], [2.0], [3.0]]
    # the published setting: three levels, 4×4 tokens halved twice
    paper = create_model("htnet", num_classes=3, **PAPER_CONFIG)
    assert paper.levels == 3 and paper.map_sides == [4, 2, 1] and len(paper.stages[2]) == 10


def test_htnet_attention_stays_inside_an_area_at_the_first_level():
    """Changing one area's input changes only that area's tokens after the first level's layers."""
    model = create_model("htnet", num_classes=3, dropout=0.0).eval()
    from microexp.models.htnet import from_blocks, to_blocks

    x = torch.rand(1, 3, 28, 28)
    x2 = x.clone()
    x2[..., 20:, :8] += 1.0  # inside the left mouth area only (rows 12-27, columns 1-16)

    def level_one(inp):
        t = model.patch_embed(model.tiled_regions(inp)) + model.pos_embed
        h, w = t.shape[-2:]
        return from_blocks(model.stages[0](to_blocks(t, 2)), 2, h, w)

    with torch.no_grad():
        diff = (level_one(x) - level_one(x2)).abs().sum(dim=1)[0]
    half = diff.shape[-1] // 2
    assert diff[half:, :half].sum() > 0  # the left mouth quadrant changed
    assert diff[:half].sum() == 0 and diff[half:, half:].sum() == 0


# ----------------------------------------------------------------------------- SSSNet
def test_sssnet_matches_the_meb_layout():
    from torch import nn

    model = create_model("sssnet", num_classes=3)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size[0]) for c in convs] == [(32, 5), (64, 3)]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 2
    assert sum(isinstance(m, nn.Dropout2d) for m in model.modules()) == 2
    fcs = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(f.in_features, f.out_features) for f in fcs] == [(64 * 9 * 9, 256), (256, 3)]
    assert model.input_size == 64


# ----------------------------------------------------------------------------- RCN
def test_rcn_recurrent_layer_unrolls_the_named_steps_with_one_shared_conv():
    from torch import nn

    from microexp.models.rcn import RCN_STEPS, RecurrentConvLayer

    layer = RecurrentConvLayer(8).eval()
    assert sum(isinstance(m, nn.Conv2d) for m in layer.modules()) == 2  # feed-forward 1×1 + one recurrent 3×3
    x = torch.rand(2, 8, 12, 12)
    with torch.no_grad():
        outputs = layer.unroll(x)
        assert len(outputs) == RCN_STEPS + 1 == 3
        for prev, cur in zip(outputs, outputs[1:]):
            torch.testing.assert_close(cur, layer.recurrent(x + prev))
        torch.testing.assert_close(layer(x), layer.downsample(outputs[-1]))
    # more steps: the same weights, a different computation
    longer = create_model("rcn", num_classes=3, steps=5)
    base = create_model("rcn", num_classes=3)
    assert sum(p.numel() for p in longer.parameters()) == sum(p.numel() for p in base.parameters())
    assert base.stem[0].out_channels == 32 and base.fc.in_features == 32 * 5 * 5


# ----------------------------------------------------------------------------- Dual-Inception
def test_dual_inception_streams_see_only_their_own_flow_component():
    model = create_model("dual_inception", num_classes=3).eval()
    x = torch.rand(3, 3, 28, 28)
    no_v, no_u, no_strain = x.clone(), x.clone(), x.clone()
    no_v[:, 1] = 0
    no_u[:, 0] = 0
    no_strain[:, 2] = 0
    with torch.no_grad():
        u, v = model.stream_features(x)
        u_nv, v_nv = model.stream_features(no_v)
        u_nu, v_nu = model.stream_features(no_u)
        u_ns, v_ns = model.stream_features(no_strain)
    torch.testing.assert_close(u_nv, u, rtol=0, atol=0)
    assert not torch.equal(v_nv, v)
    torch.testing.assert_close(v_nu, v, rtol=0, atol=0)
    assert not torch.equal(u_nu, u)
    torch.testing.assert_close(torch.cat([u_ns, v_ns], 1), torch.cat([u, v], 1), rtol=0, atol=0)  # strain unused
    assert u.shape == v.shape == (3, 64 * 7 * 7)
    assert [b.out_channels for b in model.u_stream] == [24, 64]
    assert model.classifier[0].in_features == 2 * 64 * 7 * 7 and model.classifier[0].out_features == 1024


# ----------------------------------------------------------------------------- FeatRef
@pytest.mark.parametrize("num_classes", [3, 5])
def test_featref_has_one_proposal_branch_per_expression_and_fuses_them(num_classes):
    model = create_model("featref", num_classes=num_classes).eval()
    assert len(model.proposals) == num_classes
    assert model.classifier.in_features == num_classes * model.proposals[0].score.in_features
    x = torch.rand(2, 3, 28, 28)
    with torch.no_grad():
        out = model(x)
        assert out["logits"].shape == out["aux_logits"][0].shape == (2, num_classes)
        assert model.shared_features(x).shape == (2, 128, 7, 7)
        model.proposals[1].score.bias += 1.0  # expression 1's proposal alone moves
        moved = model(x)
    delta = (moved["aux_logits"][0] - out["aux_logits"][0]).abs()
    assert torch.allclose(delta[:, 1], torch.ones(2)) and delta[:, [k for k in range(num_classes) if k != 1]].sum() == 0
    torch.testing.assert_close(moved["logits"], out["logits"], rtol=0, atol=0)


# ----------------------------------------------------------------------------- the trainer
@pytest.mark.parametrize("name", LEADERBOARD)
def test_trains_predicts_and_reloads_with_identical_probabilities(name, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((30, 3, 28, 28)).astype(np.float32)
    y = np.arange(30) % 3
    groups = np.arange(30) % 5
    est = create_estimator(name, num_classes=3, seed=0, trainer={"epochs": 2, "threads": 1}).fit(X, y, groups)
    pred = est.predict(X)
    assert pred.shape == (30,) and set(pred.tolist()) <= {0, 1, 2}
    record = json.loads(json.dumps(save_estimator(est, tmp_path)))
    loaded = load_estimator(tmp_path, record)
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), pred)
