"""The AU-code parser: every quirk of the five coding sheets, its canonical form, and errors that
name the file and row; on the real sheets (when present) every row parses."""
from __future__ import annotations

import pytest

from microexp.datasets.au_codes import AUCode, parse_au_codes
from microexp.errors import DataError

# text → (canonical, present, uncertain, notes, repairs)
QUIRKS = {
    "4+7": ("4+7", {4, 7}, set(), (), ()),
    "2+1": ("1+2", {1, 2}, set(), (), ()),
    12.0: ("12", {12}, set(), (), ()),  # a number cell
    "L12": ("L12", {12}, set(), (), ()),
    "R14": ("R14", {14}, set(), (), ()),
    "1+R2+25": ("1+R2+25", {1, 2, 25}, set(), (), ()),
    "A12+A7": ("A7+A12", {7, 12}, set(), (), ()),
    "T18+39": ("T18+39", {18, 39}, set(), (), ()),
    "B28": ("B28", {28}, set(), (), ()),
    "4B": ("4B", {4}, set(), (), ()),
    "4(B/C)+7B": ("4(B/C)+7B", {4, 7}, set(), (), ()),
    "4A/B": ("4(A/B)", {4}, set(), (), ()),
    "(L/A)12(B/A)": ("(A/L)12(A/B)", {12}, set(), (), ()),
    "A/L12": ("(A/L)12", {12}, set(), (), ()),
    "A(4B/C)+5B": ("A4(B/C)+5B", {4, 5}, set(), (), ()),
    "26+ADR30": ("26+R30", {26, 30}, set(), (), ()),
    "subject do 2x  R2(C and then B)": ("R2(B/C)", {2}, set(), ("subject do 2x",), ()),
    "L12 or L14": ("L12?+L14?", set(), {12, 14}, (), ()),
    "12/14": ("12?+14?", set(), {12, 14}, (), ()),
    "(R6 or R12)+R15": ("R6?+R12?+R15", {15}, {6, 12}, (), ()),
    "A4C+R(12or14)B+38": ("A4C+R12B?+R14B?+38", {4, 38}, {12, 14}, (), ()),
    "6B+12B+((8+25)or(50))": ("6B+8?+12B+25?+50?", {6, 12}, {8, 25, 50}, (), ()),
    "31?": ("31?", set(), {31}, (), ()),
    "12B ?": ("12B?", set(), {12}, (), ()),
    "ref(7B)+43": ("7B?+43", {43}, {7}, (), ()),
    "2+Ref(14)": ("2+14?", {2}, {14}, (), ()),
    "(loses 1+2) or (4(B/C))": ("4(B/C)?", set(), {4}, ("loses 1+2",), ()),
    "7B+double 45": ("7B+45", {7, 45}, set(), ("double",), ()),
    "twice - L1B+L2B+25": ("L1B+L2B+25", {1, 2, 25}, set(), ("twice",), ()),
    "80 (big swallow)": ("80", {80}, set(), ("big swallow",), ()),
    "R14+17+soft focus": ("R14+17", {14, 17}, set(), ("soft focus",), ()),
    "Chewing": ("", set(), set(), ("Chewing",), ()),
    "?": ("", set(), set(), (), ()),
    "": ("", set(), set(), (), ()),
    None: ("", set(), set(), (), ()),
    "6C/D+ref(7)12E+25": ("6(C/D)+7?+12E+25", {6, 12, 25}, {7}, (), ("'+' inserted after ')'",)),
    "9A ref (L12 or L10)": ("9A+L10?+L12?", {9}, {10, 12}, (), ("'+' inserted before 'ref('",)),
    "7A/B+L10A/B)+ref(11)": ("7(A/B)+L10(A/B)+11?", {7, 10}, {11}, (), ("unmatched ')' dropped",)),
}


@pytest.mark.parametrize("text", list(QUIRKS), ids=[repr(t) for t in QUIRKS])
def test_every_quirk_of_the_sheets_reads_to_its_canonical_form(text):
    canonical, present, uncertain, notes, repairs = QUIRKS[text]
    coding = parse_au_codes(text)
    assert coding.canonical == canonical
    assert coding.present == present
    assert coding.uncertain == uncertain
    assert coding.notes == notes
    assert coding.repairs == repairs
    assert coding.coded == bool(present | uncertain)


def test_a_code_holds_number_side_intensity_and_alternatives():
    code = parse_au_codes("L12B").codes[0]
    assert code == AUCode(12, "L", "B", False, ())
    alternatives = {c.number: c for c in parse_au_codes("R14A or 17A or 24A").codes}
    assert alternatives[14] == AUCode(14, "R", "A", True, (17, 24))
    assert alternatives[24].alternatives == (14, 17)


@pytest.mark.parametrize("text", ["L12B", "(A/L)12(A/B)", "A4(B/C)", "31?", "T18"])
def test_canonical_text_reads_back_to_the_same_codes(text):
    coding = parse_au_codes(text)
    assert parse_au_codes(coding.canonical).codes == coding.codes


@pytest.mark.parametrize("text, message", [
    ("4x", "not an AU code"),
    ("4++7", "empty term"),
    ("(4+7", "unclosed"),
    ("4+120", "not a FACS code"),
    ("4 or", "empty alternative"),
])
def test_an_unreadable_cell_names_the_file_and_row(text, message, tmp_path):
    sheet = tmp_path / "sheet.xlsx"
    with pytest.raises(DataError, match=message) as info:
        parse_au_codes(text, sheet, 17)
    assert info.value.path == str(sheet) and info.value.row == 17
    assert f"{sheet}, row 17" in str(info.value) and repr(text) in str(info.value)


def test_every_row_of_the_real_sheets_parses(shared_data):
    from microexp.datasets.au_labels import AU_SHEETS, read_au_sheet

    sheets = shared_data / "annotations"
    if not (sheets / "CASME2").is_dir():
        pytest.skip(f"coding sheets not found under {sheets}")
    rows = {db: read_au_sheet(db, sheets, strict=False) for db in AU_SHEETS}
    assert {db: len(df) for db, df in rows.items()} == {"casme2": 255, "samm": 159, "casme3": 860, "casme_sq": 357,
                                                        "samm_lv": 502}
    assert all(not df.attrs["problems"] for df in rows.values())
    uncoded = {db: int((~df["coding"].map(lambda c: c.coded)).sum()) for db, df in rows.items()}
    assert uncoded == {"casme2": 5, "samm": 0, "casme3": 0, "casme_sq": 0, "samm_lv": 2}  # '?', Chewing, reaction?
    assert any("'+' inserted" in r for r in rows["samm_lv"]["repairs"])
