"""The circulated LBP-TOP / HOOF features join the composite's rows, or the row that does not is named."""
import io
import zipfile

import numpy as np
import pytest
import scipy.io

from microexp.datasets.megc2019 import load_megc2019
from microexp.datasets.megc2019_features import attach_features, composite_features
from microexp.datasets.shared_data import shared_data_path
from microexp.errors import DataError


def _mat_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    scipy.io.savemat(buf, arrays)
    return buf.getvalue()


def _write_archive(root, table, variant="LBPTOP_TIM10_333_8", skip=None, samm_zero_padded=False, offset=0):
    (root / "LBP-TOP").mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(root / "LBP-TOP" / "Features.zip", "a") as z:
        for i, r in table.df.iterrows():
            if skip is not None and i == skip:
                continue
            sub = r["subject"].split("/")[-1]
            if r["dataset"] == "samm" and not samm_zero_padded:
                sub = sub.lstrip("0")
            z.writestr(f"{variant}/Features/{r['dataset']}-{sub}-{r['clip']}.mat",
                       _mat_bytes(Histogram=np.full((3, 59), i + offset, dtype=float)))


def test_features_join_by_database_subject_and_clip(composite_fixture, tmp_path):
    table = load_megc2019(composite_fixture)
    _write_archive(tmp_path / "feat", table)
    with_features = attach_features(table, tmp_path / "feat", {"lbptop": "LBPTOP_TIM10_333_8"})
    X = with_features.arrays("lbptop")
    assert X.shape == (len(table), 177)
    np.testing.assert_array_equal(X[:, 0], np.arange(len(table)))  # row i got sample i's file
    assert "lbptop" in with_features.kinds and "flow" in with_features.kinds


def test_run_identity_tells_variants_of_one_archive_apart(composite_fixture, tmp_path):
    from microexp.identity import table_digest

    table = load_megc2019(composite_fixture)
    _write_archive(tmp_path / "feat", table)
    _write_archive(tmp_path / "feat", table, variant="LBPTOP_TIM64_333_8", offset=1000)
    a = attach_features(table, tmp_path / "feat", {"lbptop": "LBPTOP_TIM10_333_8"})
    b = attach_features(table, tmp_path / "feat", {"lbptop": "LBPTOP_TIM64_333_8"})
    assert table_digest(a, "lbptop") != table_digest(b, "lbptop")  # a resume must not mix them
    assert table_digest(a, "lbptop") == table_digest(attach_features(table, tmp_path / "feat",
                                                                     {"lbptop": "LBPTOP_TIM10_333_8"}), "lbptop")


def test_features_attach_to_a_subset_of_the_table(composite_fixture, tmp_path):
    table = load_megc2019(composite_fixture)
    _write_archive(tmp_path / "feat", table)
    sub = table.subset(np.array([4, 2]))  # its rows keep their labels 4 and 2
    X = attach_features(sub, tmp_path / "feat", {"lbptop": "LBPTOP_TIM10_333_8"}).arrays("lbptop")
    np.testing.assert_array_equal(X[:, 0], [4, 2])


def test_a_row_without_features_is_named(composite_fixture, tmp_path):
    table = load_megc2019(composite_fixture)
    _write_archive(tmp_path / "feat", table, skip=3)
    r = table.df.iloc[3]
    with pytest.raises(DataError, match=f"{r['subject']}/{r['clip']}") as err:
        composite_features(table, tmp_path / "feat", "LBPTOP_TIM10_333_8")
    assert str(r["csv_row"]) in str(err.value)


def test_missing_archive_and_unknown_variant_are_clear_errors(composite_fixture, tmp_path):
    table = load_megc2019(composite_fixture)
    with pytest.raises(DataError, match="LBP-TOP/Features.zip"):
        composite_features(table, tmp_path, "LBPTOP_TIM10_333_8")
    with pytest.raises(DataError, match="unknown feature variant"):
        composite_features(table, tmp_path, "GABOR_1")


@pytest.mark.skipif(not shared_data_path("megc2019-features").is_dir(), reason="real composite features absent")
def test_every_real_composite_sample_has_its_circulated_features():
    table = attach_features(load_megc2019(shared_data_path("megc2019")), shared_data_path("megc2019-features"))
    assert table.arrays("lbptop").shape == (442, 177)
    assert table.arrays("hoof").shape == (442, 72)
    # LBP-TOP histograms are normalised per plane: each of the three planes sums to about one
    planes = table.arrays("lbptop").reshape(442, 3, 59).sum(axis=2)
    assert np.allclose(planes, planes[0, 0], rtol=0.05)
