"""The README's configuration examples, run through `illusion run` as written, on data files made here."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from illusion.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
EXAMPLES = [block for block in re.findall(r"^```toml\n(.*?)^```$", SECTION, re.MULTILINE | re.DOTALL) if "[[datasets]]" in block]
TOPICS = ["rivers", "bridges", "harvests", "lighthouses", "markets", "winters", "ships", "letters", "songs", "gardens"]


def _plugins(example: str) -> str:
    return "+".join(table["plugin"] for table in tomllib.loads(example)["datasets"])


def write_data(folder: Path) -> None:
    """The files the examples read: text files under data/notes, a CSV of headlines, a Parquet file of reviews."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (folder / "data" / "notes").mkdir(parents=True)
    for day in ("monday", "tuesday"):
        lines = [f"on {day} we wrote about {topic} again" for topic in TOPICS]
        (folder / "data" / "notes" / f"{day}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = "".join(f"Council debates the future of {topic} tonight,daily\n" for topic in TOPICS)
    (folder / "data" / "headlines.csv").write_text("headline,source\n" + rows, encoding="utf-8")
    reviews = [f"a fine book about {topic}, would read again" for topic in TOPICS]
    pq.write_table(pa.table({"review": reviews, "stars": list(range(len(reviews)))}), folder / "data" / "reviews.parquet")


def test_the_configuration_section_has_one_example_per_kind_of_file():
    plugins = {table["plugin"] for example in EXAMPLES for table in tomllib.loads(example)["datasets"]}
    assert {"text", "table", "huggingface"} <= plugins


def _cases():
    """Each example with the tiny BERT in place of its model, and as written (the bundled MiniLM and diagnostics)."""
    for example in EXAMPLES:
        for model in ("tiny", "as written"):
            slow = model == "as written" or "wikipedia" in _plugins(example)  # the embedded corpora: hundreds of sentences
            yield pytest.param(example, model, id=f"{model}-{_plugins(example)}", marks=[pytest.mark.slow] if slow else [])


@pytest.mark.parametrize("example, model", list(_cases()))
def test_readme_configuration_runs(example, model, tiny_bert, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_data(tmp_path)
    Path("run.toml").write_text(example, encoding="utf-8")
    options = (
        [] if model == "as written" else ["--no-diagnostics", "-s", f'model.model="{tiny_bert}"', "-s", 'model.device="cpu"']
    )
    result = CliRunner().invoke(cli, ["run", "run.toml", "--out", "out", "--quiet", *options])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in Path("out/topk.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {row["dataset"] for row in rows} == {table["name"] for table in tomllib.loads(example)["datasets"]}
