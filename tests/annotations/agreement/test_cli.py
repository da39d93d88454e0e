"""``illusion agree`` on hand-made run folders and on recorded Label Studio exports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from illusion.cli import main
from illusion.commands.agree import agree
from tests.helpers.labelled_runs import control_row, direction_row, pair_row

EXPORTS = Path(__file__).parent.parent / "labelstudio" / "data"


@pytest.fixture
def run_dir(make_run):
    rows = []
    for number, dataset in enumerate(("wiki-math", "bible", "jokes", "chat")):
        rows += [
            direction_row("neuron:1", dataset, a, pattern="yes", fits=[1, 2, 3], description="<b>dates</b>", lead_time=9.0)
            for a in ("ann-a", "ann-b")
        ]
        rows += [
            control_row(0, dataset, a, pattern=vote) for a, vote in (("ann-a", "no"), ("ann-b", "yes" if number == 0 else "no"))
        ]
    rows += [pair_row("neuron:1", "wiki-math", "bible", a, "same") for a in ("ann-a", "ann-b")]
    return make_run(rows, directions={"neuron:1": "neuron", "random:1": "random"}, controls=1)


def test_agree_writes_the_document_and_the_page_and_prints_tables(run_dir):
    result = CliRunner().invoke(agree, [str(run_dir), "--bootstrap", "200", "--seed", "3"])
    assert result.exit_code == 0, result.output
    document = json.loads((run_dir / "agreement.json").read_text())
    assert document["settings"]["seed"] == 3 and document["settings"]["bootstrap"] == 200
    assert document["conditions"]["table"]["neuron"]["pattern"]["value"] == 1.0
    assert document["conditions"]["table"]["control"]["none"]["value"] == pytest.approx(3 / 4)
    page = (run_dir / "agreement.html").read_text()
    assert "&lt;b&gt;dates&lt;/b&gt;" in page
    for title in (
        "Campaign",
        "Sets with a pattern, per condition",
        "Inter-annotator reliability",
        "Across datasets",
        "Annotators",
    ):
        assert title in result.output
    assert "wrote" in result.output and "agreement.html" in result.output
    assert not list(run_dir.glob(".*.tmp"))  # written atomically


def test_seed_defaults_to_the_runs_and_results_repeat(run_dir):
    runner = CliRunner()
    assert runner.invoke(agree, [str(run_dir), "--bootstrap", "100"]).exit_code == 0
    first = (run_dir / "agreement.json").read_text()
    assert runner.invoke(agree, [str(run_dir), "--bootstrap", "100"]).exit_code == 0
    assert (run_dir / "agreement.json").read_text() == first
    assert json.loads(first)["settings"]["seed"] == 7  # the manifest's


def test_registered_in_the_illusion_command(capsys):
    main(["agree", "--help"])
    assert "Usage: illusion agree [OPTIONS] RUN_DIR" in capsys.readouterr().out


def test_empty_annotations_file_is_one_clear_line(run_dir, capsys):
    (run_dir / "annotations.jsonl").write_text("")
    with pytest.raises(SystemExit) as done:
        main(["agree", str(run_dir)])
    err = capsys.readouterr().err
    assert done.value.code == 1
    assert err.startswith("error: ") and err.count("\n") == 1 and "no annotations" in err


def test_malformed_annotations_file_is_one_clear_line(run_dir, capsys):
    (run_dir / "annotations.jsonl").write_text('{"task_uid": "t1"}\n')
    with pytest.raises(SystemExit) as done:
        main(["agree", str(run_dir)])
    err = capsys.readouterr().err
    assert done.value.code == 1 and err.count("\n") == 1
    assert "annotations.jsonl, line 1: no task_type" in err


def test_not_a_run_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        main(["agree", str(tmp_path / "nowhere")])
    assert done.value.code == 1 and "no such run folder" in capsys.readouterr().err


def test_from_file_reads_label_studio_exports(tmp_path, organiser_dir):
    run_dir = shutil.copytree(EXPORTS / "run", tmp_path / "run")
    shutil.copytree(EXPORTS / "organiser", organiser_dir, dirs_exist_ok=True)  # the key the exports were made with
    files = [str(EXPORTS / "export-set.json"), str(EXPORTS / "export-pair.json")]
    result = CliRunner().invoke(agree, [str(run_dir), "--from-file", files[0], "--from-file", files[1], "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    document = json.loads((run_dir / "agreement.json").read_text())
    assert document["campaign"]["annotators"] == 2
    assert document["campaign"]["annotations"] == 12  # the rows `illusion import` makes of the same files
    assert not (run_dir / "annotations.jsonl").exists()
