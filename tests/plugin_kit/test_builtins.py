"""The conformance kit applied to every built-in plugin, as a third-party author would apply it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from illusion.plugins import debian_datasets
from illusion.registrations import KINDS
from illusion.testing import (
    ConceptDetectorContract,
    DatasetContract,
    DiagnosticContract,
    DirectionSamplerContract,
    ExplainerContract,
    ModelLayerContract,
)

LINES = ["The river froze early that winter.", "", "Nobody expected the bridge to hold.", "Three boats waited for spring."]


def _needs(path):
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is not installed (see .ci/run)")


class TestText(DatasetContract):
    name = "text"

    @pytest.fixture
    def illusion_options(self, tmp_path):
        (tmp_path / "a.txt").write_text("\n".join(LINES), encoding="utf-8")
        (tmp_path / "empty.txt").write_text("", encoding="utf-8")
        return {"path": str(tmp_path / "a.txt")}

    @pytest.fixture
    def illusion_empty_options(self, illusion_options):
        return {"path": illusion_options["path"].replace("a.txt", "empty.txt")}

    bad_options = [({"path": "/no/such/folder/*.txt"}, "no file matches")]


class TestTable(DatasetContract):
    name = "table"

    @pytest.fixture
    def illusion_options(self, tmp_path):
        rows = "".join(f'{number},"{line}"\n' for number, line in enumerate(LINES))
        (tmp_path / "rows.csv").write_text("key,sentence\n" + rows, encoding="utf-8")
        (tmp_path / "empty.csv").write_text("key,sentence\n", encoding="utf-8")
        return {"path": str(tmp_path / "rows.csv"), "column": "sentence", "id_column": "key"}

    @pytest.fixture
    def illusion_empty_options(self, illusion_options):
        return {**illusion_options, "path": illusion_options["path"].replace("rows.csv", "empty.csv")}

    @pytest.fixture
    def illusion_bad_options(self, illusion_options):
        return [
            ({**illusion_options, "column": "nope"}, "no column 'nope'"),
            ({**illusion_options, "id_column": "nope"}, "no id column 'nope'"),
        ]


class TestHuggingface(DatasetContract):
    name = "huggingface"

    @pytest.fixture
    def illusion_options(self, tmp_path):
        datasets = pytest.importorskip("datasets")
        datasets.Dataset.from_dict({"text": [line for line in LINES if line]}).save_to_disk(str(tmp_path / "full"))
        (tmp_path / "empty").mkdir()
        (tmp_path / "empty" / "train.csv").write_text("text\n", encoding="utf-8")
        return {"path": str(tmp_path / "full")}

    @pytest.fixture
    def illusion_empty_options(self, illusion_options):
        return {"path": illusion_options["path"].replace("full", "empty")}  # a folder of data files without rows

    @pytest.fixture
    def illusion_bad_options(self, illusion_options):
        return [({**illusion_options, "column": "nope"}, "no column 'nope'")]


class TestWikipedia(DatasetContract):
    name = "wikipedia"
    options = {"topics": ["Mathematics"], "split_sentences": False, "max_words": 200}
    bad_options = [({"topics": ["Cooking"]}, "unknown topics")]


class TestBible(DatasetContract):
    name = "bible"
    options = {"testament": "new"}


class TestConversations(DatasetContract):
    name = "conversations"
    options = {"part": "questions"}


class TestJokes(DatasetContract):
    name = "jokes"
    options = {"category": "neutral"}


@_needs(debian_datasets.WORDNET_DIR)
class TestWordnet(DatasetContract):
    name = "wordnet"
    options = {"part": "examples", "n": 500}


@_needs(debian_datasets.FORTUNES_DIR)
class TestFortunes(DatasetContract):
    name = "fortunes"
    options = {"files": ["fortunes"]}
    bad_options = [({"files": ["no-such-file"]}, "no fortune files")]


@_needs(debian_datasets.FOLDOC_FILE)
class TestFoldoc(DatasetContract):
    name = "foldoc"
    options = {"split_sentences": False, "max_words": 400}


class TestTransformer(ModelLayerContract):
    name = "transformer"
    bad_options = [
        ({"layer": 9}, "out of range"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"model": "no-such-owner/no-such-model"}, "offline"),
    ]

    @pytest.fixture
    def illusion_options(self, illusion_tiny_bert):
        return {"model": str(illusion_tiny_bert), "pooling": "mean", "batch_size": 2, "device": "cpu"}

    @pytest.fixture
    def illusion_bad_options(self, illusion_options):
        return [({**illusion_options, **bad}, fragment) for bad, fragment in self.bad_options]


class TestNeuron(DirectionSamplerContract):
    name = "neuron"
    options = {"count": 5}
    bad_options = [({"count": 0}, "count must be 1..32"), ({"indices": [40]}, "outside 0..31")]


class TestRandom(DirectionSamplerContract):
    name = "random"
    options = {"count": 7}
    bad_options = [({"count": 0}, "at least 1")]


class TestPca(DirectionSamplerContract):
    name = "pca"
    options = {"count": 3}
    bad_options = [({"count": 99}, "count must be 1..32"), ({"datasets": ["gamma"]}, "no dataset 'gamma'")]


class TestFile(DirectionSamplerContract):
    name = "file"

    @pytest.fixture
    def illusion_options(self, tmp_path):
        np.save(tmp_path / "directions.npy", np.random.default_rng(0).standard_normal((3, self.dim)))
        np.save(tmp_path / "wrong.npy", np.ones((3, self.dim + 1)))
        return {"path": str(tmp_path / "directions.npy")}

    @pytest.fixture
    def illusion_bad_options(self, tmp_path, illusion_options):
        return [
            ({"path": str(tmp_path / "missing.npy")}, "no such file"),
            ({"path": str(tmp_path / "wrong.npy")}, "shape"),
            ({"path": str(tmp_path / "directions.txt")}, "no such file"),
        ]


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")  # datasets without sentences
class TestDatasetContrast(DirectionSamplerContract):
    name = "dataset-contrast"
    bad_options = [({"a": "alpha"}, "set both a and b"), ({"a": "alpha", "b": "gamma"}, "no dataset 'gamma'")]


class TestRegex(ConceptDetectorContract):
    name = "regex"
    argument = r"\b(ship|harvest)s?\b"
    bad_arguments = [("(unclosed", "not a valid regular expression")]


class TestWords(ConceptDetectorContract):
    name = "words"
    argument = "lighthouse,March"
    options = {"ignore_case": False}
    bad_arguments = [(" , ", "give words separated by commas")]


class TestKeywords(ExplainerContract):
    name = "keywords"
    options = {"count": 2}
    bad_options = [({"count": 0}, "count must be at least 1")]


class TestSimilar(ExplainerContract):
    name = "similar"
    bad_options = [({"threshold": 2.0}, "threshold must lie in [-1, 1]")]


class TestHuman(ExplainerContract):
    name = "human"

    @pytest.fixture
    def illusion_options(self, tmp_path):
        row = {"task_type": "set", "direction": "neuron:0", "dataset": "check", "pattern": "yes", "description": "ships"}
        (tmp_path / "annotations.jsonl").write_text(json.dumps(row) + "\n")
        (tmp_path / "broken.jsonl").write_text("{not json\n")
        return {"annotations": str(tmp_path / "annotations.jsonl")}

    @pytest.fixture
    def illusion_bad_options(self, tmp_path, illusion_options):
        return [({"annotations": str(tmp_path / "broken.jsonl")}, "not JSON")]


class TestDiagnosticSeparability(DiagnosticContract):
    name = "separability"


class TestDiagnosticRangeOverlap(DiagnosticContract):
    name = "range_overlap"


class TestDiagnosticMonotonicity(DiagnosticContract):
    name = "monotonicity"


class TestDiagnosticLocality(DiagnosticContract):
    name = "locality"


class TestDiagnosticOutliers(DiagnosticContract):
    name = "outliers"


class TestDiagnosticAnisotropy(DiagnosticContract):
    name = "anisotropy"


class TestDiagnosticSanity(DiagnosticContract):
    name = "sanity"


class TestDiagnosticIllusionScore(DiagnosticContract):
    name = "illusion_score"


class TestDiagnosticUncertainty(DiagnosticContract):
    name = "uncertainty"


def test_every_builtin_plugin_has_a_contract_test():
    from illusion.host import Host

    tested = {(cls.kind, cls.name) for cls in globals().values() if isinstance(cls, type) and getattr(cls, "name", "")}
    host = Host(autoload=False)
    builtin = {(kind, name) for kind in KINDS for name in host.registrations(kind)}
    assert builtin - tested == set()
