"""The HTML page: self-contained, escaped, with its plots and the direction x dataset grid."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from illusion.annotations.agreement.compute import compute_agreement
from illusion.annotations.agreement.ratings import load_labelled_run
from illusion.annotations.agreement.report import render_html
from tests.helpers.labelled_runs import direction_row, pair_row

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'

# stats.json of a run whose dataset classifier is 97% accurate (and no other automatic statistics)
ACCURATE = {
    "directions": {},
    "conditions": {},
    "separability": {"labels": ["wiki-math", "bible"], "accuracy": 0.97, "chance": 0.5, "confusion": None},
}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.fixture
def page(make_run):
    rows = [
        direction_row(
            "neuron:1", dataset, annotator, pattern="yes", fits=[1, 2], description=HOSTILE if dataset == "bible" else "dates"
        )
        for dataset in ("wiki-math", "bible")
        for annotator in ("ann-a", "ann-b")
    ]
    rows += [
        direction_row("neuron:2", "jokes", annotator, pattern=vote) for annotator, vote in (("ann-a", "yes"), ("ann-b", "no"))
    ]
    rows += [pair_row("neuron:1", "wiki-math", "bible", annotator, "same") for annotator in ("ann-a", "ann-b")]
    run = load_labelled_run(make_run(rows, directions={"neuron:1": "neuron", "neuron:2": "neuron"}, stats=ACCURATE))
    return render_html(compute_agreement(run, n_resamples=100, seed=0))


def test_untrusted_text_is_escaped(page):
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    tags = Tags()
    tags.feed(page)
    assert not [tag for tag, _ in tags.tags if tag in {"script", "img", "iframe", "object", "embed"}]
    assert not [attrs for _, attrs in tags.tags if any(name.startswith("on") for name in attrs)]


def test_self_contained(page):
    tags = Tags()
    tags.feed(page)
    assert not [tag for tag, _ in tags.tags if tag == "link"]
    assert not [attrs for _, attrs in tags.tags if "src" in attrs or "href" in attrs]
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)  # the SVG namespace is a name, not a fetch


def test_plots_and_grid(page):
    assert page.count("<svg") == 5  # outcomes, fits, reliability, concepts, same concept
    assert "neuron:2" in page and "conflict 1/2" in page  # a grid cell
    assert "an agreed pattern in 2 of 4 datasets" in page  # the call's reason
    assert "accuracy 0.97" in page
    assert "Krippendorff" in page and "Cohen" in page


def test_an_axis_longer_than_300_gets_round_ticks_inside_it(make_run):
    rows = [direction_row("neuron:1", "bible", name, pattern="yes", fits=[1, 400]) for name in ("ann-a", "ann-b")]
    run = load_labelled_run(make_run(rows, directions={"neuron:1": "neuron"}, k=1000))
    result = compute_agreement(run, n_resamples=0, seed=0)
    assert result["settings"]["k"] == 1000
    fits = re.search(r'<svg[^>]*aria-label="Mean number of sentences.*?</svg>', render_html(result), re.S).group()
    assert re.findall(r'class="tick">([^<]*)<', fits) == ["0", "200", "400", "600", "800", "1000"]
