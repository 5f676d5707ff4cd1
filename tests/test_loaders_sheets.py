"""The loaders on the databases' real coding sheets (annotations only: the frames are not shared)."""
from __future__ import annotations

import pytest

from microexp.datasets.casme2 import load_casme2
from microexp.datasets.casme3 import load_casme3
from microexp.datasets.samm import load_samm
from microexp.datasets.smic import load_smic
from microexp.labels import MEGC3


@pytest.fixture
def sheets(shared_data):
    root = shared_data / "annotations"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return root


def test_casme2_real_sheet_all_rows_parse(sheets):
    every = load_casme2(sheets / "CASME2", taxonomy=("happiness", "surprise", "disgust", "repression", "others",
                                                      "sadness", "fear"), annotations_only=True)
    assert len(every) == 255 and every.df.attrs["dropped"] == 0
    five = load_casme2(sheets / "CASME2", annotations_only=True)
    assert len(five) == 246
    assert five.class_counts() == {"happiness": 32, "surprise": 25, "disgust": 63, "repression": 27, "others": 99}
    assert five.df.attrs["dropped_by_emotion"] == {"sadness": 7, "fear": 2}
    assert five.df["subject"].str.match(r"^casme2/sub\d\d$").all()
    assert (five.df["onset"] <= five.df["apex"]).all() and (five.df["apex"] <= five.df["offset"]).all()
    assert five.df.loc[five.df["clip"] == "EP02_01f", "au"].iloc[0] == "12"


def test_casme2_real_sheet_megc3(sheets):
    t = load_casme2(sheets / "CASME2", taxonomy="megc3", annotations_only=True)
    assert t.classes == MEGC3
    # others are left out; sadness and fear are negative like disgust and repression
    assert t.class_counts() == {"negative": 99, "positive": 32, "surprise": 25}
    assert t.df.attrs["dropped_by_emotion"] == {"others": 99}


def test_samm_real_sheet(sheets):
    t = load_samm(sheets / "SAMM", annotations_only=True)
    assert len(t) == 159 and t.df["subject"].nunique() == 29
    m = load_samm(sheets / "SAMM", taxonomy="megc3", annotations_only=True)
    assert m.class_counts() == {"negative": 92, "positive": 26, "surprise": 15}  # the composite's SAMM part
    o = load_samm(sheets / "SAMM", taxonomy="samm_objective", annotations_only=True)
    assert len(o) == 159 and set(o.df["label"]) == {str(k) for k in range(1, 8)}


def test_smic_real_apex_sheet(sheets):
    t = load_smic(sheets / "SMIC", annotations_only=True)
    assert len(t) == 164 and t.df["subject"].nunique() == 16
    assert t.class_counts() == {"negative": 70, "positive": 51, "surprise": 43}
    assert t.df["clip"].str.match(r"^s\d\d_(ne|po|sur)_\d\d$").all()
    assert (t.df["apex_source"] == "sheet").all()
    assert t.df["offset"].isna().sum() == 7  # not coded in the sheet
    m = load_smic(sheets / "SMIC" / "smic_apex.xlsx", taxonomy="megc3", annotations_only=True)
    assert (m.y == t.y).all()


def test_casme3_real_sheet(sheets):
    t = load_casme3(sheets / "CASME3", annotations_only=True)
    assert len(t) == 860 and t.df.attrs["dropped"] == 0
    assert not t.df.duplicated(["subject", "clip"]).any()
    assert t.df["offset"].isna().sum() == 2  # Offset 0 means not coded
    m = load_casme3(sheets / "CASME3", taxonomy="megc3", annotations_only=True)
    assert len(m) == 860 - 161 and m.df.attrs["dropped_by_emotion"] == {"others": 161}
    assert set(m.df["label"]) == set(MEGC3)


def test_real_sheets_match_the_composite(sheets, shared_data):
    import pandas as pd

    csv = shared_data / "megc2019" / "combined_3_class2_for_optical_flow.csv"
    if not csv.is_file():
        pytest.skip(f"{csv} is absent")
    comp = pd.read_csv(csv, dtype=str)
    for ds, table in (("samm", load_samm(sheets / "SAMM", taxonomy="megc3", annotations_only=True)),
                      ("smic", load_smic(sheets / "SMIC", taxonomy="megc3", annotations_only=True)),
                      ("casme2", load_casme2(sheets / "CASME2", taxonomy="megc3", annotations_only=True))):
        ours = {(s.split("/", 1)[1], c): y for s, c, y in zip(table.df["subject"], table.df["clip"], table.y)}
        part = comp[comp["dataset"] == ds]
        for sub, clip, label in zip(part["sub"], part["filename_o"], part["label"]):
            assert ours[(sub, clip)] == int(label), (ds, sub, clip)
