"""Every registered recogniser: forward, backward and output shape on tiny inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from microexp.errors import ConfigError
from microexp.recognisers import create_estimator, create_model, get_spec, list_models

torch.set_num_threads(1)

#: Width/size knobs that keep each architecture tiny in tests (models not listed use their defaults).
TINY = {
    "cropnet": {"input_size": 32, "patch_size": 16, "width": 0.25, "feature_dim": 8},
    "ocnet": {"input_size": 28, "width": 0.0625},
    "vggm": {"width": 0.0625},
    "offapexnet": {"fc_units": 32},
    "resnet_abn_arcface": {"input_size": 32, "width": 0.125},
    "resnet_abn_arcface_3d": {"input_size": 32, "width": 0.125},
    "smallcnn": {"width": 0.25},
    "smallcnn_flow": {"width": 0.25},
    "htnet": {"dim": 8},
    "sssnet": {"input_size": 32, "width": 0.25},
    "rcn": {"width": 0.25},
    "dual_inception": {"width": 0.5, "fc_units": 16},
    "featref": {"width": 0.5, "feature_dim": 8},
}


def _logits(out) -> torch.Tensor:
    return out["logits"] if isinstance(out, dict) else out


def tiny_input(kind: str, n: int = 2, side: int = 28) -> torch.Tensor:
    torch.manual_seed(0)
    return torch.rand(n, 3, side, side)


@pytest.mark.parametrize("name", list_models("torch"))
@pytest.mark.parametrize("num_classes", [3, 5])
def test_forward_backward_shape(name, num_classes):
    spec = get_spec(name)
    model = create_model(name, num_classes=num_classes, **TINY.get(name, {}))
    model.train()
    x = tiny_input(spec.input_kind)
    y = torch.tensor([0, num_classes - 1])
    out = model(x, labels=y) if getattr(model, "accepts_labels", False) else model(x)
    logits = _logits(out)
    assert logits.shape == (2, num_classes)
    assert torch.isfinite(logits).all()
    logits.sum().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads), "no gradient reached the parameters"


@pytest.mark.parametrize("name", list_models("torch"))
def test_adapts_to_input_size(name):
    """Models resize or pool so that an input of another side still gives (N, classes)."""
    model = create_model(name, num_classes=3, **TINY.get(name, {})).eval()
    with torch.no_grad():
        out = _logits(model(tiny_input(get_spec(name).input_kind, n=3, side=40)))
    assert out.shape == (3, 3)


@pytest.mark.parametrize("name", list_models())
def test_spec_is_documented(name):
    spec = get_spec(name)
    assert spec.family in ("torch", "sklearn")
    assert spec.input_kind in ("flow", "face", "frames3", "lbptop", "base")
    assert spec.paper, f"{name} cites no paper"
    if spec.family == "torch":
        cls = spec.constructor
        assert (cls.__module__ and __import__(cls.__module__, fromlist=["_"]).__doc__), f"{name}'s module has no docstring"


def test_lbptop_svm_fits_features():
    rng = np.random.default_rng(0)
    X = rng.random((30, 40))
    y = np.repeat([0, 1, 2], 10)
    X[y == 1, :5] += 2.0
    X[y == 2, 5:10] += 2.0
    est = create_estimator("lbptop_svm", num_classes=3, seed=0).fit(X, y, np.arange(30) % 5)
    assert (est.predict(X) == y).mean() > 0.9


def test_unknown_model_is_a_config_error():
    with pytest.raises(ConfigError):
        create_model("no_such_model")


def test_ststnet_matches_paper_layout():
    """STSTNet at 28×28: 3 + 5 + 8 maps pooled to 5×5 = 400 features into the classifier."""
    model = create_model("ststnet", num_classes=3)
    assert [s[0].out_channels for s in model.streams] == [3, 5, 8]
    assert model.fc.in_features == 400


def test_cgpo_makes_ten_overlapping_crops():
    from microexp.models.cropnet import CGPO_OVERLAP, crop_boxes, cropped_gaussian_pyramid

    boxes = crop_boxes(320, 3, CGPO_OVERLAP)
    assert len(boxes) == 9
    (_, l0, c), (_, l1, _) = boxes[0], boxes[1]
    assert abs((l0 + c - l1) / c - CGPO_OVERLAP) < 0.02  # neighbours overlap by α of a crop
    assert max(left + c for _, left, c in boxes) <= 320
    crops = cropped_gaussian_pyramid(torch.rand(1, 3, 64, 64), input_size=64, patch_size=32)
    assert len(crops) == 10 and all(c.shape == (1, 3, 32, 32) for c in crops)


def test_resnet_3d_first_conv_has_no_temporal_padding():
    model = create_model("resnet_abn_arcface_3d", num_classes=3, **TINY["resnet_abn_arcface_3d"])
    assert model.stem3d.kernel_size[0] == 3 and model.stem3d.padding[0] == 0
