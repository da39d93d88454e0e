"""The explorer's page weights and load times in headless Chromium: the default run (58 directions, 5 datasets)
and 10,000 random directions over 10 datasets of the embedded corpora.

    python benchmarks/explore.py [--sizes 58 10000] [--n 300] [--rounds 3]

Needs Playwright and a Chromium (Debian's ``chromium``, or ``playwright install chromium``).
Times are the page's own ``performance.now()`` when the view is drawn, median of ``--rounds``
fresh pages; weights are the bytes a view loads (page, script, style and data files).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import RESULTS, machine

from illusion.common.files import write_json
from illusion.diagnostics.suite import write_diagnostics
from illusion.explore.site import STATIC, write_site
from illusion.report.run_report import render
from illusion.run.config import load_config
from illusion.run.pipeline import run

TOPICS = ["People", "Mathematics", "Arts", "Geography", "History", "Technology", "Physical sciences"]


def config_text(directions: int, n: int) -> str:
    """The default run, or ``directions`` random directions over 10 datasets of ``n`` sentences."""
    datasets = [(f"wiki-{t.split()[0].lower()}", f'plugin = "wikipedia"\ntopics = ["{t}"]\nn = {n}') for t in TOPICS]
    datasets += [(name, f'plugin = "{name}"\nn = {n}') for name in ("bible", "conversations", "jokes")]
    text = 'seed = 0\nk = 10\ncontrols = 1\n\n[model]\nplugin = "transformer"\n'
    text += "".join(f'\n[[datasets]]\nname = "{name}"\n{options}\n' for name, options in datasets)
    return text + f'\n[[samplers]]\nplugin = "random"\ncount = {directions}\n'


def size(paths: list[Path]) -> int:
    return sum(path.stat().st_size for path in paths)


def timed_view(browser, address: str, rounds: int) -> float:
    """Median milliseconds from navigation to the view drawn, over fresh pages."""
    times = []
    for _ in range(rounds):
        page = browser.new_page()
        page.goto(address)
        page.wait_for_selector("body[data-ready]", state="attached", timeout=60_000)
        times.append(page.evaluate("performance.now()"))
        page.close()
    return round(statistics.median(times), 1)


def measure(browser, site: Path, first: str, rounds: int) -> dict[str, float]:
    base = site.as_uri() + "/index.html"
    data = site / "data"
    shard = json.loads((data / "d" / "0.js").read_text(encoding="utf-8")[len('EXPLORE.put("d/0",') : -3])[0]
    intervals = shard.get("samples") or [{"n": []} for _ in shard["sets"]]
    samples = [[n for interval in found["n"] for n in interval] for found in intervals]
    blocks = {
        data / "s" / str(d) / f"{n // 500}.js"
        for d, found in enumerate(shard["sets"])
        for n in [*found["top"]["n"], *found["bottom"]["n"], *samples[d]]
        if n >= 0
    }
    return {
        "index_ms": timed_view(browser, base, rounds),
        "direction_ms": timed_view(browser, f"{base}#d={first}", rounds),
        "search_ms": timed_view(browser, f"{base}#q=the", rounds),
        "index_bytes": size([site / "index.html", *(site / name for name in STATIC), data / "index.js"]),
        "direction_bytes": size(
            [site / "index.html", *(site / name for name in STATIC), data / "index.js", data / "d" / "0.js", *blocks]
        ),
        "folder_bytes": size([p for p in site.rglob("*") if p.is_file()]),
        "files": sum(1 for p in site.rglob("*") if p.is_file()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[58, 10000])
    parser.add_argument("--n", type=int, default=300, help="sentences per dataset of the large run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = {"machine": machine(), "runs": []}
    work = Path(tempfile.mkdtemp(prefix="illusion-explore-bench-"))
    try:
        with sync_playwright() as playwright:
            executable = os.environ.get("ILLUSION_CHROMIUM") or shutil.which("chromium")
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            for count in args.sizes:
                folder = work / str(count)
                folder.mkdir()
                config = None if count == 58 else folder / "run.toml"
                if config:
                    config.write_text(config_text(count, args.n))
                start = time.perf_counter()
                result = run(load_config(config), folder / "run")
                ran = time.perf_counter() - start
                start = time.perf_counter()
                write_diagnostics(folder / "run", datasets=result.datasets)
                diagnosed = time.perf_counter() - start
                start = time.perf_counter()
                site = write_site(folder / "run", folder / "site")
                built = time.perf_counter() - start
                row = {
                    "directions": len(result.manifest.directions),
                    "datasets": len(result.manifest.datasets),
                    "sentences": sum(d.size for d in result.manifest.datasets),
                    "run_s": round(ran, 1),
                    "profiles_s": result.timings.get("profiles"),
                    "diagnose_s": round(diagnosed, 1),
                    "build_s": round(built, 1),
                    "report_bytes": len(render(folder / "run").encode("utf-8")),
                    "profile_bytes": size(list((folder / "run").glob("profile-*"))),
                    **measure(browser, site, result.manifest.directions[0].id, args.rounds),
                }
                print(json.dumps(row), flush=True)
                results["runs"].append(row)
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_json(RESULTS / "explore.json", results)


if __name__ == "__main__":
    main()
