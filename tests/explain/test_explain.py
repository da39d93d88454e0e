"""``illusion explain``: a planted word is found and its explanation transfers; random directions' transfer gaps
centre on 0; the keywords statistic, the bootstrap AUROC, the table, on-demand directions and faulty explainers."""

from __future__ import annotations

import json
from collections import Counter
from importlib.resources import files

import jsonschema
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from illusion import ExplainerInput, ExplainerPlugin, Explanation, PluginError, hookimpl, open_run
from illusion.explain.bootstrap import Ranked
from illusion.explain.direction import Context, Settings, explain_spec
from illusion.explain.runner import load_explainers
from illusion.host import Host
from illusion.plugins.explainers import log_odds, terms
from illusion.run.data import load_run_data
from illusion.run.folder import EXPLANATIONS, RunFolder
from illusion.run.json_schemas import schema_name
from illusion.run.tables import EXPLANATION_COLUMNS
from tests.helpers.run_configs import write_text_run_config
from tests.helpers.word_runs import cli, word_sentences

PLANTED = "python"  # a word of the tiny BERT's vocabulary that neither dataset uses otherwise
RANDOM = 40


@pytest.fixture(scope="module")
def planted(tmp_path_factory, tiny_bert):
    """A run over two word-salad datasets, about a quarter of whose sentences end in the planted word, and a ``file:``
    direction from the mean vector of sentences with the word to the mean of those without."""
    folder = tmp_path_factory.mktemp("explain")
    rng = np.random.default_rng(5)
    sentences = {
        name: [line[:-1] + f" {PLANTED}." if rng.random() < 0.25 else line for line in lines]
        for name, lines in word_sentences(per_dataset=240, seed=4).items()
    }
    samplers = ({"plugin": "neuron", "count": 4}, {"plugin": "random", "count": RANDOM})
    config = write_text_run_config(folder, sentences, tiny_bert, samplers=samplers, k=10)
    assert cli("run", config, "--out", folder / "run", "-q") == 0
    run = load_run_data(folder / "run")
    vectors = np.concatenate([run.vectors[name] for name in run.names])
    has = np.array([PLANTED in text for name in run.names for text in run.texts(name)])
    np.save(folder / "planted.npy", (vectors[has].mean(axis=0) - vectors[~has].mean(axis=0))[None, :])
    return folder


def rows_of(run_dir):
    """The rows of the run's explanations.jsonl, checked against its model and the shipped JSON Schema."""
    lines = [json.loads(line) for line in (run_dir / EXPLANATIONS).read_text().splitlines()]
    rows = RunFolder(run_dir).explanations()
    assert [row.to_json() for row in rows] == lines
    schema = json.loads(files("illusion.run").joinpath("schemas", schema_name(EXPLANATIONS)).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert all(not list(validator.iter_errors(line)) for line in lines)
    return rows


def test_a_planted_word_is_found_in_both_datasets_and_transfers(planted):
    assert cli("explain", planted / "run", "-d", f"file:{planted / 'planted.npy'}", "-q") == 0
    rows = rows_of(planted / "run")
    assert sorted(row.source for row in rows) == ["animals", "scripture"]
    for row in rows:
        assert PLANTED in row.detector.removeprefix("words:").split(","), row.explanation
        [other] = [name for name in row.scores if name != row.source]
        assert row.scores[other].auroc > 0.8 and row.scores[other].verdict == "holds"
        low, high = row.scores[other].auroc_low, row.scores[other].auroc_high
        assert low < row.scores[other].auroc < high
        assert row.holds_elsewhere is True
        assert row.transfer_gap_low <= row.transfer_gap <= row.transfer_gap_high


def test_random_directions_transfer_gap_is_centred_on_zero(planted):
    assert cli("explain", planted / "run", "-q") == 0
    rows = rows_of(planted / "run")
    gaps = np.array([r.transfer_gap for r in rows if r.role == "baseline" and r.transfer_gap is not None])
    assert len({r.direction for r in rows if r.role == "baseline"}) > RANDOM // 2
    assert len(gaps) >= 10
    # the mean gap of random directions lies within 3 standard errors of 0, and is small in absolute terms
    assert abs(gaps.mean()) < 3 * gaps.std(ddof=1) / np.sqrt(len(gaps)) and abs(gaps.mean()) < 0.1
    frame = open_run(planted / "run").explanations()
    assert list(frame.columns) == EXPLANATION_COLUMNS and len(frame) == 2 * len(rows)
    assert set(frame.verdict) <= {"holds", "fails", "untestable"}
    assert cli("tables", planted / "run", "--format", "csv", "--out", planted / "tables") == 0
    assert (planted / "tables" / "explanations.csv").read_text().startswith(",".join(EXPLANATION_COLUMNS))


def test_a_dataset_outside_the_run_is_scored_but_not_explained_from(planted):
    lines = [f"the cat sat on the {PLANTED}." if n % 4 == 0 else "the dog sat on the mat." for n in range(40)]
    (planted / "extra.txt").write_text("\n".join(lines) + "\n")
    extra = f"text:path={planted / 'extra.txt'},name=extra,min_words=1,dedupe=false"
    assert cli("explain", planted / "run", "-d", f"file:{planted / 'planted.npy'}", "--dataset", extra, "-q") == 0
    rows = rows_of(planted / "run")
    assert sorted(row.source for row in rows) == ["animals", "scripture"]
    assert all(set(row.scores) == {"animals", "scripture", "extra"} for row in rows)
    assert all(row.scores["extra"].matches >= 10 and row.scores["extra"].auroc is not None for row in rows)


def test_an_unsampled_neuron_is_explained_on_demand(planted):
    host = Host()
    run = load_run_data(planted / "run", host)
    context = Context(run, host, load_explainers(host, ["keywords", "similar"]), Settings(replicates=20))
    neuron = next(n for n in range(32) if f"neuron:{n}" not in run.direction_ids)
    rows = explain_spec(context, f"neuron:{neuron}")
    assert {row.direction for row in rows} == {f"neuron {neuron}"} and rows
    for row in rows:
        assert set(row.scores) == {"animals", "scripture"}
        assert row.detector.startswith({"keywords": "words:", "similar": "similar:"}[row.explainer])


def test_human_descriptions_are_scored_like_the_machines(planted, tmp_path):
    direction = open_run(planted / "run").direction_ids[0]
    labels = [
        {"task_type": "set", "direction": direction, "dataset": "animals", "pattern": "yes", "description": text}
        for text in ("sentences about cats", "sentences about cats", "mats")
    ] + [{"task_type": "set", "direction": direction, "dataset": "animals", "pattern": "no", "description": "dogs"}]
    (tmp_path / "annotations.jsonl").write_text("\n".join(json.dumps(row) for row in labels) + "\n")
    options = f"human.annotations={tmp_path / 'annotations.jsonl'}"
    assert cli("explain", planted / "run", "-e", "human", "-o", options, "-d", direction, "-q") == 0
    [row] = rows_of(planted / "run")
    assert (row.source, row.explanation, row.detector) == ("animals", "sentences about cats", "words:sentences,cats")


def test_human_descriptions_of_another_run_are_refused(planted, tmp_path, capsys):
    direction = open_run(planted / "run").direction_ids[0]
    label = {"task_type": "set", "direction": direction, "dataset": "animals", "pattern": "yes", "description": "cats"}
    (tmp_path / "annotations.jsonl").write_text(json.dumps({**label, "run_id": "another-run"}) + "\n")
    options = f"human.annotations={tmp_path / 'annotations.jsonl'}"
    assert cli("explain", planted / "run", "-e", "human", "-o", options, "-d", direction, "-q") != 0
    assert "annotation of run another-run, not of this run" in capsys.readouterr().err


def test_log_odds_with_an_informative_prior_matches_a_hand_computed_value():
    # top: 'war' in 3 of the top's 5 term-sentences, contrast: 1 of 12, prior a0 = 10, so a_war = 10 * 4 / 17;
    # delta = ln(5.35294 / 9.64706) - ln(3.35294 / 18.64706) = 1.12684, var = 1 / 5.35294 + 1 / 3.35294 = 0.48506,
    # z = 1.12684 / 0.69647 = 1.61796
    scores = log_odds(Counter(war=3, the=2), Counter(war=1, the=8, peace=3), prior=10)
    assert scores["war"] == pytest.approx(1.61796, abs=1e-5)
    assert scores["the"] < 0 and "peace" not in scores


def test_terms_are_words_and_bigrams_as_the_words_detector_finds_them():
    assert terms("Let there be, light") == ["let", "there", "be", "light", "let there", "there be"]


def test_the_bootstrap_auroc_without_resampling_is_the_auroc_with_ties():
    rng = np.random.default_rng(0)
    scores = np.round(rng.standard_normal(300), 1)  # many ties
    matches = rng.random(300) < 0.2
    ranked = Ranked(scores, np.ones((3, 300)))
    assert ranked.auroc(matches) == pytest.approx([roc_auc_score(matches, scores)] * 3)
    counts = rng.integers(0, 3, size=(1, 300))
    repeated = np.repeat(np.arange(300), counts[0])
    assert Ranked(scores, counts.astype(float)).auroc(matches)[0] == pytest.approx(
        roc_auc_score(matches[repeated], scores[repeated])
    )


@pytest.mark.parametrize("fault", [SystemExit(3), KeyboardInterrupt(), ValueError("no idea")])
def test_a_faulty_explainer_is_named(fault):
    def broken():
        def explain(sample):
            raise fault

        return explain

    class Plugin:
        @hookimpl
        def illusion_explainers(self):
            yield ExplainerPlugin("broken", "Always fails.", broken)

    host = Host(autoload=False)
    host.register(Plugin(), "broken-plugin")
    sample = ExplainerInput("neuron:3", "news", ["a"], [1.0], ["b"], [0.0], ["c"], [0.5])
    with pytest.raises(PluginError, match=r"explainer 'broken' failed on direction 'neuron:3' in dataset 'news'"):
        host.get("explainer", "broken").create({})(sample)


def test_an_explainer_must_return_an_explanation():
    plugin = ExplainerPlugin("vague", "Says nothing useful.", lambda: lambda sample: "cats")
    with pytest.raises(PluginError, match="must return an illusion.Explanation"):
        plugin.create({})(ExplainerInput("d", "x", [], [], [], [], [], []))
    assert (
        ExplainerPlugin("quiet", "Abstains.", lambda: lambda sample: None).create({})(
            ExplainerInput("d", "x", [], [], [], [], [], [])
        )
        is None
    )
    assert isinstance(Explanation("cats"), Explanation)


def test_the_kit_fails_an_explainer_that_rambles_or_changes_its_mind():
    from itertools import count

    from illusion.conformance import Subject, run_checks

    calls = count()

    class Plugin:
        @hookimpl
        def illusion_explainers(self):
            yield ExplainerPlugin("rambling", "Two lines.", lambda: lambda sample: Explanation("ships\nand more"))
            yield ExplainerPlugin("fickle", "A new answer each time.", lambda: lambda sample: Explanation(f"ships {next(calls)}"))

    host = Host(autoload=False)
    host.register(Plugin(), "bad-explainers")
    outcomes = {
        name: {o.check: o.status for o in run_checks(Subject(host, "explainer", name))} for name in ("rambling", "fickle")
    }
    assert outcomes["rambling"]["output"] == "failed" and outcomes["rambling"]["determinism"] == "passed"
    assert outcomes["fickle"]["determinism"] == "failed" and outcomes["fickle"]["output"] == "passed"


def test_keywords_leave_out_bigrams_of_kept_words():
    from illusion.plugins.explainers import top_terms

    top = [f"the war ended in year {n}" for n in range(6)] + ["war ended again"]
    contrast = [f"peace came in spring {n}" for n in range(40)] + ["the war ended"]
    sample = ExplainerInput("d", "x", top, [1.0] * len(top), [], [], contrast, [0.0] * len(contrast))
    found = top_terms(sample, count=3, prior=10.0, min_z=0.0, min_sentences=2)
    assert len(found) == 3 and not any(" " in term and set(term.split()) & set(found) for term in found)
