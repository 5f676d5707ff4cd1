"""A screenshot of a page opened from disk by headless Chromium (no selenium, no server), for
benchmarks that show their HTML reports:

    from _browser import screenshot
    png = screenshot(run_dir / "index.html", run_dir / "plots" / "page.png")   # None without Chromium
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("MICROEXP_CHROMIUM", "/usr/bin/chromium")

#: No sandbox (benchmarks often run as root in a container), no GPU, no traffic of the browser's own.
CHROMIUM_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-extensions",
                 "--disable-sync", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                 "--force-device-scale-factor=1", "--virtual-time-budget=5000")


def chromium_path() -> str | None:
    """The Chromium executable: ``MICROEXP_CHROMIUM``, ``/usr/bin/chromium``, or one on PATH."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(page: str | Path, png: str | Path, width: int = 1400, height: int = 900, *, fragment: str = "",
               timeout_s: float = 120.0) -> Path | None:
    """Save what a ``width`` x ``height`` window shows of ``page`` (``#fragment`` appended, e.g.
    ``"interval-3"``) as ``png``; returns its path, or None when Chromium is absent or fails."""
    binary = chromium_path()
    if binary is None:
        return None
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    url = Path(page).resolve().as_uri() + (f"#{fragment}" if fragment else "")
    with tempfile.TemporaryDirectory(prefix="microexp-chromium-") as profile:
        cmd = [binary, *CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={png}", url]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
    return png if png.is_file() and png.stat().st_size > 0 else None
