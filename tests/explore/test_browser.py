"""The explorer in a real headless Chromium, on a run of 2,000+ directions of the bundled MiniLM.

It loads the index (from file:// and from the loopback server), searches a word, opens a
direction, checks that its histograms and samples are drawn, and that hostile sentences and
annotator descriptions stay text. Load times are printed (measured, not asserted).
"""

import json
import threading

import pytest

from illusion.explore.serve import server, url
from illusion.explore.site import write_site
from illusion.run.config import load_config
from illusion.run.folder import AGREEMENT
from illusion.run.pipeline import run
from tests.helpers.browser import chromium
from tests.helpers.run_configs import write_text_run_config

pytestmark = pytest.mark.slow

HOSTILE = ['<script>window.owned = "script"</script> the cat', "<img src=x onerror=\"window.owned = 'img'\"> the dog"]
SUBJECTS = ["the cat", "a dog", "the horse", "my parrot", "the old fox", "a small mouse", "the king", "a prophet"]
VERBS = ["sat on", "ran past", "looked at", "slept near", "was hiding behind"]
PLACES = ["the mat", "the temple", "the river", "a wooden box", "the garden", "the mountain"]


def sentences(seed: int, count: int) -> list[str]:
    return [
        f"{SUBJECTS[(i + seed) % 8]} {VERBS[(i * 3 + seed) % 5]} {PLACES[(i * 7 + seed) % 6]} number {i}." for i in range(count)
    ]


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    """The static explorer of a 2,016-direction run whose first direction has a labelled campaign with hostile descriptions."""
    folder = tmp_path_factory.mktemp("explore-browser")
    config = write_text_run_config(
        folder,
        {"stories": sentences(0, 40) + HOSTILE, "fables": sentences(3, 40), "chronicle": sentences(5, 40)},
        "all-MiniLM-L6-v2",
        samplers=({"plugin": "random", "count": 2000}, {"plugin": "neuron", "count": 16}),
        k=5,
        controls=1,
    )
    result = run(load_config(config), folder / "run")
    first = result.manifest["directions"][0]["id"]
    campaign = {"datasets": {"stories": {"call": "pattern", "votes": {"yes": 2, "no": 0}, "descriptions": [HOSTILE[1]]}}}
    (folder / "run" / AGREEMENT).write_text(
        json.dumps({"cross_dataset": {"directions": {first: {"call": "dataset-level", "reason": HOSTILE[0], **campaign}}}})
    )
    hostile = next(r["direction"] for r in result.topk if any(e["text"] in HOSTILE for e in r["top"]))
    return write_site(folder / "run", folder / "site"), result.manifest, hostile


def ready(page, address: str) -> float:
    """Go to ``address`` and wait until its view is drawn; milliseconds since navigation began, as the page measures them."""
    page.goto(address)
    page.wait_for_function("document.body.dataset.ready !== undefined")
    return page.evaluate("performance.now()")


def check_explorer(page, base: str, manifest: dict, hostile: str) -> None:
    loaded = ready(page, base + "index.html")
    print(f"\nindex of {len(manifest['directions'])} directions interactive after {loaded:.0f} ms ({base[:7]})")
    assert page.locator("#directions tbody tr").count() == 100
    assert f"of {len(manifest['directions'])} directions" in page.locator(".pager").inner_text()
    page.click("#next")
    page.wait_for_function("document.body.dataset.ready.includes('page=1')")
    assert "101\u2013200" in page.locator(".pager").inner_text()

    page.fill("#search", "parrot")
    page.press("#search", "Enter")
    page.wait_for_function("document.body.dataset.ready.includes('q=parrot')")
    found = page.locator("#directions tbody tr")
    assert found.count() > 0 and "of 2016 directions" not in page.locator(".pager").inner_text()
    page.select_option("#condition", "neuron")
    page.wait_for_function("document.body.dataset.ready.includes('c=neuron')")
    conditions = page.locator("#directions tbody td:nth-child(2)").all_inner_texts()
    assert set(conditions) <= {"neuron"}

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
