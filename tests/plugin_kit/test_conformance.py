"""The conformance checks catch what they promise to: each broken plugin fails exactly the check it breaks."""

from __future__ import annotations

import random
import re
from types import SimpleNamespace

import numpy as np

from illusion import (
    REQUIRED,
    ConceptDetectorPlugin,
    DatasetPlugin,
    Directions,
    DirectionSamplerPlugin,
    ModelLayerPlugin,
    Param,
    PluginError,
    PluginUnavailable,
    Record,
    TokenShares,
    TokenVectors,
    hookimpl,
    unit_rows,
)
from illusion.conformance import Subject, run_checks
from illusion.host import Host

pytest_plugins = ["pytester"]

TEXTS = ["the first sentence of four words", "a second sentence, somewhat longer than that", "third one here now"]


def subject(registration, **fields) -> Subject:
    plugin = SimpleNamespace(**{registration.hook: hookimpl(lambda: [registration])})
    host = Host(autoload=False)
    assert host.register(plugin, "under-test")
    return Subject(host, registration.kind, registration.name, **fields)


def failures(registration, **fields) -> dict[str, str]:
    return failures_of(subject(registration, **fields))


def failures_of(probe: Subject) -> dict[str, str]:
    return {o.check: o.message for o in run_checks(probe) if o.status == "failed"}


def dataset(factory, params=(), name="lines"):
    return DatasetPlugin(name, "Test sentences.", factory, params=[Param(*p) if isinstance(p, tuple) else p for p in params])


def lines(count: int):
    if count < 0:
        raise PluginError(f"dataset 'lines': count must be at least 0, not {count}")
    return [Record(f"line-{i}", TEXTS[i % 3] + f" number {i}") for i in range(count)]


# -- datasets ---------------------------------------------------------------------------------

COUNT = ("count", int, 3, "how many lines")


def test_a_good_dataset_passes_every_check():
    assert failures(dataset(lines, [COUNT]), empty_options={"count": 0}, bad_options=[({"count": -1}, "at least 0")]) == {}


def test_random_ids_fail_determinism():
    plugin = dataset(lambda: [Record(str(random.random()), text) for text in TEXTS])
    assert set(failures(plugin)) == {"determinism"}


def test_repeated_ids_fail_stable_ids():
    plugin = dataset(lambda: [Record("same", text) for text in TEXTS])
    assert failures(plugin)["stable_ids"] == (
        "dataset 'lines': record id 'same' is given twice (records 0 and 1); ids must be unique: derive them from the source"
    )


def test_parameters_need_help_valid_defaults_and_a_matching_factory():
    assert "needs a one-line help text" in failures(dataset(lines, [("count", int, 3)]))["parameters"]
    assert (
        "declared value 5 of parameter 'count'"
        in failures(dataset(lines, [Param("count", int, 5, "how many", choices=(1, 3))]))["parameters"]
    )
    assert (
        "does not match the declared parameters" in failures(dataset(lines, [COUNT, ("extra", str, "x", "unused")]))["parameters"]
    )


def test_a_bad_option_that_is_accepted_or_crashes_fails():
    accepted = failures(dataset(lambda count: lines(abs(count)), [COUNT]), bad_options=[({"count": -1}, "at least 0")])
    assert accepted["bad_parameters"].endswith("accepted without an error")
    crash = failures(dataset(lambda count: [TEXTS[count]], [COUNT]), options={"count": 0}, bad_options=[({"count": 9}, "count")])
    assert "crashed (PluginError: dataset 'lines' failed: IndexError" in crash["bad_parameters"]
    wrong = failures(dataset(lines, [COUNT]), bad_options=[({"count": -1}, "must be positive")])
    assert "does not mention 'must be positive'" in wrong["bad_parameters"]


def test_a_crash_on_an_empty_source_fails_empty_input():
    def longest_first(count):
        records = lines(count)
        longest = max(len(record.text) for record in records)  # ValueError on an empty source
        return sorted(records, key=lambda record: (len(record.text) != longest, record.id))

    message = failures(dataset(longest_first, [COUNT]), empty_options={"count": 0})["empty_input"]
    assert message.startswith("dataset 'lines' crashed on an empty source: dataset 'lines' failed: ValueError")


def test_defaults_that_cannot_run_are_skipped_not_failed():
    outcomes = run_checks(subject(dataset(lines, [("count", int, REQUIRED, "how many lines")])), defaults=True)
    skipped = {o.check for o in outcomes if o.status == "skipped" and o.message.startswith("cannot run here: ")}
    assert skipped == {"output", "determinism", "stable_ids"} and not [o for o in outcomes if o.status == "failed"]


def test_only_plugin_unavailable_skips_with_defaults_any_other_clear_error_fails():
    def missing_corpus():
        raise PluginUnavailable("dataset 'lines': the corpus package lines-corpus is not installed")

    outcomes = run_checks(subject(dataset(missing_corpus)), defaults=True)
    assert {o.check for o in outcomes if o.status == "skipped"} == {"output", "determinism", "stable_ids", "empty_input"}
    assert not [o for o in outcomes if o.status == "failed"]

    def rejected_by_the_host():
        return [Record("1", "a sentence of words"), Record("2", 42)]

    failed = {
        o.check: o.message for o in run_checks(subject(dataset(rejected_by_the_host)), defaults=True) if o.status == "failed"
    }
    assert failed["output"] == "dataset 'lines': record '2': field 'text' is int, expected str"


def test_an_unregistered_name_fails_registration():
    probe = subject(dataset(lines, [COUNT]))
    probe.name = "missing"
    assert failures_of(probe)["registration"].startswith("no dataset 'missing' is registered")


# -- model layers -----------------------------------------------------------------------------


class Letters:
    """Vector: counts of a, b, c, d times ``scale``; tokens: the words."""

    dim = 4

    def __init__(self, scale: int = 1, dtype=np.float32, remember_scale: bool = True):
        self.scale, self.dtype = scale, dtype
        self.identity = {"scale": scale} if remember_scale else {}

    def _vector(self, text):
        return [self.scale * text.count(c) for c in "abcd"]

    def encode(self, texts, progress=None):
        if progress:
            progress(len(texts))
        return np.array([self._vector(t) for t in texts], dtype=self.dtype).reshape(len(texts), self.dim)

    def token_vectors(self, texts):
        spans = [[m.span() for m in re.finditer(r"\S+", t)] for t in texts]
        return [
            TokenVectors(
                [t[a:b] for a, b in s], s, np.array([self._vector(t[a:b]) for a, b in s], dtype=np.float32).reshape(-1, 4)
            )
            for t, s in zip(texts, spans)
        ]


def layer(factory, params=()):
    return ModelLayerPlugin("letters", "Letter counts.", factory, params=list(params))


SCALE = Param("scale", int, 1, "multiplier", choices=(1, 2))


def test_a_good_layer_passes_every_check():
    assert failures(layer(Letters, [SCALE])) == {}


def test_float64_vectors_fail_output():
    assert "float32 array of shape (4, 4)" in failures(layer(lambda: Letters(dtype=np.float64)))["output"]


class Attributing(Letters):
    """Letters whose sentence vector sums its words' vectors: the words' own projections are exact shares."""

    attribution = "exact share"

    def attribute(self, texts, directions):
        return [TokenShares(t.tokens, t.spans, t.vectors @ d.T) for t, d in zip(self.token_vectors(texts), directions)]


def test_a_layer_that_attributes_passes_and_one_with_shares_of_the_wrong_shape_fails_output():
    assert failures(layer(Attributing)) == {}

    class OneColumn(Attributing):
        def attribute(self, texts, directions):
            return [TokenShares(s.tokens, s.spans, s.shares[:, :1]) for s in super().attribute(texts, directions)]

    assert "shares of shape" in failures(layer(OneColumn))["output"]

    class Unnamed(Attributing):
        attribution = ""

    assert "must name its method in `attribution`" in failures(layer(Unnamed))["output"]


def test_batch_dependent_vectors_fail_determinism():
    class Centred(Letters):
        def encode(self, texts, progress=None):
            vectors = super().encode(texts, progress)
            return vectors - vectors.mean(axis=0) if len(texts) else vectors

    assert "changes with the other texts in its batch" in failures(layer(Centred))["determinism"]


def test_an_identity_that_ignores_an_option_fails_stable_ids():
    message = failures(layer(lambda scale: Letters(scale, remember_scale=False), [SCALE]))["stable_ids"]
    assert message == (
        "model layer 'letters': scale = 2 changes the vectors but not the identity, "
        "so the activation cache would serve stale vectors"
    )


def test_an_identify_that_ignores_an_option_fails_stable_ids():
    good = ModelLayerPlugin("letters", "Letter counts.", Letters, params=[SCALE], identify=lambda scale: {"scale": scale})
    assert failures(good) == {}
    blind = ModelLayerPlugin("letters", "Letter counts.", Letters, params=[SCALE], identify=lambda scale: {"scale": 1})
    assert failures(blind)["stable_ids"] == (
        "model layer 'letters': identify() gives {'scale': 1} for {'scale': 2}, but the layer created from them has "
        "identity {'scale': 2}; a warm run would read the cached vectors of another layer"
    )


def test_a_crash_on_no_texts_fails_empty_input():
    class Stacked(Letters):
        def encode(self, texts, progress=None):
            return np.stack([super(Stacked, self).encode([t])[0] for t in texts])

    assert failures(layer(Stacked))["empty_input"].startswith("ValueError: need at least one array")


# -- direction samplers and concept detectors -------------------------------------------------


def sampler(factory):
    return DirectionSamplerPlugin("draws", "Test directions.", factory)


def test_a_good_sampler_passes_every_check():
    assert (
        failures(sampler(lambda context: Directions(["a", "b"], unit_rows(context.rng().standard_normal((2, context.dim))))))
        == {}
    )


def test_global_randomness_fails_determinism():
    plugin = sampler(lambda context: Directions(["a"], unit_rows(np.random.standard_normal((1, context.dim)))))
    assert "use context.rng(seed)" in failures(plugin)["determinism"]


def test_ids_with_spaces_fail_stable_ids():
    plugin = sampler(lambda context: Directions(["first one"], np.eye(context.dim)[:1]))
    assert "without spaces, got 'first one'" in failures(plugin)["stable_ids"]


def test_a_crash_on_datasets_without_sentences_fails_empty_input():
    plugin = sampler(lambda context: Directions(["first"], unit_rows(context.vectors(context.datasets[0])[[0]])))
    assert "crashed on datasets without sentences" in failures(plugin)["empty_input"]


def detector(factory):
    return ConceptDetectorPlugin("marks", "Test detector.", factory)


def test_a_good_detector_passes_and_a_batch_dependent_one_fails():
    assert (
        failures(detector(lambda argument: lambda texts: np.array([argument in t for t in texts], dtype=bool)), argument="e")
        == {}
    )
    longest = detector(lambda argument: lambda texts: np.array([len(t) == max(map(len, texts)) for t in texts], dtype=bool))
    assert "changes with the other sentences" in failures(longest, argument="x")["determinism"]


def test_a_bad_argument_must_give_a_clear_error():
    plugin = detector(lambda argument: re.compile(argument) and (lambda texts: np.zeros(len(texts), dtype=bool)))
    assert (
        "crashed (PluginError: concept detector 'marks' failed: error"
        in failures(plugin, argument="x", bad_arguments=[("(", "unbalanced")])["bad_parameters"]
    )


# -- the pytest plugin ------------------------------------------------------------------------

PLUGIN = """
from illusion import DatasetPlugin, Param, PluginError, Record, hookimpl

def lines(path):
    with open(path, encoding="utf-8") as handle:
        return [Record(f"line-{n}", line.strip()) for n, line in enumerate(handle) if line.strip()]

@hookimpl
def illusion_datasets():
    yield DatasetPlugin("lines", "Lines of a file.", lines, params=[Param("path", str, help="a text file")])
"""


def test_contracts_run_as_pytest_tests_with_fixture_overrides_and_clear_failures(pytester):
    pytester.makepyfile(lines_plugin=PLUGIN)
    pytester.makepyfile(
        test_lines="""
        import pytest
        from illusion.testing import DatasetContract

        class TestLines(DatasetContract):
            name = "lines"
            plugin = "lines_plugin"

            @pytest.fixture
            def illusion_options(self, tmp_path):
                (tmp_path / "a.txt").write_text("one two three four\\nfive six seven eight\\n")
                return {"path": str(tmp_path / "a.txt")}

        class TestWrongError(TestLines):
            bad_options = [({"path": "/no/such/file"}, "does not exist")]

        class TestNameless(DatasetContract):
            plugin = "lines_plugin"
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=11, failed=1, skipped=2, errors=7)
    result.stdout.fnmatch_lines(
        [
            "*test_lines.py::TestNameless::test_registration: subclass one of the contracts in illusion.testing and set name",
            "*_ TestWrongError.test_bad_parameters _*",
            "E * dataset 'lines' with bad options {'path': '/no/such/file'}: crashed (PluginError: dataset 'lines' failed: "
            "FileNotFoundError*instead of raising a clear illusion.PluginError",
            "SKIPPED * set empty_options to options that give an empty source, e.g. an empty file",
        ]
    )
