"""Built-in dataset plugins, read for real from local files and installed packages."""

import json

import pytest

from illusion import PluginError
from illusion.host import Host


@pytest.fixture(scope="module")
def host():
    return Host(autoload=False)


def load(host, plugin, **options):
    return host.get("dataset", plugin).load(options, seed=0)


def test_text_files_with_glob(host, tmp_path):
    (tmp_path / "a.txt").write_text("the first line is here\n\nthe second line is here\n")
    (tmp_path / "b.txt").write_text("a line from another file\n")
    records = load(host, "text", path=str(tmp_path / "*.txt"))
    assert [(r.id, r.text) for r in records] == [
        ("a.txt:1", "the first line is here"),
        ("a.txt:3", "the second line is here"),
        ("b.txt:1", "a line from another file"),
    ]


def test_same_file_names_in_several_folders_keep_ids_unique(host, tmp_path):
    for part in ("one", "two"):
        (tmp_path / part).mkdir()
        (tmp_path / part / "train.txt").write_text(f"a sentence from folder {part}\n")
    assert [r.id for r in load(host, "text", path=str(tmp_path / "*" / "train.txt"))] == ["one/train.txt:1", "two/train.txt:1"]


def test_text_glob_without_match_is_a_clear_error(host, tmp_path):
    with pytest.raises(PluginError, match="no file matches"):
        load(host, "text", path=str(tmp_path / "missing-*.txt"))


def test_jsonl_and_csv_tables(host, tmp_path):
    (tmp_path / "rows.jsonl").write_text(
        "\n".join(json.dumps({"key": f"k{i}", "body": f"sentence number {i} is here"}) for i in range(3))
    )
    (tmp_path / "rows.csv").write_text("body,key\nthe csv sentence is here,c1\n")
    assert [r.id for r in load(host, "table", path=str(tmp_path / "rows.jsonl"), column="body", id_column="key")] == [
        "k0",
        "k1",
        "k2",
    ]
    assert load(host, "table", path=str(tmp_path / "rows.csv"), column="body")[0].text == "the csv sentence is here"
    with pytest.raises(PluginError, match=r"rows.csv, row 1: no column 'text' \(columns: body, key\)"):
        load(host, "table", path=str(tmp_path / "rows.csv"))


def test_malformed_jsonl_names_file_and_line(host, tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"text": "fine sentence here ok"}\n{oops\n')
    with pytest.raises(PluginError, match="bad.jsonl, line 2: not valid JSON"):
        load(host, "table", path=str(tmp_path / "bad.jsonl"))


def test_huggingface_dataset_from_local_files_and_saved_folder(host, tmp_path):
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "csvdata"
    folder.mkdir()
    (folder / "train.csv").write_text("sentence\nthe first hub sentence here\nthe second hub sentence here\n")
    records = load(host, "huggingface", path=str(folder), column="sentence")
    assert [r.text for r in records] == ["the first hub sentence here", "the second hub sentence here"]
    saved = tmp_path / "saved"
    datasets.Dataset.from_dict({"text": ["a saved dataset sentence here"]}).save_to_disk(str(saved))
    assert load(host, "huggingface", path=str(saved))[0].id == "train:0"
    with pytest.raises(PluginError, match="no column 'body'"):
        load(host, "huggingface", path=str(saved), column="body")
    with pytest.raises(PluginError, match="no column 'key'"):
        load(host, "huggingface", path=str(saved), id_column="key")
    splits = tmp_path / "splits"
    datasets.DatasetDict({"test": datasets.Dataset.from_dict({"text": ["one test sentence here"]})}).save_to_disk(str(splits))
    assert load(host, "huggingface", path=str(splits), split="test")[0].text == "one test sentence here"
    with pytest.raises(PluginError, match=r"no split 'train' \(splits: test\)"):
        load(host, "huggingface", path=str(splits))


def test_huggingface_data_files_by_path_or_glob(host, tmp_path):
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_dict({"body": ["a parquet sentence number one", "a parquet sentence number two"]}).to_parquet(
        tmp_path / "part-0.parquet"
    )
    datasets.Dataset.from_dict({"body": ["a parquet sentence number three"]}).to_parquet(tmp_path / "part-1.parquet")
    (tmp_path / "rows.jsonl").write_text('{"body": "a json lines sentence here", "key": "j1"}\n')
    one = load(host, "huggingface", path=str(tmp_path / "part-0.parquet"), column="body")
    assert [r.text for r in one] == ["a parquet sentence number one", "a parquet sentence number two"]
    assert len(load(host, "huggingface", path=str(tmp_path / "part-*.parquet"), column="body", split="test")) == 3
    assert load(host, "huggingface", path=str(tmp_path / "rows.jsonl"), column="body", id_column="key")[0].id == "j1"
    with pytest.raises(PluginError, match="no file or folder matches path"):
        load(host, "huggingface", path=str(tmp_path / "missing-*.parquet"))
    with pytest.raises(PluginError, match="must match files of one kind"):
        load(host, "huggingface", path=str(tmp_path / "*"))


@pytest.mark.parametrize("options", [{}, {"path": "a.parquet", "dataset": "org/name"}])
def test_huggingface_needs_path_or_dataset(host, options):
    with pytest.raises(PluginError, match="set either path .* or dataset"):
        load(host, "huggingface", **options)


def test_huggingface_unknown_name_fails_clearly_offline(host, monkeypatch):
    config = pytest.importorskip("datasets.config")
    import huggingface_hub.constants

    # What HF_DATASETS_OFFLINE=1 / HF_HUB_OFFLINE=1 set when datasets is first imported.
    monkeypatch.setattr(config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(PluginError, match="cannot load Hugging Face dataset 'no-such/dataset-here'"):
        load(host, "huggingface", dataset="no-such/dataset-here")


def test_wikipedia_topic_filter_gives_distinct_datasets(host):
    maths = load(host, "wikipedia", topics=["Mathematics"], n=200)
    people = load(host, "wikipedia", topics=["People"], n=200)
    assert len(maths) == len(people) == 200
    assert {r.meta["topic"] for r in maths} == {"Mathematics"} and {r.meta["topic"] for r in people} == {"People"}
    assert all("#" in r.id for r in maths)  # split into sentences by default
    with pytest.raises(PluginError, match="unknown topics \\['Maths'\\]; known: .*Mathematics"):
        load(host, "wikipedia", topics=["Maths"])


def test_bible_conversations_jokes(host):
    bible = load(host, "bible", testament="new")
    assert bible[0].id == "Matthew 1:1" and "[" not in "".join(r.text for r in bible[:500])
    questions = load(host, "conversations", part="questions")
    assert questions and all(r.meta["turn"] == 0 for r in questions)
    assert len(load(host, "jokes", category="chuck")) < len(load(host, "jokes"))


def test_missing_corpus_package_names_the_install(host, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyjokes" else real(name, *a))
    with pytest.raises(PluginError, match=r"pyjokes is not installed: pip install 'illusion\[default\]'"):
        load(host, "jokes")


@pytest.mark.slow
@pytest.mark.parametrize("name, package", [("wordnet", "wordnet-base"), ("fortunes", "fortunes-min"), ("foldoc", "dict-foldoc")])
def test_debian_corpora_read_or_name_the_package(host, name, package, monkeypatch, tmp_path):
    from illusion.plugins import debian_datasets

    try:
        records = load(host, name, n=50)
    except PluginError as exc:
        assert f"apt-get install {package}" in str(exc)
    else:
        assert len(records) == 50 and len({r.id for r in records}) == 50
    for attribute in ("WORDNET_DIR", "FORTUNES_DIR", "FOLDOC_FILE"):
        monkeypatch.setattr(debian_datasets, attribute, tmp_path / "absent")
    with pytest.raises(PluginError, match=f"install the Debian package {package}"):
        load(host, name)


def test_plugin_failure_while_reading_names_the_plugin():
    from illusion import DatasetPlugin, Record

    def failing():
        yield Record("1", "one good sentence here")
        raise ValueError("disk on fire")

    with pytest.raises(PluginError, match="dataset 'failing' failed while reading: ValueError: disk on fire"):
        DatasetPlugin("failing", "Fails midway.", failing).load({}, seed=0)


def _by_shard(host, plugin, **options):
    registration = host.get("dataset", plugin)
    names = registration.shard_names(options)
    return names, [r for name in names for r in registration.load(options, seed=0, shard=name, sample=False)]


def test_text_and_table_files_are_shards_that_read_as_the_whole(host, tmp_path):
    (tmp_path / "a.txt").write_text("the first line is here\nthe second line is here\n")
    (tmp_path / "b.txt").write_text("a line from another file\n")
    names, records = _by_shard(host, "text", path=str(tmp_path / "*.txt"))
    assert names == ["a.txt", "b.txt"] and records == load(host, "text", path=str(tmp_path / "*.txt"))
    for number, name in enumerate(["c.jsonl", "d.jsonl"]):
        (tmp_path / name).write_text("".join(json.dumps({"text": f"row {i} of table file {number}"}) + "\n" for i in range(3)))
    names, records = _by_shard(host, "table", path=str(tmp_path / "*.jsonl"))
    assert names == ["c.jsonl", "d.jsonl"] and records == load(host, "table", path=str(tmp_path / "*.jsonl"))
    assert [r.id for r in records][2:4] == ["c.jsonl:3", "d.jsonl:1"]


def test_huggingface_parquet_files_shard_by_row_group(host, tmp_path):
    pytest.importorskip("datasets")
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, size in (("a", 10), ("b", 5)):
        table = pa.table({"text": [f"sentence {i} of file {name} here" for i in range(size)]})
        pq.write_table(table, tmp_path / f"{name}.parquet", row_group_size=4)
    names, records = _by_shard(host, "huggingface", path=str(tmp_path / "*.parquet"))
    assert len(names) == 5 and names[0].endswith("a.parquet#0") and names[-1].endswith("b.parquet#1")
    assert records == load(host, "huggingface", path=str(tmp_path / "*.parquet"))
    assert [r.id for r in records][10:12] == ["train:10", "train:11"]
    (tmp_path / "c.csv").write_text("text\nthe only row of the csv\n")
    assert _by_shard(host, "huggingface", path=str(tmp_path / "c.csv"))[0] == ["all"]  # not Parquet: one shard


@pytest.mark.parametrize(("name", "content"), [("notes.txt", "Plain first line here.\n"), ("notes.csv", "text\nPlain row.\n")])
def test_text_in_another_encoding_names_dataset_file_and_line_and_reads_with_its_encoding(host, tmp_path, name, content):
    (tmp_path / name).write_bytes((content + "Le café était fermé ce matin-là.\n").encode("latin-1"))
    plugin = host.get("dataset", "table" if name.endswith(".csv") else "text").as_configured("notes")
    with pytest.raises(PluginError) as caught:
        plugin.load({"path": str(tmp_path / name)}, seed=0)
    assert str(caught.value) == (
        f"dataset 'notes' (plugin '{plugin.name}'): {tmp_path / name}, line {content.count(chr(10)) + 1}: "
        "not valid utf-8 (byte 0xe9): "
        "set the dataset's encoding option to the file's encoding, e.g. encoding = \"latin-1\""
    )
    records = plugin.load({"path": str(tmp_path / name), "encoding": "latin-1"}, seed=0)
    assert records[-1].text == "Le café était fermé ce matin-là."
    with pytest.raises(PluginError, match="unknown encoding 'latin-9000'"):
        plugin.load({"path": str(tmp_path / name), "encoding": "latin-9000"}, seed=0)
