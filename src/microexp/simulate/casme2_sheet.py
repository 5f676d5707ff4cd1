"""Writing a coding sheet in CASME II's format, byte for byte the same for the same rows.

The real ``CASME2-coding-20140508.xlsx`` has three sheets; Sheet1 holds the columns below, with
``Subject`` stored as text (``'01'``), frame numbers as integers, ``Action Units`` as an integer
when a single bilateral unit was coded (``12``) and as text otherwise (``'4+L10'``), and the
emotion in lower case. openpyxl stamps workbooks with the current time and the zip members with
the time of writing; both are pinned here so that the same seed gives the same file.
"""
from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

from ..io import atomic_write_bytes

#: CASME II's Sheet1 header, in order.
CASME2_COLUMNS: tuple[str, ...] = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame",
                                   "Action Units", "Estimated Emotion")
#: Time written into the workbook's properties and zip members (the zip format's earliest date).
FIXED_TIMESTAMP = datetime.datetime(1980, 1, 1, 0, 0, 0)


def _pin_zip_times(data: bytes) -> bytes:
    """The zip archive ``data`` with every member's time set to :data:`FIXED_TIMESTAMP`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def casme2_sheet_bytes(rows: list[dict]) -> bytes:
    """xlsx bytes of a CASME II coding sheet; each row maps :data:`CASME2_COLUMNS` to values."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(list(CASME2_COLUMNS))
    for r in rows:
        ws.append([r[c] for c in CASME2_COLUMNS])
    for cell in ws["A"]:
        cell.number_format = "@"  # CASME II stores subjects as text: '01', not 1
    wb.create_sheet("Sheet2")
    wb.create_sheet("Sheet3")
    wb.properties.creator = "microexp simulator"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    buf = io.BytesIO()
    # ExcelWriter directly: save_workbook would overwrite ``modified`` with the current time
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return _pin_zip_times(buf.getvalue())


def write_casme2_sheet(path: str | Path, rows: list[dict]) -> Path:
    """Write the coding sheet atomically; returns ``path``."""
    return atomic_write_bytes(path, casme2_sheet_bytes(rows))
