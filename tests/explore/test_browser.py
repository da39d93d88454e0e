"""The explorer in a real headless Chromium, on a run of 2,000+ directions of the bundled MiniLM.

It loads the index (from file:// and from the loopback server), searches a word, opens a
direction, checks that its histograms and samples are drawn, and that hostile sentences and
annotator descriptions stay text. Load times are printed (measured, not asserted).
"""

import threading

import pytest

from illusion.explore.serve import server, url
from illusion.explore.site import write_site
from tests.helpers.browser import chromium
from tests.helpers.explore_runs import HOSTILE

pytestmark = pytest.mark.slow


def ready(page, address: str) -> float:
    """Go to ``address`` and wait until its view is drawn; milliseconds since the document's navigation began."""
    if page.url == address:
        page.reload()  # the same address fires no hashchange
    else:
        if page.url.startswith(("file:", "http:")):
            page.evaluate("delete document.body.dataset.ready")  # a new address in the same document: wait for its own view
        page.goto(address)
    page.wait_for_selector("body[data-ready]", state="attached")
    return page.evaluate("performance.now()")


def check_explorer(page, base: str, manifest: dict, hostile: str) -> None:
    loaded = ready(page, base + "index.html")
    print(f"\nindex of {len(manifest['directions'])} directions interactive after {loaded:.0f} ms ({base[:7]})")
    assert page.locator("#directions tbody tr").count() == 100
    assert f"of {len(manifest['directions'])} directions" in page.locator(".pager").inner_text()
    page.click("#next")
    page.wait_for_selector('body[data-ready*="page=1"]', state="attached")
    assert "101\u2013200" in page.locator(".pager").inner_text()

    page.fill("#search", "parrot")
    page.press("#search", "Enter")
    page.wait_for_selector('body[data-ready*="q=parrot"]', state="attached")
    found = page.locator("#directions tbody tr")
    assert found.count() > 0 and "of 2016 directions" not in page.locator(".pager").inner_text()
    page.select_option("#condition", "neuron")
    page.wait_for_selector('body[data-ready*="c=neuron"]', state="attached")
    conditions = page.locator("#directions tbody td:nth-child(2)").all_inner_texts()
    assert set(conditions) <= {"neuron"}
    page.goto(base + "index.html")
    page.fill("#bound-overlap", "0.5")
    page.press("#bound-overlap", "Enter")
    page.wait_for_selector('body[data-ready*="overlap=0.5"]', state="attached")
    overlaps = page.locator("#directions tbody td:nth-child(5)").all_inner_texts()
    assert overlaps and all(int(value.rstrip("%")) <= 50 for value in overlaps)
    page.goto(base + "index.html#q=parrot&c=neuron")
    page.wait_for_selector('body[data-ready*="c=neuron"]', state="attached")

    found.first.locator("a").click()
    page.wait_for_selector("#sets")
    assert page.locator("#histogram path.bars").count() == 3  # one outline per dataset
    assert page.locator("#sets ol.samples li").count() > 0 and page.locator("#sets ol.top li").count() == 15
    assert page.locator("#sets ol.top li mark").count() > 0  # driving tokens marked
    assert "parrot" in page.locator("#sets").inner_text().lower()

    ready(page, base + "index.html#" + f"d={hostile}")
    assert any(text in page.locator("#sets").inner_text() for text in HOSTILE)  # shown as text
    ready(page, base + "index.html#" + f"d={manifest['directions'][0]['id']}")
    assert HOSTILE[1] in page.locator("#campaign").inner_text() and HOSTILE[0] in page.locator("main").inner_text()
    assert page.locator("main img, main script").count() == 0 and page.evaluate("window.owned") is None

    ready(page, base + "index.html#w=parrot")
    assert page.locator("#word tr").count() > 1 and "\u201cparrot\u201d" in page.locator("h1").inner_text()


@pytest.fixture(scope="module")
def explorer(big_run, tmp_path_factory):
    run_dir, manifest, hostile = big_run
    return write_site(run_dir, tmp_path_factory.mktemp("explorer") / "site"), manifest, hostile


def test_explorer_in_chromium_from_file_and_from_the_server(explorer):
    out, manifest, hostile = explorer
    with chromium() as browser:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        check_explorer(page, out.as_uri() + "/", manifest, hostile)
        httpd = server(out)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            check_explorer(page, url(httpd), manifest, hostile)
        finally:
            httpd.shutdown()
            httpd.server_close()
        assert errors == []
