"""The static site (`restbench report --html`): self-contained pages, checked as files and in a real
headless Chromium (Debian's chromium + chromedriver, driven by selenium): no console errors,
sorting by a column header reorders the rows, figures load from the folder, the screenshot is
not blank."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from restbench.plugin.manager import load_plugins
from restbench.report.boards import load_store, write_reports

try:
    from test_report import SHA, make_summary, seal
except ImportError:  # pragma: no cover - run as a package
    from tests.report.test_report import SHA, make_summary, seal

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def registry():
    return load_plugins(autoload=True).registry


@pytest.fixture(scope="module")
def site(tmp_path_factory, registry) -> Path:
    """Boards, figures, paper tables and the site for a small store (Set12 σ15/σ25/σ50, BSD68, Set5 ×2/×3)."""
    root = tmp_path_factory.mktemp("store")
    seal(root, make_summary("dncnn-s25", "dncnn", "Set12", 30.4449, sigma=25, forward_s=0.9),
         [30.1, 30.5, 30.7344])
    seal(root, make_summary("dncnn-b-grey", "dncnn", "Set12", 30.4501, sigma=25, forward_s=0.6),
         [30.2, 30.4, 30.7503])
    seal(root, make_summary("identity", "identity", "Set12", 20.1700, sigma=25, forward_s=0.01),
         [20.1, 20.2, 20.21])
    seal(root, make_summary("dncnn-s15", "dncnn", "Set12", 32.8650, sigma=15))
    seal(root, make_summary("dncnn-s50", "dncnn", "Set12", 12.3456, sigma=50, eff=True))
    seal(root, make_summary("dncnn-s25", "dncnn", "BSD68", 29.2300, sigma=25, n=4))
    seal(root, make_summary("bicubic-x2", "bicubic", "Set5", 33.6642, 0.92994, scale=2, channels="rgb"))
    seal(root, make_summary("bicubic-x3", "bicubic", "Set5", 30.4033, 0.86894, scale=3, channels="rgb"))
    out = tmp_path_factory.mktemp("boards")
    write_reports(load_store(root), out, registry, html=True, protocols_doc="../docs/protocols.md")
    return out / "site"


class _Refs(HTMLParser):
    """Every src/href of a page, and whether it links any stylesheet or external script."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if key in a:
                self.refs.append((tag, key, a[key]))
        if tag == "link" or (tag == "script" and "src" in a):
            self.external.append(f"<{tag} {a}>")


def test_pages_are_self_contained(site):
    pages = sorted(site.glob("*.html"))
    names = {p.name for p in pages}
    assert {"index.html", "Set12.html", "BSD68.html", "Set5.html", "paper-DnCNN-TableIII.html",
            "paper-RCAN-Table2.html", "paper-Restormer-Table4.html"} <= names
    for page in pages:
        parser = _Refs()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.external == [], page.name
        for tag, key, ref in parser.refs:
            assert not re.match(r"^(https?:)?//", ref), (page.name, ref)  # nothing fetched from the network
            target = ref.split("#")[0]
            if target.startswith("../"):
                assert target == "../../docs/protocols.md", ref  # the only link out of the folder: the repo's docs
            elif target:
                assert (site / target).is_file(), (page.name, ref)
    # figures are copied in and linked relatively
    assert (site / "figures" / "Set12_psnr_vs_latency.svg").is_file()
    assert 'src="figures/Set12_per_image_psnr.svg"' in (site / "Set12.html").read_text()


def test_board_page_has_verdict_colours_and_complete_provenance(site):
    page = (site / "Set12.html").read_text(encoding="utf-8")
    assert re.search(r'<td data-sort="DEVIATES" class="v-deviates">DEVIATES</td>', page)
    assert page.count('class="v-reproduced"') == 2
    details = re.search(r"<details><summary>Provenance of the 5 row\(s\)</summary>(.*?)</details>", page, re.S).group(1)
    assert details.count("<li id=\"prov-") == 5
    assert SHA in details  # the full hash, not the 12-character one of the markdown footnote
    assert "&quot;ssim_data_range&quot;: 1.0" in details and "&quot;noise_order&quot;: &quot;rgb&quot;" in details
    assert '<a href="../../docs/protocols.md#kair-denoise"><code>kair-denoise</code></a>' in details
    assert "numpy 2.0.2" in details and "python 3.11.2" in details
    paper = (site / "paper-DnCNN-TableIII.html").read_text(encoding="utf-8")
    assert "30.36 → 30.4501 (+0.0901) ✗" in paper and "30.44 → 30.4449 (+0.0049) ✓" in paper
    assert "<code>restbench run --models dncnn-s50 --dataset Set12 --sigma 50</code>" in paper


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        why = f"{CHROMIUM} / {CHROMEDRIVER} not installed (apt-get install chromium chromium-driver; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(why)  # CI installs them: a missing browser there is a broken CI, not a skip
        pytest.skip(why)
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (requirements.txt)")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must never try to download a browser
    profile = tempfile.mkdtemp(prefix="restbench-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--window-size=1280,900"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(browser, page: Path) -> list[dict]:
    browser.get(page.as_uri())
    browser.execute_script("return document.readyState")
    return [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _column(browser, table_id: str, col: int) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#' + arguments[0] + ' tbody tr'))"
        ".map(r => r.cells[arguments[1]].textContent.trim());", table_id, col)


def test_pages_load_in_chromium_without_console_errors(site, browser):
    for name in ("index.html", "Set12.html", "Set5.html", "paper-DnCNN-TableIII.html", "paper-RCAN-Table2.html"):
        assert _open(browser, site / name) == [], name
    # every figure on the board page loaded from the folder (a broken relative link has naturalWidth 0)
    _open(browser, site / "Set12.html")
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0]);")
    assert images and all(ok for _, ok in images), images
    # the console does report errors: the check above is not vacuous
    browser.execute_script("console.error('restbench-test-probe')")
    assert any("restbench-test-probe" in e["message"] for e in browser.get_log("browser"))


def test_clicking_a_column_header_sorts_the_rows(site, browser):
    from selenium.webdriver.common.by import By

    _open(browser, site / "Set12.html")
    headers = browser.find_elements(By.CSS_SELECTOR, "#board thead th")
    names = [h.text.replace("↕", "").strip() for h in headers]
    psnr = names.index("PSNR (dB)")
    assert _column(browser, "board", 0) == ["dncnn-s15", "dncnn-b-grey", "dncnn-s25", "identity", "dncnn-s50"]
    headers[psnr].click()
    # ascending by PSNR; the efficiency-only row has no PSNR and stays last
    assert _column(browser, "board", 0) == ["identity", "dncnn-s25", "dncnn-b-grey", "dncnn-s15", "dncnn-s50"]
    assert _column(browser, "board", psnr) == ["20.1700", "30.4449", "30.4501", "32.8650", "—"]
    assert headers[psnr].get_attribute("aria-sort") == "ascending"
    headers[psnr].click()
    assert _column(browser, "board", 0) == ["dncnn-s15", "dncnn-b-grey", "dncnn-s25", "identity", "dncnn-s50"]
    assert headers[psnr].get_attribute("aria-sort") == "descending"
    run_ms = names.index("Run ms/img")  # numbers compare as numbers: 3.3 < 200.0 < 300.0
    headers[run_ms].click()
    assert _column(browser, "board", run_ms)[:2] == ["3.3", "200.0"]
    assert headers[psnr].get_attribute("aria-sort") is None
    # the index's tables sort too: papers by their not-run count, descending
    _open(browser, site / "index.html")
    heads = browser.find_elements(By.CSS_SELECTOR, "#papers thead th")
    not_run = [h.text.replace("↕", "").strip() for h in heads].index("Not run")
    heads[not_run].click()
    heads[not_run].click()
    counts = [int(x) for x in _column(browser, "papers", not_run)]
    assert counts == sorted(counts, reverse=True) and counts[0] == 30  # SwinIR Table 2: 30 claims, none run


def test_screenshot_is_not_blank(site, browser):
    from PIL import Image

    _open(browser, site / "Set12.html")
    img = np.asarray(Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB"), dtype=np.float64)
    assert img.shape[0] >= 400 and img.shape[1] >= 800
    assert img.std() > 10  # text, table borders, verdict colours on white
    # the verdict colours are on screen: the green of REPRODUCED cells (#dafbe1)
    green = np.all(np.abs(img - np.array([0xDA, 0xFB, 0xE1])) <= 2, axis=-1)
    assert green.sum() > 500


def test_site_shows_the_figures_the_board_shows_and_nothing_stale(tmp_path, registry):
    root = tmp_path / "results"
    seal(root, make_summary("dncnn-s25", "dncnn", "Set12", 30.4449, sigma=25, forward_s=0.9), [30.1, 30.5, 30.7])
    seal(root, make_summary("identity", "identity", "Set12", 20.17, sigma=25, forward_s=0.01), [20.1, 20.2, 20.2])
    out = tmp_path / "lb"
    write_reports(load_store(root), out, registry, html=True)
    page = (out / "site" / "Set12.html").read_text()
    assert page.count("<img ") == 3  # latency, params, per-image (no MACs: no profile)
    assert (out / "Set12_psnr_vs_latency.png").is_file()
    write_reports(load_store(root), out, registry, html=True, plots=False)  # the old PNG/SVG files stay beside it
    assert (out / "Set12_psnr_vs_latency.png").is_file()
    assert "<img " not in (out / "site" / "Set12.html").read_text() and not (out / "site" / "figures").exists()
