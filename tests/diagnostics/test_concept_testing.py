"""test-concept on constructed activations: holds everywhere, somewhere, nowhere; patterns, detectors, annotations."""

import json
import types

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from illusion import ConceptDetectorPlugin, IllusionError, PluginError, hookimpl
from illusion.diagnostics.concepts import Thresholds, assess, labelled_concepts, parse_pattern, pattern_of
from illusion.host import Host
from tests.helpers.labelled_runs import pair_row, set_row

DETECTORS = ["regex", "words"]


def activations(rng, matches, effect):
    return rng.standard_normal(len(matches)) + effect * matches


def test_a_concept_that_holds_in_one_dataset_only():
    rng = np.random.default_rng(0)
    matches = {name: rng.random(400) < 0.3 for name in ("a", "b", "c")}
    scores = {
        "a": activations(rng, matches["a"], 2.0),
        "b": activations(rng, matches["b"], 0.0),
        "c": activations(rng, matches["c"], 0.0),
    }
    result = assess(scores, matches, k=10)
    assert result["verdict"] == "holds in some" and result["holds_in"] == ["a"]
    assert result["counts"] == {"holds": 1, "fails": 2, "untestable": 0}
    a = result["per_dataset"]["a"]
    assert a["auroc"] == pytest.approx(roc_auc_score(matches["a"], scores["a"]))
    assert a["matches"] == matches["a"].sum() and a["base_rate"] == pytest.approx(matches["a"].mean())
    top = np.argsort(-scores["a"])[:10]
    assert a["top_k_precision"] == matches["a"][top].mean() > a["base_rate"]
    assert result["thresholds"]["alpha_per_dataset"] == pytest.approx(0.05 / 3)


def test_everywhere_nowhere_and_untestable():
    rng = np.random.default_rng(1)
    matches = {name: rng.random(300) < 0.5 for name in ("a", "b")}
    everywhere = assess({n: activations(rng, m, 2.0) for n, m in matches.items()}, matches, k=5)
    nowhere = assess({n: activations(rng, m, -2.0) for n, m in matches.items()}, matches, k=5)
    assert everywhere["verdict"] == "holds in all testable" and nowhere["verdict"] == "holds in none"
    assert all(row["auroc"] < 0.5 and row["p_value"] > 0.5 for row in nowhere["per_dataset"].values())
    few = {"a": np.arange(300) < 3, "b": np.arange(300) < 150}
    result = assess({"a": activations(rng, few["a"], 2.0), "b": activations(rng, few["b"], 2.0)}, few, k=5)
    assert result["per_dataset"]["a"]["holds"] is None and result["per_dataset"]["a"]["auroc"] is None
    assert result["verdict"] == "holds in all testable"  # untestable is counted apart, not as a failure
    assert result["summary"] == "holds in 1 of 1 testable dataset; 1 untestable"
    assert result["per_dataset"]["a"]["matches_for_power"] >= 1 and result["per_dataset"]["a"]["power_effect"] > 0.5
    none = assess({"a": np.zeros(10)}, {"a": np.zeros(10, dtype=bool)}, k=5)
    assert none["verdict"] == "untestable"


def test_a_weak_effect_does_not_hold_however_significant():
    rng = np.random.default_rng(2)
    matches = {"a": rng.random(20000) < 0.5}
    result = assess({"a": activations(rng, matches["a"], 0.15)}, matches, k=10, thresholds=Thresholds(min_auroc=0.6))
    row = result["per_dataset"]["a"]
    assert row["p_value"] < 1e-6 and row["auroc"] < 0.6 and row["holds"] is False


def test_patterns_pick_their_detector():
    assert parse_pattern("words:war,battle", DETECTORS).detector == "words"
    assert parse_pattern("regex:time: \\d+", DETECTORS).argument == "time: \\d+"
    assert parse_pattern("(?:war|battle)", DETECTORS).detector == "regex"
    assert parse_pattern("note: \\d+", DETECTORS).argument == "note: \\d+"
    with pytest.raises(IllusionError, match="did you mean 'words'"):
        parse_pattern("word:war", DETECTORS)


def test_builtin_detectors():
    host = Host()
    words = host.get("concept detector", "words").create("war, Battle", {})
    assert words(["The war began", "warfare", "a battle-axe", "no"]).tolist() == [True, False, True, False]
    strict = host.get("concept detector", "regex").create("War", {"ignore_case": False})
    assert strict(["War", "war"]).tolist() == [True, False]
    with pytest.raises(PluginError, match="not a valid regular expression"):
        host.get("concept detector", "regex").create("(", {})


def test_plugin_detectors_are_checked():
    @hookimpl
    def illusion_concept_detectors():
        yield ConceptDetectorPlugin(
            "short", "Sentences of few words.", lambda argument: lambda texts: [len(t.split()) <= int(argument) for t in texts]
        )
        yield ConceptDetectorPlugin("broken", "Returns too little.", lambda argument: lambda texts: [True])

    host = Host()
    host.register(types.SimpleNamespace(illusion_concept_detectors=illusion_concept_detectors), "mine")
    assert host.problems == []
    assert host.get("concept detector", "short").create("2", {})(["a b", "a b c"]).tolist() == [True, False]
    with pytest.raises(PluginError, match="one bool per sentence"):
        host.get("concept detector", "broken").create("", {})(["a", "b"])


def test_descriptions_become_patterns():
    assert pattern_of("Military conflict and the war", DETECTORS) == "words:military,conflict,war"
    assert pattern_of("regex:\\bwar\\b", DETECTORS) == "regex:\\bwar\\b"
    assert pattern_of("it is", DETECTORS) is None


def test_labelled_concepts_from_annotations(tmp_path):
    rows = [
        set_row(
            "neuron:3@a",
            "ann-a",
            "neuron",
            "a",
            direction="neuron:3",
            run_id="r1",
            pattern="yes",
            description="Military conflict",
        ),
        set_row(
            "neuron:3@b",
            "ann-a",
            "neuron",
            "b",
            direction="neuron:3",
            run_id="r1",
            pattern="yes",
            description="military, conflict",
        ),
        set_row("neuron:4@a", "ann-a", "neuron", "a", direction="neuron:4", run_id="r1", pattern="no", description="nothing"),
        set_row("control:a:0", "ann-a", "control", "a", run_id="r1", pattern="yes", description="control set"),
        {**pair_row("neuron:3", "a", "b", "ann-a", None), "run_id": "r1"},
    ]
    (tmp_path / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = types.SimpleNamespace(path=tmp_path, manifest=types.SimpleNamespace(run_id="r1"))
    concepts = labelled_concepts(run, DETECTORS)
    assert concepts == [
        {
            "direction": "neuron:3",
            "pattern": "words:military,conflict",
            "descriptions": ["Military conflict", "military, conflict"],
            "labelled_in": ["a", "b"],
        }
    ]
    with pytest.raises(IllusionError, match="not of this run"):
        labelled_concepts(types.SimpleNamespace(path=tmp_path, manifest=types.SimpleNamespace(run_id="other")), DETECTORS)
    with pytest.raises(IllusionError, match="illusion import"):
        labelled_concepts(types.SimpleNamespace(path=tmp_path / "none", manifest=types.SimpleNamespace(run_id="r1")), DETECTORS)


def test_the_words_detector_finds_what_its_expression_finds():
    import re

    texts = ["İt is", "ıt", "IT", "a KING", "the ſun", "warſ", "Straße", "STRASSE", "x-ray", "X-Ray!", "it's", "bit"]
    host = Host()
    for argument in ("it,king,sun", "x-ray", "strasse", "it"):
        listed = "|".join(re.escape(word) for word in argument.split(","))
        expression = re.compile(rf"(?<!\w)(?:{listed})(?!\w)", re.IGNORECASE)
        found = host.get("concept detector", "words").create(argument, {})(texts)
        assert found.tolist() == [expression.search(text) is not None for text in texts], argument
