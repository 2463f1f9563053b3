"""Screenshots of the catalogue page for the README: docs/page-desktop.png and docs/page-phone.png.

Publishes eight nights of a synthetic 300-link list (counts moving each night) as `avenrich run` does, opens the
page in Debian's chromium (Playwright) and captures it at desktop and phone widths.

    python scripts/page_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from page_data import chromium_path, publish_nights, synthetic_records  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        sys.exit("screenshots: Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        path = publish_nights(Path(tmp), "awesome-list", [synthetic_records(300, night) for night in range(8)])
        browser = p.chromium.launch(executable_path=executable)
        shots = (("desktop", {"width": 1280, "height": 1500}, False), ("phone", {"width": 390, "height": 1500}, True))
        for label, viewport, mobile in shots:
            context = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=mobile)
            tab = context.new_page()
            tab.goto(path.as_uri() + "?year=2016-2023")
            tab.wait_for_selector("html[data-ready]")
            target = args.out / f"page-{label}.png"
            tab.screenshot(path=str(target))
            print(target)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
