"""report.html stays a one-page summary for any run: above CARDS directions it shows both ends of the ranking and links to the explorer."""

import re
import shutil

import pytest

from illusion.report.run_report import CARDS, ends, render, shown
from illusion.run.folder import DIAGNOSTICS


def test_short_runs_show_everything_long_ones_both_ends_of_the_ranking():
    few = [f"d{i}" for i in range(CARDS)]
    assert shown(few, few[::-1]) == few and ends(few) == list(enumerate(few, 1))
    many = [f"d{i}" for i in range(CARDS * 3)]
    ranking = many[::-1]
    assert shown(many, []) == many[:CARDS]
    picked = ends(ranking)
    assert len(picked) == CARDS and picked[0] == (1, ranking[0]) and picked[-1] == (len(many), ranking[-1])
    assert shown(many, ranking) == [i for _, i in picked]


@pytest.mark.slow
def test_report_of_two_thousand_directions_is_small_and_links_the_explorer(big_run, tmp_path):
    run_dir, manifest, _ = big_run
    page = render(run_dir)
    size = len(page.encode("utf-8"))
    print(f"\nreport.html of {len(manifest['directions'])} directions: {size / 1e3:.0f} kB")
    assert size < 5e6
    cards = re.findall(r'<h3 id="d-\d+">([^<]+) <a class="tag" href="explore/index.html#d=([^"]+)">explore</a>', page)
    assert len(cards) == CARDS and all(name.replace(":", "%3A") == link for name, link in cards)
    assert f"This run has {len(manifest['directions'])} directions" in page and "most and least illusion-like" in page
    undiagnosed = tmp_path / "run"
    shutil.copytree(run_dir, undiagnosed)
    (undiagnosed / DIAGNOSTICS).unlink()
    first = re.findall(r'<h3 id="d-\d+">([^<]+) <a', render(undiagnosed))
    assert first == [d["id"] for d in manifest["directions"][:CARDS]]
