"""The report and the terminal summary put the model/scale caveat beside each finding that differs from the paper, and only there."""

from __future__ import annotations

import copy
import json
import re

import pytest
from rich.console import Console

from illusion.commands.diagnose import print_summary
from illusion.report.run_report import render
from tests.helpers.run_configs import write_text_run_config
from tests.helpers.word_runs import cli, word_sentences

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_bert):
    """A run of the paper's k = 10 on two datasets of 60 sentences each."""
    config = write_text_run_config(tmp_path_factory.mktemp("data"), word_sentences(), tiny_bert, seed=2, k=10, controls=1)
    out = tmp_path_factory.mktemp("run") / "out"
    assert cli("run", config, "--out", out, "--quiet") == 0
    return out


def diagnostics(run_dir):
    return json.loads((run_dir / "diagnostics.json").read_text(encoding="utf-8"))


def caveats(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="caveat" data-finding="(\w+)">(.*?)</p>', html, re.DOTALL))


def test_the_run_report_states_the_caveat_beside_exactly_the_findings_that_differ(run_dir):
    paper = diagnostics(run_dir)["paper"]
    differing = {name for name, finding in paper["findings"].items() if finding["status"] == "differs"}
    assert "on 2 datasets of 60 sentences: see docs/reproduction.md" in paper["caveat"]
    shown = caveats((run_dir / "report.html").read_text(encoding="utf-8"))
    assert set(shown) == differing
    assert all(paper["caveat"] in line for line in shown.values())
    assert paper["findings"]["locality"]["status"] == "not comparable" and "locality" not in shown


def test_a_finding_that_matches_or_is_not_comparable_has_no_caveat(run_dir):
    changed = copy.deepcopy(diagnostics(run_dir))
    findings = changed["paper"]["findings"]
    findings["range_overlap"].update(
        status="differs", run=0.92, interval=[0.85, 0.97], interval_kind="95% bootstrap over neurons"
    )
    findings["outliers"]["status"] = "matches"
    findings["monotonicity_one"]["status"] = "not comparable"
    shown = caveats(render(run_dir, changed))
    assert "range_overlap" in shown and "92.0% (95% bootstrap over neurons 85.0%&ndash;97.0%)" in shown["range_overlap"]
    assert "outliers" not in shown and "monotonicity_one" not in shown


def test_reports_of_diagnostics_without_the_comparison_still_render(run_dir):
    older = {key: value for key, value in diagnostics(run_dir).items() if key != "paper"}
    assert caveats(render(run_dir, older)) == {}


def test_the_terminal_summary_names_the_differing_findings_then_the_caveat(run_dir):
    changed = copy.deepcopy(diagnostics(run_dir))
    for name, finding in changed["paper"]["findings"].items():
        finding["status"] = "differs" if name == "outliers" else "matches"
    console = Console(record=True, width=400)
    print_summary(console, changed)
    text = console.export_text()
    assert (
        f"differs from the paper: {changed['findings']['outliers']['title']}" in text
        and changed["findings"]["range_overlap"]["title"] not in text.split("differs from the paper")[1].split("\n")[0]
    )
    assert changed["paper"]["caveat"] in text
    for finding in changed["paper"]["findings"].values():
        finding["status"] = "matches"
    console = Console(record=True, width=400)
    print_summary(console, changed)
    assert changed["paper"]["caveat"] not in console.export_text()
