"""Blind against a clever annotator: nothing she is shown depends on a set's condition but its sentences.

On the default run and another seed, each with 100 control sets and 100 attention checks, the tasks
one annotator's server gets (three annotators, overlap 2) are attacked with everything she can
compute from them (tests/helpers/blindness.py):

- by construction: each sentence is shown the same (its mark, its escaping) in every task of every
  annotator, so a mark says nothing a sentence does not; controls and checks are dealt and paired
  like direction sets;
- by measurement: classifiers on every feature that does not read the sentences' words (where a
  task comes, how pair tasks link it, the order of its sentences) cannot tell controls or checks
  from direction sets (cross-validated AUROC <= 0.6, linear model and random forest). What reading
  the words reveals (a direction's top sentences share more than random ones) is what annotators
  are asked about; its AUROCs and the best single feature are printed, not bounded.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pytest

from illusion.annotations.campaign.assign import seat_tasks
from illusion.annotations.campaign.attention import CONDITION, campaign_tasks
from illusion.annotations.campaign.private import load_private
from illusion.annotations.campaign.tasks import load_campaign_run
from illusion.run.config import load_config
from illusion.run.pipeline import run
from tests.helpers.blindness import CLASSIFIERS, SENTENCE, Features, auroc, best_single

pytestmark = pytest.mark.slow

MAX_AUROC = 0.6
ANNOTATORS, OVERLAP = ["a", "b", "c"], 2
DEALS = 4


@pytest.fixture(scope="session", params=[0, 1], ids=["default-run", "seed-1"])
def campaign(request, tmp_path_factory):
    """A default run with 20 control sets and 20 checks per dataset: its tasks (all checks in use), private file and seed."""
    out = tmp_path_factory.mktemp(f"blind-run-{request.param}") / "run"
    run(load_config(None, [f"seed={request.param}", "controls=20", "checks=20", "diagnostics=false"]), out)
    made = load_campaign_run(out)
    private = load_private(made.run_id, create=True)
    return campaign_tasks(made, private, {"attention": len(made.checks)}), private, made.seed


@pytest.fixture(scope="session")
def seated(campaign):
    """Every annotator's tasks, as ``export`` deals them."""
    tasks, private, seed = campaign
    return seat_tasks(tasks, private, ANNOTATORS, OVERLAP, seed)


def test_every_sentence_is_shown_the_same_wherever_it_is(seated):
    forms = defaultdict(set)
    for mine in seated.values():
        pages = [(t.data["dataset"], t.data["html"]) for t in mine["set"]]
        pages += [(t.data[f"{side}_dataset"], t.data[f"{side}_html"]) for t in mine["pair"] for side in ("left", "right")]
        for dataset, page in pages:
            for shown in SENTENCE.findall(page):
                forms[dataset, re.sub("</?mark>", "", shown)].add(shown)
    assert len(forms) > 2000 and all(len(shown) == 1 for shown in forms.values())


def test_controls_and_checks_are_dealt_and_paired_like_direction_sets(seated):
    for mine in seated.values():
        in_pairs = {t.data[side] for t in mine["pair"] for side in ("left_html", "right_html")}
        for condition in ("control", CONDITION, "neuron", "random"):
            own = [t for t in mine["set"] if t.condition == condition]
            assert own and sum(t.data["html"] in in_pairs for t in own) / len(own) > 0.5, condition  # compared across datasets
    for condition in ("control", CONDITION):  # each annotator gets a share of them, as of every other stratum
        every = {t.set_id for mine in seated.values() for t in mine["set"] if t.condition == condition}
        assert all(0.5 < sum(t.condition == condition for t in mine["set"]) / len(every) < 0.8 for mine in seated.values())


def attack(mine: dict, target: str, groups=(*Features.GROUPS, "all"), repeats: int = 3) -> tuple[dict, tuple[str, int, float]]:
    """Cross-validated AUROCs of each feature group of ``groups`` (by classifier), and the best single feature,
    telling ``target`` sets from direction sets among one annotator's set tasks."""
    kept = [t for t in mine["set"] if t.condition in (target, "neuron", "random")]
    features = Features([t.data["html"] for t in kept], [(t.data["left_html"], t.data["right_html"]) for t in mine["pair"]])
    is_target = np.array([t.condition == target for t in kept])
    assert is_target.sum() >= 50
    matrix, names = features.matrix()
    report = {}
    for group in groups:
        columns = [n for n, name in enumerate(names) if group in (name, "all")]
        report[group] = {
            name: auroc(matrix[:, columns], is_target, make, features.groups(), repeats) for name, make in CLASSIFIERS.items()
        }
    return report, best_single(matrix, is_target, names)


@pytest.mark.parametrize("target", ["control", CONDITION])
def test_nothing_but_the_words_tells_controls_or_checks_from_direction_sets(campaign, seated, target):
    """Each annotator attacked in turn (AUROCs averaged over the three); what does not read the words is
    attacked on more deals of the same tasks, since one deal of a few dozen sets is a noisy sample."""
    attacks = [attack(mine, target) for mine in seated.values()]
    report = {g: {c: float(np.mean([a[0][g][c] for a in attacks])) for c in CLASSIFIERS} for g in attacks[0][0]}
    print(f"\n{target} vs direction sets, cross-validated AUROC (mean of {len(attacks)} annotators):")
    for group, scores in report.items():
        print(f"  {group:15} " + "  ".join(f"{c} {v:.2f}" for c, v in scores.items()))
    for who, (_, (group, column, best)) in zip(seated, attacks):
        print(f"  best single feature for annotator {who}: column {column} ({group}), AUROC {best:.2f}")
    tasks, private, seed = campaign
    deals = [seat_tasks(tasks, private, ANNOTATORS, OVERLAP, seed + 1000 * n) for n in range(DEALS)]
    structure = [attack(mine, target, ["structure"], repeats=1)[0]["structure"] for dealt in deals for mine in dealt.values()]
    mean = {c: float(np.mean([scores[c] for scores in structure])) for c in CLASSIFIERS}
    print(f"  structure over {len(structure)} annotators of {DEALS} deals: " + "  ".join(f"{c} {v:.2f}" for c, v in mean.items()))
    assert all(score <= MAX_AUROC for score in mean.values()), mean
