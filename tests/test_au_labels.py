"""AU labels joined to sample tables: 1 / 0 / NaN per AU, every CASME II and SAMM row of the
composite labelled or listed with its reason; on the real sheets every composite row joins."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import write_composite_fixture

from microexp.datasets.au_labels import (attach_au_labels, au_column, au_columns, au_positive_counts,
                                         composite_au_table, frequent_aus, read_au_sheet)
from microexp.datasets.megc2019 import load_megc2019
from microexp.errors import DataError

#: Synthetic AU codes per composite class (0 negative, 1 positive, 2 surprise).
CODES_BY_CLASS = {0: "4+7B", 1: "L12", 2: "1+R2"}


def composite_rows(root: Path) -> list[dict]:
    with open(root / "combined_3_class2_for_optical_flow.csv", newline="") as f:
        return list(csv.DictReader(f))


def write_au_sheets(folder: Path, composite_root: Path, codes: dict | None = None, skip=(), unknown=(),
                    overrides: dict | None = None) -> Path:
    """CASME2/ and SAMM/ coding sheets for a composite fixture's CASME II and SAMM rows: each row's
    AUs from its class (``codes``), rows in ``skip`` left out, rows in ``unknown`` coded ``'?'``,
    ``overrides`` (clip → cell) written as given."""
    codes = codes or CODES_BY_CLASS
    overrides = overrides or {}
    sheets = {"casme2": [], "samm": []}
    for r in composite_rows(composite_root):
        if r["dataset"] not in sheets or r["filename_o"] in skip:
            continue
        clip = r["filename_o"]
        cell = "?" if clip in unknown else overrides.get(clip, codes[int(r["label"])])
        subject = int(r["sub"].removeprefix("sub"))
        sheets[r["dataset"]].append({"Subject": subject, "Filename": clip, "Action Units": cell})
    (folder / "CASME2").mkdir(parents=True, exist_ok=True)
    (folder / "SAMM").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(sheets["casme2"]).to_excel(folder / "CASME2" / "CASME2-coding-test.xlsx", sheet_name="Sheet1",
                                            index=False)
    with pd.ExcelWriter(folder / "SAMM" / "SAMM.xlsx") as writer:  # a title row above the header, as some copies
        pd.DataFrame([["SAMM micro-movements"]]).to_excel(writer, sheet_name="MICRO_ONLY", index=False, header=False)
        pd.DataFrame(sheets["samm"]).to_excel(writer, sheet_name="MICRO_ONLY", index=False, startrow=1)
    return folder


@pytest.fixture
def composite_with_sheets(tmp_path):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=3, per_subject=4)
    return root, tmp_path / "annotations"


def test_labels_are_one_zero_or_unknown(composite_with_sheets):
    root, sheets = composite_with_sheets
    write_au_sheets(sheets, root, overrides={"EP01_2": "12 or 14", "EP02_3": "4+glare"})
    table, unmatched = attach_au_labels(load_megc2019(root), sheets)
    assert unmatched.empty
    assert au_columns(table.df) == ["au:1", "au:2", "au:4", "au:7", "au:12"]
    df = table.df.set_index(["dataset", "clip", "subject"])
    neg = df.loc[("casme2", "EP00_1", "casme2/sub01")]
    assert (neg["au:4"], neg["au:7"], neg["au:12"], neg["au_codes"]) == (1.0, 1.0, 0.0, "4+7B")
    hesitant = df.loc[("casme2", "EP01_2", "casme2/sub02")]  # 12 or 14: both unknown, others absent
    assert np.isnan(hesitant["au:12"]) and hesitant["au:4"] == 0.0 and hesitant["au_codes"] == "12?+14?"
    smic = table.df[table.df["dataset"] == "smic"]
    assert len(smic) and smic[au_columns(table.df)].isna().all().all()  # SMIC codes no AUs
    # the loaders' arrays and classes survive the join
    assert table.classes == ("negative", "positive", "surprise") and table.arrays("flow").shape[1:] == (3, 28, 28)
    counts = au_positive_counts(table.df)
    # 3 subjects × 2 databases: two negatives each (+2 "4+glare"), one positive each (−2 "12 or 14")
    assert (counts[4], counts[7], counts[12]) == (14, 12, 4) and frequent_aus(table.df, 13) == [4]


def test_every_casme2_and_samm_row_is_labelled_or_listed(composite_with_sheets):
    root, sheets = composite_with_sheets
    write_au_sheets(sheets, root, skip={"EP03_1"}, unknown={"EP02_2"})
    table, unmatched = attach_au_labels(load_megc2019(root), sheets, aus=[4, 12])
    coded = table.df[table.df["dataset"].isin(["casme2", "samm"])]
    labelled = coded[au_columns(coded)].notna().any(axis=1)
    listed = set(zip(unmatched["dataset"], unmatched["subject"], unmatched["clip"]))
    assert all(bool(k) != ((r.dataset, r.subject, r.clip) in listed)
               for k, r in zip(labelled, coded.itertuples()))
    assert len(listed) == 4  # EP03_1 of casme2/sub01 and samm/006, EP02_2 of casme2/sub02 and samm/007
    reasons = dict(zip(zip(unmatched["subject"], unmatched["clip"]), unmatched["reason"]))
    assert "no row for casme2/sub01/EP03_1 in CASME2-coding-test.xlsx" == reasons[("casme2/sub01", "EP03_1")]
    assert "codes no action unit ('?')" in reasons[("samm/007", "EP02_2")]
    assert set(unmatched["row"]) <= set(table.df["csv_row"])


def test_an_unreadable_cell_is_reported_with_its_file_and_row(composite_with_sheets):
    root, sheets = composite_with_sheets
    write_au_sheets(sheets, root, overrides={"EP01_1": "4++7"})
    casme2 = sheets / "CASME2" / "CASME2-coding-test.xlsx"
    with pytest.raises(DataError, match=r"row 3: action units '4\+\+7'") as info:
        attach_au_labels(load_megc2019(root), sheets)
    assert info.value.path == str(casme2)
    lenient = read_au_sheet("casme2", sheets, strict=False)
    assert [(p["file"], p["row"], p["text"]) for p in lenient.attrs["problems"]] == [(str(casme2), 3, "4++7")]
    assert len(lenient) == 11


def test_a_missing_sheet_names_the_folder(tmp_path):
    root = write_composite_fixture(tmp_path / "megc", subjects_per_dataset=2, per_subject=3)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no casme2 coding sheet"):
        attach_au_labels(load_megc2019(root), tmp_path / "empty")


def test_every_real_casme2_and_samm_composite_row_gets_its_aus(megc2019_root, shared_data):
    sheets = shared_data / "annotations"
    if not (sheets / "SAMM").is_dir():
        pytest.skip(f"coding sheets not found under {sheets}")
    table, unmatched = composite_au_table(megc2019_root, sheets)
    assert unmatched.empty, unmatched.to_string()
    coded = table.df["dataset"].isin(["casme2", "samm"])
    assert coded.sum() == 278 and table.df.loc[coded, "au_codes"].map(bool).all()
    assert table.df.loc[~coded, au_columns(table.df)].isna().all().all()
    counts = au_positive_counts(table.df)
    assert (counts[4], counts[7], counts[12], counts[1], counts[2]) == (82, 74, 56, 25, 25)
    assert {1, 2, 4, 7, 12, 14, 17} <= set(frequent_aus(table.df))
    samm_uncertain = table.df.loc[table.df["dataset"] == "samm", au_column(12)].isna().sum()
    assert samm_uncertain == 4  # "12 or 14" style cells and ref(12): unknown, not absent
