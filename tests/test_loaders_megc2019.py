import shutil

import numpy as np
import pytest

from microexp.datasets import load_dataset
from microexp.datasets.megc2019 import load_megc2019
from microexp.errors import ConfigError, DataError


def test_real_composite(megc2019_root):
    t = load_megc2019(megc2019_root)
    assert len(t) == 442
    assert t.df["subject"].nunique() == 68
    s = t.summary()
    assert s.loc["casme2", ["negative", "positive", "surprise"]].tolist() == [88, 32, 25]
    assert s.loc["samm", ["negative", "positive", "surprise"]].tolist() == [92, 26, 15]
    assert s.loc["smic", ["negative", "positive", "surprise"]].tolist() == [70, 51, 43]
    flow = t.subset(np.arange(5)).arrays("flow")
    assert flow.shape == (5, 3, 28, 28) and flow.dtype == np.float32
    assert 0.0 <= flow.min() and flow.max() <= 1.0
    # each channel is min-max scaled per image in the circulated files
    assert np.allclose(flow.reshape(5, 3, -1).max(-1), 1.0, atol=1e-6)
    face = t.subset([0]).arrays("face")
    assert face.shape == (1, 224, 224, 3) and face.dtype == np.uint8


def test_fixture_layout_and_labels(composite_fixture):
    t = load_dataset("megc2019", composite_fixture)
    assert len(t) == 36 and set(t.datasets) == {"casme2", "samm", "smic"}
    flows = t.arrays("flow")
    # the fixture writes the class into the channel with the raised level
    assert (flows.mean(axis=(2, 3)).argmax(1) == t.y).all()


def test_missing_root(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("megc2019", tmp_path / "nope")
    with pytest.raises(ConfigError, match="unknown dataset"):
        load_dataset("casme4", tmp_path)


def test_wrong_columns(composite_fixture):
    csv = composite_fixture / "combined_3_class2_for_optical_flow.csv"
    text = csv.read_text().replace("filename_o", "clip_name", 1)
    csv.write_text(text)
    with pytest.raises(DataError, match=r"lacks columns \['filename_o'\]") as e:
        load_megc2019(composite_fixture)
    assert str(csv) in str(e.value)


def test_unknown_label_names_row(composite_fixture):
    csv = composite_fixture / "combined_3_class2_for_optical_flow.csv"
    lines = csv.read_text().splitlines()
    parts = lines[3].split(",")
    parts[3] = "7"
    lines[3] = ",".join(parts)
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="row 4: unknown label 7"):
        load_megc2019(composite_fixture)


def test_missing_image_names_row(composite_fixture):
    flows = sorted((composite_fixture / "datasets" / "STSNet_whole_norm_u_v_os").iterdir())
    flows[0].unlink()
    with pytest.raises(DataError, match=r"row \d+: flow image .* is missing"):
        load_megc2019(composite_fixture)


def test_unreadable_image_names_file(composite_fixture):
    t = load_megc2019(composite_fixture)
    bad = t.df.loc[2, "flow_path"]
    with open(bad, "wb") as fh:
        fh.write(b"not a png")
    with pytest.raises(DataError, match="unreadable") as e:
        t.arrays("flow")
    assert bad in str(e.value) and "row 4" in str(e.value)


def test_empty_csv(tmp_path, composite_fixture):
    shutil.rmtree(composite_fixture / "datasets")
    (composite_fixture / "combined_3_class2_for_optical_flow.csv").write_text(
        "dataset,sub,filename_o,label,apex,imagename,sub_filename\n")
    with pytest.raises(DataError, match="no rows"):
        load_megc2019(composite_fixture)
