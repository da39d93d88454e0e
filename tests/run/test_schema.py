"""The run folder's schema: format versions, clear errors for files that do not match, the shipped JSON Schemas and their docs."""

import json
import re
import shutil
from pathlib import Path

import pytest

from illusion.directions import Directions, condition_of
from illusion.errors import IllusionError
from illusion.run.folder import MODELS, RunFolder
from illusion.run.json_schemas import SCHEMAS, field_table, json_schemas, schema_name, schema_text
from illusion.run.schema import FORMAT, DirectionEntry

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "tests" / "annotations" / "labelstudio" / "data" / "run"  # a format-1 folder written before `format` was


@pytest.fixture
def legacy(tmp_path) -> Path:
    return Path(shutil.copytree(LEGACY, tmp_path / "run"))


def edit_manifest(path: Path, **changes) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "manifest.json").write_text(json.dumps(manifest | changes))


def test_a_folder_without_format_is_format_1_and_reads(legacy):
    folder = RunFolder(legacy)
    manifest = folder.manifest()
    assert "format" not in json.loads((legacy / "manifest.json").read_text())
    assert folder.format == manifest.format == 1 and manifest.model is None
    assert [row.direction for row in folder.topk()][:2] == ["neuron:17", "neuron:17"]
    assert folder.checks()[0].word == "prime" and folder.marks()[0].span == (0, 5)


@pytest.mark.parametrize(
    "found, message",
    [
        (
            FORMAT + 1,
            rf"manifest.json: format {FORMAT + 1} is newer than this illusion reads \(format {FORMAT}\); upgrade illusion",
        ),
        ("one", r"manifest.json: field 'format' is 'one', not a format number"),
    ],
)
def test_a_folder_of_an_unknown_or_newer_format_is_refused_by_every_reader(legacy, found, message):
    edit_manifest(legacy, format=found)
    for read in (RunFolder.manifest, RunFolder.topk, RunFolder.controls):
        with pytest.raises(IllusionError, match=message):
            read(RunFolder(legacy))


def test_a_newer_diagnostics_file_is_refused(legacy):
    (legacy / "diagnostics.json").write_text(json.dumps({"format": FORMAT + 1, "run_id": "x"}))
    with pytest.raises(IllusionError, match=rf"diagnostics.json: format {FORMAT + 1} is newer"):
        RunFolder(legacy).diagnostics()


@pytest.mark.parametrize(
    "name, line, change, message",
    [
        ("topk.jsonl", 2, {"top": [{"id": "a", "text": "b", "score": "high"}]}, r"topk.jsonl, line 2: field 'top.0.score'"),
        ("controls.jsonl", 1, {"sentences": None}, r"controls.jsonl, line 1: field 'sentences': Input should be a valid list"),
        ("marks.jsonl", 3, {"colour": "red"}, r"marks.jsonl, line 3: unknown field 'colour'"),
        ("checks.jsonl", 1, {"word": None}, r"checks.jsonl, line 1: field 'word'"),
    ],
)
def test_a_malformed_row_names_the_file_line_and_field_and_how_to_fix_it(legacy, name, line, change, message):
    path = legacy / name
    lines = path.read_text().splitlines()
    lines[line - 1] = json.dumps(json.loads(lines[line - 1]) | change)
    path.write_text("\n".join(lines) + "\n")
    read = {"topk.jsonl": RunFolder.topk, "controls.jsonl": RunFolder.controls, "marks.jsonl": RunFolder.marks}
    with pytest.raises(IllusionError, match=message + r".*; rerun `illusion run`"):
        read.get(name, RunFolder.checks)(RunFolder(legacy))


def test_a_manifest_without_a_field_names_it(legacy):
    edit_manifest(legacy, datasets=[{"name": "wiki-math", "plugin": "wikipedia", "hash": "a1"}])
    with pytest.raises(IllusionError, match=r"manifest.json: no datasets.0.size; rerun `illusion run`"):
        RunFolder(legacy).manifest()


def test_a_direction_knows_its_condition():
    directions = Directions(["17", "x:y"], [[1.0, 0.0], [0.0, 1.0]]).prefixed("neuron")
    assert directions.conditions == ["neuron", "neuron"] and condition_of("pca-2:0") == "pca-2"
    assert DirectionEntry.of("random:3", {"random": "random-sampler"}) == DirectionEntry(
        id="random:3", sampler="random-sampler", condition="random"
    )


def test_the_shipped_schemas_are_what_the_models_generate():
    generated = json_schemas()
    assert set(generated) == set(MODELS)
    shipped = {path.name for path in SCHEMAS.glob("*.schema.json")}
    assert shipped == {schema_name(name) for name in MODELS}, "run `python -m illusion.run.json_schemas`"
    for name, schema in generated.items():
        assert (SCHEMAS / schema_name(name)).read_text(encoding="utf-8") == schema_text(schema), (
            f"{schema_name(name)} is stale: run `python -m illusion.run.json_schemas`"
        )


def test_the_docs_list_each_files_fields_as_the_schema_has_them():
    text = (ROOT / "docs" / "run-folder.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### `([^`]+)`\n(.*?)(?=^### |^## |\Z)", text, re.S | re.M))
    schemas = json_schemas()
    for name, schema in schemas.items():
        assert name in sections, f"docs/run-folder.md has no section for {name}"
        assert field_table(schema) in sections[name], f"docs/run-folder.md: the fields of {name} differ from its schema"
