"""The recording's report page: the HTML itself (data embedded, nothing to fetch, escaping) and, in
headless Chromium, what a reader does with it (click, keys, filter) without a single network request."""
from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from browser import chromium_driver, network_requests
from microexp.errors import DataError
from microexp.io import atomic_write_image, read_image
from microexp.report.recording_page import check_recording_report, render_recording_page, write_recording_page

CLASSES = ["negative", "positive", "surprise"]
FPS = 30.0
FRAMES = 3000
#: (type, onset, apex, offset, label, flags) of the three intervals, in time order.
INTERVALS = [("micro", 300, 306, 314, "positive", []),
             ("macro", 1500, 1540, 1610, "surprise", []),
             ("micro", 2400, 2405, 2413, "negative", ["poor_tracking", "face_partly_outside"])]


def _picture(path: Path, size: tuple[int, int], value: int) -> None:
    img = np.zeros((*size, 3), np.uint8)
    img[..., 0] = value
    img[size[0] // 4: 3 * size[0] // 4, size[1] // 4: 3 * size[1] // 4] = (230, 220, 200)
    atomic_write_image(path, img)


def synthetic_report(out: Path, intervals=INTERVALS, *, pictures: bool = True, title: str = "Session 1, camera A") -> dict:
    """A report of a 100-s recording with one tracking gap; its pictures are written under ``out``."""
    t = np.arange(0, FRAMES, 2)
    micro = 0.05 + 0.02 * np.sin(t / 40.0)
    macro = 0.03 + 0.01 * np.cos(t / 90.0)
    rows = []
    for k, (kind, onset, apex, offset, label, flags) in enumerate(intervals):
        bump = np.exp(-0.5 * ((t - apex) / (offset - onset + 1) * 3) ** 2)
        (micro if kind == "micro" else macro)[:] += 0.8 * bump
        ident = k + 1
        pics = {}
        if pictures:
            for j, part in enumerate(("onset", "apex", "flow", "strain")):
                rel = f"pictures/interval-{ident}-{part}.png"
                _picture(out / rel, (24 + 4 * j, 24 + 4 * j), 40 * ident)
                pics[part] = rel
        scores = dict(zip(CLASSES, np.full(3, 0.1)))
        scores[label] = 0.8
        rows.append({"id": ident, "type": kind, "onset": onset, "apex": apex, "offset": offset,
                     "score": np.float32(0.5 + 0.1 * k), "label": label, "class_scores": scores,
                     "aus": ["AU4", "AU12"][: k + 1], "tracking_quality": 0.55 if flags else 0.98, "flags": flags,
                     "pictures": pics})
    micro[(t >= 1200) & (t <= 1290)] = np.nan  # no face, no signal
    return {"title": title,
            "recording": {"source": "/data/session1/camA.mp4", "frames": FRAMES, "fps": FPS, "duration_s": FRAMES / FPS,
                          "width": 640, "height": 480},
            "model": {"name": "svm", "classes": CLASSES, "trained_on": "MEGC2019 composite (CASME II, SAMM, SMIC)",
                      "loso": {"uf1": 0.712, "uar": 0.698}, "au_model": "au-svm"},
            "spotter": {"name": "main-directional", "trained_on": "SAMM-LV",
                        "description": "Optical-flow magnitude in facial regions, thresholded per video."},
            "signal": {"frame_step": 2, "micro": micro, "macro": macro},
            "tracking": {"face_found_fraction": 0.97, "gaps": [[1200, 1290]]},
            "intervals": rows,
            "exports": {"csv": "intervals.csv", "json": "report.json"},
            "ground_truth": [{"type": "micro", "onset": 298, "offset": 312}, {"type": "macro", "onset": 1490, "offset": 1620}],
            "notes": ["The recogniser has not been validated on long recordings; see https://example.org/megc for MEGC."]}


def _embedded(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert block, "the report data is not embedded"
    return json.loads(block.group(1))


class _Links(HTMLParser):
    """Every attribute value, stylesheet and script text of a page (text nodes aside)."""

    def __init__(self):
        super().__init__()
        self.attributes: list[str] = []
        self.code: list[str] = []
        self._tag = None

    def handle_starttag(self, tag, attrs):
        self._tag = (tag, dict(attrs).get("type"))
        self.attributes += [v or "" for _, v in attrs]

    def handle_data(self, data):
        if self._tag and self._tag[0] == "style" or self._tag == ("script", None):
            self.code.append(data)

    def handle_endtag(self, tag):
        self._tag = None


# ---------------------------------------------------------------------------------------- the HTML
def test_page_embeds_the_report_and_writes_its_json(tmp_path):
    report = synthetic_report(tmp_path)
    index = write_recording_page(report, tmp_path)
    assert index == tmp_path / "index.html"
    page = index.read_text()
    data = _embedded(page)
    saved = json.loads((tmp_path / "report.json").read_text())
    assert data == saved
    assert [iv["id"] for iv in data["intervals"]] == [1, 2, 3]
    assert data["signal"]["micro"][600] is None  # NaN inside the tracking gap is written as null
    assert data["intervals"][0]["score"] == pytest.approx(0.5)
    assert 'href="intervals.csv"' in page and 'href="report.json"' in page
    assert "0.712" in page and "MEGC2019 composite" in page and "main-directional" in page


def test_page_fetches_nothing_and_urls_are_only_text(tmp_path):
    page = write_recording_page(synthetic_report(tmp_path), tmp_path).read_text()
    assert "https://example.org/megc" in page  # the note, as text
    parsed = _Links()
    parsed.feed(page)
    assert parsed.code, "no inline style or script found"
    for value in parsed.attributes:
        assert not re.match(r"\s*(https?:)?//", value), f"attribute links off the page: {value!r}"
    code = "\n".join(parsed.code)
    for forbidden in ("http://", "https://", "fetch(", "XMLHttpRequest", "import(", "@import", "url(", "<link rel=\"stylesheet"):
        assert forbidden not in code, forbidden
    assert re.findall(r"<script[^>]*\bsrc=", page) == []
    assert '<link rel="icon" href="data:,">' in page  # no favicon request either


def test_script_end_in_the_title_cannot_close_the_data(tmp_path):
    title = 'Subject </script><script>window.pwned = 1</script> & "co" <!--'
    page = render_recording_page(synthetic_report(tmp_path, pictures=False, title=title))
    assert page.count("</script>") == 2  # the data block's and the code's: none from the title
    assert "<!--" not in page
    assert "&lt;/script&gt;" in page  # the header and <title>, escaped as text
    assert _embedded(page)["title"] == title


def test_bad_reports_name_the_entry(tmp_path):
    report = synthetic_report(tmp_path, pictures=False)
    del report["intervals"][1]["apex"]
    with pytest.raises(DataError, match=r"report\['intervals'\]\[1\]: 'apex' is missing"):
        check_recording_report(report)
    report = synthetic_report(tmp_path, pictures=False)
    report["intervals"][0]["offset"] = FRAMES
    with pytest.raises(DataError, match=r"onset <= apex <= offset < frames \(3000\)"):
        check_recording_report(report)
    report = synthetic_report(tmp_path, pictures=False)
    report["intervals"][2]["pictures"] = {"onset": "https://example.org/x.png"}
    with pytest.raises(DataError, match=r"\['pictures'\]\['onset'\].*not a URL"):
        check_recording_report(report)
    report = synthetic_report(tmp_path, pictures=False)
    del report["model"]["classes"]
    with pytest.raises(DataError, match=r"report\['model'\]: 'classes' is missing"):
        check_recording_report(report)
    report = synthetic_report(tmp_path, pictures=False)
    report["recording"]["fps"] = "30"
    with pytest.raises(DataError, match=r"report\['recording'\]\['fps'\]: expected a number, got str"):
        check_recording_report(report)
    report = synthetic_report(tmp_path, pictures=False)
    report["intervals"][0]["pictures"] = {"apex": "pictures/missing.png"}
    with pytest.raises(DataError, match="missing.png' is not in"):
        write_recording_page(report, tmp_path / "out")


def _with_truth_matches(report: dict) -> dict:
    """The synthetic report with its first two intervals matched to the two ground-truth ones."""
    report["intervals"][0]["truth_match"], report["intervals"][1]["truth_match"] = 0, 1
    part = {"tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    report["truth_scores"] = {"micro": {**part, "fp": 1, "precision": 0.5, "f1": 2 / 3}, "macro": part,
                              "overall": {"tp": 2, "fp": 1, "fn": 0, "precision": 2 / 3, "recall": 1.0, "f1": 0.8}}
    return report


def test_ground_truth_matches_and_scores_are_checked(tmp_path):
    report = _with_truth_matches(synthetic_report(tmp_path, pictures=False))
    checked = check_recording_report(report)
    assert [iv["truth_match"] for iv in checked["intervals"]] == [0, 1, None]
    report["intervals"][2]["truth_match"] = 2
    with pytest.raises(DataError, match=r"\['truth_match'\]: 2 is not a position in the ground truth \(2 intervals\)"):
        check_recording_report(report)
    report = _with_truth_matches(synthetic_report(tmp_path, pictures=False))
    del report["truth_scores"]["macro"]["fn"]
    with pytest.raises(DataError, match=r"report\['truth_scores'\]\['macro'\]: 'fn' is missing"):
        check_recording_report(report)
    report = _with_truth_matches(synthetic_report(tmp_path, pictures=False))
    report["ground_truth"] = None
    report["intervals"][0]["truth_match"] = report["intervals"][1]["truth_match"] = None
    with pytest.raises(DataError, match="scores against a ground truth that is not given"):
        check_recording_report(report)


# ---------------------------------------------------------------------------------------- in Chromium
@pytest.fixture(scope="module")
def driver():
    with chromium_driver(1400, 900) as d:
        yield d


def _open(driver, index: Path, fragment: str = "") -> None:
    driver.get_log("performance")  # drop the events of pages opened before
    driver.get(index.resolve().as_uri() + fragment)
    driver.find_element("id", "report-data")


def _selected_id(driver) -> int:
    return int(driver.find_element("css selector", "#interval-table tbody tr.selected td").text)


def _wait(driver, condition, what: str, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, what
        time.sleep(0.05)


def _wait_for_picture(driver, kind: str):
    img = driver.find_element("css selector", f"#detail-{kind} img")
    _wait(driver, lambda: driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img),
          f"the {kind} picture did not load: {img.get_attribute('src')}")
    return img


def _assert_shows_second(driver) -> None:
    assert _selected_id(driver) == 2
    img = _wait_for_picture(driver, "onset")
    assert img.get_attribute("src").endswith("pictures/interval-2-onset.png")
    assert driver.execute_script("return arguments[0].naturalWidth", img) == 24
    assert driver.find_element("id", "detail-label").text == "surprise"
    assert driver.find_element("id", "detail-id").text == "#2"


def test_clicks_keys_and_no_network_in_chromium(driver, tmp_path):
    index = write_recording_page(synthetic_report(tmp_path), tmp_path)
    _open(driver, index)
    marks = driver.find_elements("css selector", "#timeline .iv")
    rows = driver.find_elements("css selector", "#interval-table tbody tr")
    assert len(marks) == len(rows) == 3
    assert len(driver.find_elements("css selector", "#timeline .truth")) == 2
    assert len(driver.find_elements("css selector", "#timeline .gap")) == 1
    assert "flagged" in rows[2].get_attribute("class")
    flags = rows[2].find_elements("css selector", ".flag")
    assert [f.get_attribute("title") for f in flags] == ["poor tracking", "face partly outside"]
    assert _selected_id(driver) == 1  # the first interval is shown when the page opens

    rows[1].click()
    _assert_shows_second(driver)
    rows[0].click()
    assert _selected_id(driver) == 1
    marks[1].click()
    _assert_shows_second(driver)
    _wait(driver, lambda: driver.execute_script("return location.hash") == "#interval-2", "the address names the selection")

    body = driver.find_element("tag name", "body")
    body.send_keys("j")
    assert _selected_id(driver) == 3
    assert "poor tracking" in driver.find_element("id", "detail-flags").text
    body.send_keys("k")
    assert _selected_id(driver) == 2
    driver.switch_to.active_element.send_keys("\ue015")  # arrow down, from the focused row
    assert _selected_id(driver) == 3

    driver.find_element("css selector", ".filter button[data-filter='micro']").click()
    assert [r.is_displayed() for r in rows] == [True, False, True]
    body.send_keys("k")
    assert _selected_id(driver) == 1  # the hidden macro interval is skipped

    urls = network_requests(driver)
    assert urls and urls[0] == index.resolve().as_uri()
    assert all(u.startswith(("file://", "data:")) for u in urls), urls
    assert any(u.endswith("interval-2-onset.png") for u in urls)
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(u.startswith(("file://", "data:")) for u in resources), resources
    assert driver.get_log("browser") == []  # no script error, no refused load

    png = tmp_path / "page.png"
    assert driver.save_screenshot(str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shot = read_image(png)
    assert shot.shape[:2] == (900, 1400) and shot.std() > 20  # not a blank page
    assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 200


def test_ground_truth_column_scores_and_detail_in_chromium(driver, tmp_path):
    index = write_recording_page(_with_truth_matches(synthetic_report(tmp_path / "with")), tmp_path / "with")
    _open(driver, index)
    assert driver.find_element("id", "th-truth").is_displayed()
    cells = [r.find_elements("css selector", "td")[8] for r in driver.find_elements("css selector", "#interval-table tbody tr")]
    assert [c.text for c in cells] == ["✓ 298–312", "✓ 1490–1620", "no match"]
    assert cells[2].get_attribute("title") == "IoU < 0.5 with every ground-truth micro interval"
    card = driver.find_element("css selector", "[aria-labelledby='card-found']").text
    assert "micro F1\n0.667 · TP 1 FP 1 FN 0" in card and "overall F1\n0.800 · TP 2 FP 1 FN 0" in card
    assert "GROUND TRUTH\nmatchedIoU ≥ 0.5 with 298–312" in driver.find_element("id", "detail-facts").text
    driver.find_elements("css selector", "#interval-table tbody tr")[2].click()
    assert "GROUND TRUTH\nno matchIoU < 0.5 with every ground-truth micro interval" in \
        driver.find_element("id", "detail-facts").text
    assert driver.get_log("browser") == []
    report = synthetic_report(tmp_path, pictures=False)
    report["ground_truth"] = None
    _open(driver, write_recording_page(report, tmp_path / "without"))
    assert not driver.find_element("id", "th-truth").is_displayed()
    assert len(driver.find_elements("css selector", "#interval-table tbody tr")[0].find_elements("css selector", "td")) == 9
    assert "GROUND TRUTH" not in driver.find_element("id", "detail-facts").text.upper()


def test_title_script_does_not_run_and_the_address_selects(driver, tmp_path):
    title = "Subject </script><script>window.pwned = 1</script>"
    _open(driver, write_recording_page(synthetic_report(tmp_path, title=title), tmp_path), "#interval-3")
    assert driver.execute_script("return window.pwned") is None
    assert driver.find_element("id", "page-title").text == title
    assert len(driver.find_elements("css selector", "#interval-table tbody tr")) == 3
    assert _selected_id(driver) == 3  # a link to #interval-3 opens on it


def test_no_intervals_says_so(driver, tmp_path):
    _open(driver, write_recording_page(synthetic_report(tmp_path, intervals=[]), tmp_path))
    assert driver.find_element("id", "empty-message").is_displayed()
    assert "No expression found" in driver.find_element("id", "empty-message").text
    assert not driver.find_element("id", "detail").is_displayed()
    assert driver.find_elements("css selector", "#timeline .iv") == []
    driver.find_element("tag name", "body").send_keys("j")  # nothing to step to, and no error
    assert driver.get_log("browser") == []


@pytest.mark.slow
def test_thousands_of_intervals_stay_usable(driver, tmp_path):
    rng = np.random.default_rng(0)
    onsets = np.sort(rng.choice(np.arange(0, FRAMES - 40, 4), size=3000, replace=True))
    many = [("micro" if k % 3 else "macro", int(o), int(o) + 3, int(o) + 8, CLASSES[k % 3],
             ["poor_tracking"] if k % 7 == 0 else []) for k, o in enumerate(onsets)]
    report = synthetic_report(tmp_path, intervals=many, pictures=False)
    start = time.monotonic()
    _open(driver, write_recording_page(report, tmp_path))
    assert time.monotonic() - start < 30  # a few seconds on a busy two-core machine
    assert driver.execute_script("return document.querySelectorAll('#interval-table tbody tr').length") == 3000
    assert driver.execute_script("return document.querySelectorAll('#timeline .iv').length") == 3000
    body = driver.find_element("tag name", "body")
    for _ in range(25):
        body.send_keys("j")
    assert _selected_id(driver) == driver.execute_script(
        "return JSON.parse(document.getElementById('report-data').textContent).intervals"
        ".sort((a, b) => a.onset - b.onset || a.offset - b.offset || a.id - b.id)[25].id")
    row = driver.find_element("css selector", "#interval-table tbody tr.selected")
    assert driver.execute_script(  # scrolled into view inside the table
        "const r = arguments[0].getBoundingClientRect(), w = document.getElementById('table-wrap').getBoundingClientRect();"
        "return r.top >= w.top && r.bottom <= w.bottom + 1", row)
    assert driver.find_element("css selector", "#detail-onset").get_attribute("class") == "missing"
