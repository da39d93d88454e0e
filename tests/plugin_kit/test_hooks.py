"""Every hook, called through the host as illusion calls it; a hook without a ``test_hook_<name>`` fails here."""

from __future__ import annotations

import re

import numpy as np
import pytest

import illusion
from illusion import (
    ConceptDetectorPlugin,
    DatasetPlugin,
    Directions,
    DirectionSamplerPlugin,
    ExplainerInput,
    ExplainerPlugin,
    Explanation,
    ModelLayerPlugin,
    Param,
    Record,
    SamplerContext,
    TokenVectors,
    hookimpl,
)
from illusion.host import Host
from tests.helpers.plugin_kit import HOOKS, ROOT


def host_with(*plugins: object) -> Host:
    host = Host(autoload=False)
    for number, plugin in enumerate(plugins):
        assert host.register(plugin, f"test-plugin-{number}"), host.problems
    return host


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    pattern = re.compile(rf"^def test_hook_{hook}\b", re.MULTILINE)
    assert any(pattern.search(path.read_text(encoding="utf-8")) for path in (ROOT / "tests").rglob("*.py")), (
        f"hook {hook} has no test: add `def test_hook_{hook}` under tests/"
    )


def test_hook_api_version_is_major_dot_minor():
    assert re.fullmatch(r"\d+\.\d+", illusion.HOOK_API_VERSION)


def test_hook_illusion_datasets():
    class Plugin:
        @hookimpl
        def illusion_datasets(self):
            yield DatasetPlugin(
                "weekdays",
                "Two sentences about days.",
                lambda: [Record("mon", "Monday starts the working week."), Record("sun", "Sunday is a day of rest.")],
            )

    records = host_with(Plugin()).get("dataset", "weekdays").load({}, seed=0)
    assert [(r.id, r.text) for r in records] == [("mon", "Monday starts the working week."), ("sun", "Sunday is a day of rest.")]


def test_hook_illusion_datasets_in_shards():
    days = {"week": ["Monday starts the working week.", "Friday ends the working week."], "weekend": ["Sunday is a day of rest."]}

    def read(shard=None):
        for part, texts in days.items():
            if shard in (None, part):
                yield from (Record(f"{part}:{number}", text) for number, text in enumerate(texts))

    class Plugin:
        @hookimpl
        def illusion_datasets(self):
            yield DatasetPlugin("days", "Days, by part of the week.", read, shards=lambda: list(days))
            yield DatasetPlugin("twice", "A part named twice.", read, shards=lambda: ["week", "week"])

    host = host_with(Plugin())
    plugin = host.get("dataset", "days")
    assert plugin.shard_names({}) == ["week", "weekend"]
    parts = [plugin.load({}, seed=0, shard=name, sample=False) for name in plugin.shard_names({})]
    assert [r.id for r in parts[0]] == ["week:0", "week:1"] and parts[0] + parts[1] == plugin.load({}, seed=0)
    with pytest.raises(illusion.PluginError, match="'twice': shards must name one or more distinct parts"):
        host.get("dataset", "twice").shard_names({})
    assert host_with(Plugin()).get("dataset", "days").load({"n": 1}, seed=0, sample=False) == plugin.load({}, seed=0)


class LengthLayer:
    """A two-number sentence vector: characters and words; tokens are the words."""

    dim = 2
    identity = {"plugin": "lengths"}

    def encode(self, texts, progress=None):
        if progress:
            progress(len(texts))
        return np.array([[len(t), len(t.split())] for t in texts], dtype=np.float32).reshape(len(texts), 2)

    def token_vectors(self, texts):
        spans = [[m.span() for m in re.finditer(r"\S+", t)] for t in texts]
        return [
            TokenVectors([t[a:b] for a, b in s], s, np.array([[b - a, 1] for a, b in s], dtype=np.float32).reshape(-1, 2))
            for t, s in zip(texts, spans)
        ]


def test_hook_illusion_model_layers():
    class Plugin:
        @hookimpl
        def illusion_model_layers(self):
            yield ModelLayerPlugin("lengths", "Characters and words per sentence.", LengthLayer)

    layer = host_with(Plugin()).get("model layer", "lengths").create({})
    assert layer.encode(["two words"]).tolist() == [[9.0, 2.0]]
    assert layer.token_vectors(["two words"])[0].strongest(np.array([1.0, 0.0])) == ("words", (4, 9))


def test_hook_illusion_direction_samplers():
    class Plugin:
        @hookimpl
        def illusion_direction_samplers(self):
            yield DirectionSamplerPlugin(
                "diagonal",
                "The all-ones direction.",
                lambda context: Directions(["ones"], np.ones((1, context.dim)) / np.sqrt(context.dim)),
            )

    directions = host_with(Plugin()).get("direction sampler", "diagonal").sample(SamplerContext(4, 0), {})
    assert list(directions.ids) == ["ones"] and directions.vectors.tolist() == [[0.5] * 4]


def test_hook_illusion_concept_detectors():
    class Plugin:
        @hookimpl
        def illusion_concept_detectors(self):
            yield ConceptDetectorPlugin(
                "starts-with",
                "Sentences that start with a given word.",
                lambda argument: lambda texts: np.array([t.split()[:1] == [argument] for t in texts]),
            )

    detect = host_with(Plugin()).get("concept detector", "starts-with").create("War", {})
    assert detect(["War broke out.", "After the war.", ""]).tolist() == [True, False, False]


def test_hook_illusion_task_predictions():
    class Suggests:
        @hookimpl
        def illusion_task_predictions(self, task):
            return [
                {
                    "model_version": "test",
                    "result": [
                        {"from_name": "pattern", "to_name": "sentences", "type": "choices", "value": {"choices": ["Yes"]}}
                    ],
                }
            ]

    class Abstains:
        @hookimpl
        def illusion_task_predictions(self, task):
            return None

    task = {"type": "set", "data": {"uid": "t1", "dataset": "news", "html": "<p><b>1.</b> One.</p>"}, "meta": {}}
    answers = host_with(Suggests(), Abstains()).hook().illusion_task_predictions(task=task)
    assert [prediction["model_version"] for answer in answers for prediction in answer] == ["test"]


def test_hook_illusion_explainers():
    def first_words(count):
        return lambda sample: (
            Explanation(" ".join(sample.top[:count]), "words:" + ",".join(sample.top[:count])) if sample.top else None
        )

    class Plugin:
        @hookimpl
        def illusion_explainers(self):
            yield ExplainerPlugin(
                "first-words", "The first top sentences, as words.", first_words, [Param("count", int, 1, "how many")]
            )

    explain = host_with(Plugin()).get("explainer", "first-words").create({"count": 2})
    sample = ExplainerInput("neuron:1", "news", ["war", "peace", "love"], [3.0, 2.0, 1.0], [], [], [], [])
    assert explain(sample) == Explanation("war peace", "words:war,peace")
    assert explain(ExplainerInput("neuron:1", "news", [], [], [], [], [], [])) is None
