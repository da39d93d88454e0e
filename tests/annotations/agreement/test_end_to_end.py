"""A real small run, exported to a real Label Studio server, labelled by two simulated annotators with a
known pattern of agreement, imported, and ``illusion agree`` recovers that pattern."""

from __future__ import annotations

import json

import pytest
from sklearn.metrics import cohen_kappa_score

from illusion.cli import main
from illusion.run.folder import LABELSTUDIO as RECORD
from tests.helpers.campaign import pseudonyms_of, tasks_of
from tests.helpers.run_configs import TWO_OF_EACH, write_text_run_config

pytestmark = pytest.mark.labelstudio

SENTENCES = {
    "animals": [
        "the cat sat on the mat.",
        "the dog sat on the mat.",
        "a cat and a dog.",
        "the dog was on the cat.",
        "a cat sat in the mat.",
        "the cat was a dog.",
    ],
    "scripture": [
        "god said let there be light.",
        "and there was light.",
        "god said it was light.",
        "let there be war.",
        "the king said let there be love.",
        "and god said love.",
    ],
    "code": [
        "the program is in python.",
        "a python program.",
        "the program was 1 2 3.",
        "it is a program.",
        "python and the program.",
        "the program said x.",
    ],
}


def small_run(folder, model):
    """``illusion run`` on three tiny text datasets: 2 neurons, 2 random directions, 2 control sets per dataset."""
    config = write_text_run_config(folder, SENTENCES, model, samplers=TWO_OF_EACH, seed=3, k=4, controls=2)
    main(["run", str(config), "--out", str(folder / "run"), "--quiet"])
    return folder / "run"


def script(meta: dict, who: int) -> tuple[str, list[int] | None]:
    """The known pattern. Neuron sets: both annotators see a pattern. Random-direction sets: the second
    annotator sees none in "scripture". Control sets: only the first annotator sees one, in "animals"."""
    condition, dataset = meta["condition"], meta["dataset"]
    if (
        condition == "neuron"
        or (condition == "random" and (who == 0 or dataset != "scripture"))
        or (condition == "control" and who == 0 and dataset == "animals")
    ):
        return "yes", [1, 2, 3]
    return "no", None


def choice(name, to_name, *values):
    return {"from_name": name, "to_name": to_name, "type": "choices", "value": {"choices": list(values)}}


def test_agree_recovers_a_known_pattern_of_agreement(tmp_path, tiny_bert, server, admin, annotators, capsys):
    url, key = server
    run_dir = small_run(tmp_path, tiny_bert)
    main(["export", str(run_dir), "--url", url, "--api-key", key])
    projects = json.loads((run_dir / RECORD).read_text())["projects"]
    sets = list(admin.tasks.list(project=projects["set"]["id"]))
    pairs = list(admin.tasks.list(project=projects["pair"]["id"]))
    # The server knows nothing of the design: the organiser's own tasks say what each one is.
    meta = {t.uid: t.meta for items in tasks_of(run_dir).values() for t in items}
    scripted = {0: [], 1: []}
    for who, annotator in enumerate(annotators):
        for task in sorted(sets, key=lambda t: meta[t.data["uid"]]["set_id"]):
            pattern, fits = script(meta[task.data["uid"]], who)
            scripted[who].append(pattern)
            result = [choice("pattern", "sentences", pattern)] + ([choice("fits", "sentences", *map(str, fits))] if fits else [])
            annotator.client.annotations.create(id=task.id, result=result, lead_time=10.0 * (who + 1))
        for task in pairs:  # neurons keep their concept across datasets; nothing else does
            same = "same" if meta[task.data["uid"]]["condition"] == "neuron" else "different"
            annotator.client.annotations.create(id=task.id, result=[choice("same_concept", "left", same)], lead_time=5.0)
    main(["import", str(run_dir), "--url", url, "--api-key", key])
    main(["agree", str(run_dir), "--bootstrap", "200"])
    assert "Inter-annotator reliability" in capsys.readouterr().out
    result = json.loads((run_dir / "agreement.json").read_text())

    n_sets, n_pairs = len(sets), len(pairs)
    assert (n_sets, n_pairs) == (4 * 3 + 2 * 3, 6 * 3)  # 4 directions and 2 control groups, in 3 datasets
    assert result["campaign"]["sets"]["labels"] == {"0": 0, "1": 0, "2+": n_sets}
    assert result["campaign"]["pairs"]["labels"] == {"0": 0, "1": 0, "2+": n_pairs}

    table = result["conditions"]["table"]
    assert [table["neuron"][o]["value"] for o in ("pattern", "none", "conflict")] == [1.0, 0.0, 0.0]
    assert [table["random"][o]["value"] for o in ("pattern", "none", "conflict")] == pytest.approx([4 / 6, 0.0, 2 / 6])
    assert [table["control"][o]["value"] for o in ("pattern", "none", "conflict")] == pytest.approx([0.0, 4 / 6, 2 / 6])
    assert table["neuron"]["fits_mean"]["value"] == 3.0

    pattern = result["reliability"]["pattern"]
    assert pattern["percent_agreement"]["value"] == pytest.approx((n_sets - 4) / n_sets)
    assert pattern["cohen_kappa"][0]["value"] == pytest.approx(cohen_kappa_score(scripted[0], scripted[1]))
    assert pattern["fleiss_kappa"]["value"] is not None  # every set has exactly two labels

    calls = {name: entry["call"] for name, entry in result["cross_dataset"]["directions"].items()}
    assert {calls[d] for d in calls if d.startswith("neuron:")} == {"global"}
    assert {calls[d] for d in calls if d.startswith("random:")} == {"dataset-level"}
    assert {calls[d] for d in calls if d.startswith("control:")} == {"none"}
    assert result["cross_dataset"]["conditions"]["random"]["distinct_concepts"]["value"] == 2.0  # "scripture" conflicts
    assert result["cross_dataset"]["conditions"]["neuron"]["same_share"]["value"] == 1.0

    summary, names = result["annotators"], pseudonyms_of(run_dir)
    first, second = (summary[names[str(annotator.user_id)]] for annotator in annotators)
    assert (first["sets"], first["pairs"]) == (n_sets, n_pairs)
    assert first["lead_time"]["total"] == pytest.approx(10.0 * n_sets + 5.0 * n_pairs)
    assert second["lead_time"]["total"] == pytest.approx(20.0 * n_sets + 5.0 * n_pairs)
    assert first["pattern_agreement"]["value"] == pytest.approx((n_sets - 4) / n_sets)
    assert "agreement" in (run_dir / "agreement.html").read_text()
