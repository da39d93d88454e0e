"""A finished run's files validate against the JSON Schemas shipped in the package."""

import json
from importlib.resources import files

import jsonschema

from illusion.run.folder import MODELS, RunFolder
from illusion.run.json_schemas import schema_name


def test_the_run_files_validate_against_the_shipped_schemas(study_run):
    folder = RunFolder(study_run)
    present = [name for name in MODELS if folder.has(name)]
    assert set(MODELS) - set(present) == {"annotations.jsonl", "explanations.jsonl"}  # a campaign's, `illusion explain`'s
    for name in present:
        schema = json.loads(files("illusion.run").joinpath("schemas", schema_name(name)).read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        found = folder.read_jsonl(name) if name.endswith(".jsonl") else [folder.read_json(name)]
        assert found, name
        for number, item in enumerate(found, 1):
            errors = [error.message for error in validator.iter_errors(item)]
            assert not errors, f"{name}, line {number}: {errors[:3]}"


def test_reading_and_writing_a_file_through_its_model_keeps_it(study_run, tmp_path):
    folder, copy = RunFolder(study_run), RunFolder(tmp_path)
    copy.write_model("manifest.json", folder.manifest())
    copy.write_model("stats.json", folder.stats())
    copy.write_rows("topk.jsonl", folder.topk())
    assert copy.read_json("manifest.json") == folder.read_json("manifest.json")
    assert copy.read_json("stats.json") == folder.read_json("stats.json")
    assert copy.read_jsonl("topk.jsonl") == folder.read_jsonl("topk.jsonl")
