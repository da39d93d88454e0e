"""A run with a duplicate neuron and dataset-contrast directions: marked, not ranked; checks in report and terminal."""

import json

from tests.helpers.run_configs import write_text_run_config
from tests.helpers.word_runs import cli, word_sentences

SAMPLERS = (
    {"plugin": "neuron", "indices": [2, 5, 7]},
    {"plugin": "neuron", "label": "picked", "indices": [2]},
    {"plugin": "random", "count": 3},
    {"plugin": "dataset-contrast"},
)


def test_roles_duplicates_and_checks_reach_the_report_and_terminal(tiny_bert, tmp_path, capsys):
    config = write_text_run_config(tmp_path, word_sentences(), tiny_bert, samplers=SAMPLERS, seed=3, k=5, controls=0)
    out = tmp_path / "run"
    assert cli("run", config, "--out", out, "-q", "-s", f"cache_dir='{tmp_path / 'cache'}'") == 0
    terminal = " ".join(capsys.readouterr().err.split())
    result = json.loads((out / "diagnostics.json").read_text())
    score = result["illusion_score"]
    contrast = [i for i in score["directions"] if i.startswith("dataset-contrast:")]
    assert len(contrast) == 2 and all(score["directions"][i]["role"] == "dataset-level" for i in contrast)
    assert not set(contrast) & set(score["ranking"])
    assert score["directions"]["picked:2"]["duplicate_of"] == "neuron:2" and "picked:2" not in score["ranking"]
    suggested = score["label_first"] + score["likely_illusions"]
    assert suggested and all(i.startswith("neuron:") for i in suggested)
    assert result["sanity"]["roles"] == {
        "neuron": "candidate",
        "picked": "candidate",
        "random": "baseline",
        "dataset-contrast": "dataset-level",
    }
    checks = {c["check"] for c in result["sanity"]["checks"]}
    assert {"duplicate directions", "dataset-level directions", "near-constant vectors"} <= checks
    assert "warning: near-constant vectors" in terminal and "not suggested:" in terminal
    report = (out / "report.html").read_text()
    assert (
        "Sanity checks" in report and "duplicate of neuron:2" in report and "not ranked: dataset-level by construction" in report
    )
    assert (
        "0.026 for meaningful" not in report and "38% for neurons" not in report
    )  # k = 5: the paper's values are not comparable
