"""Hugging Face ``datasets``: local data files or folders (``path``), or a hub dataset from the local cache (``dataset``)."""

from __future__ import annotations

import glob
from collections.abc import Iterator
from pathlib import Path

from illusion import DatasetPlugin, Param, PluginError, PluginUnavailable, Record, hookimpl

BUILDERS = {
    ".parquet": ("parquet", {}),
    ".csv": ("csv", {}),
    ".tsv": ("csv", {"sep": "\t"}),
    ".json": ("json", {}),
    ".jsonl": ("json", {}),
    ".txt": ("text", {}),
    ".arrow": ("arrow", {}),
}
"""The ``datasets`` builder that reads data files of each suffix, with its options."""
_SAVED = ("dataset_info.json", "state.json", "dataset_dict.json")


WHOLE = "all"
"""The one shard of a dataset that cannot be read in parts (not Parquet files)."""


def hf_shards(path: str | None, **_: object) -> list[str]:
    """Parquet data files shard by row group (``FILE#GROUP``); anything else is one shard."""
    groups = _row_groups(path)
    return [f"{file}#{group}" for file, group, _ in groups] if groups else [WHOLE]


def _row_groups(path: str | None) -> list[tuple[str, int, int]]:
    """(file, row group, first row number) of every row group of the Parquet files ``path`` matches, in read order."""
    if path is None or Path(path).expanduser().is_dir():
        return []
    files = sorted(p for p in glob.glob(str(Path(path).expanduser()), recursive=True) if Path(p).is_file())
    if not files or any(Path(file).suffix.lower() != ".parquet" for file in files):
        return []
    import pyarrow.parquet as pq

    groups, start = [], 0
    for file in files:
        metadata = pq.ParquetFile(file).metadata
        for group in range(metadata.num_row_groups):
            groups.append((file, group, start))
            start += metadata.row_group(group).num_rows
    return groups


def _row_group(path: str, shard: str, split: str, column: str, id_column: str | None) -> Iterator[Record]:
    """The records of one row group, numbered as the whole dataset numbers them."""
    import pyarrow.parquet as pq

    for file, group, start in _row_groups(path):
        if f"{file}#{group}" == shard:
            table = pq.ParquetFile(file).read_row_group(group)
            _check_columns(file, table.column_names, column, id_column)
            yield from _records(enumerate(table.to_pylist(), start), split, column, id_column)
            return
    raise PluginError(f"dataset 'huggingface': no row group {shard!r} in {path!r} (the files changed since it was listed)")


def _check_columns(source: str, columns: list[str], column: str, id_column: str | None) -> None:
    for wanted in (column, id_column):
        if wanted is not None and wanted not in columns:
            raise PluginError(f"{source}: no column {wanted!r} (columns: {', '.join(columns)})")


def _records(rows, split: str, column: str, id_column: str | None) -> Iterator[Record]:
    for number, row in rows:
        text = row[column]
        if isinstance(text, str) and text.strip():
            key = str(row[id_column]) if id_column else f"{split}:{number}"
            yield Record(key, text.strip(), {"split": split})


def hf_rows(
    path: str | None,
    dataset: str | None,
    config: str | None,
    split: str,
    column: str,
    id_column: str | None,
    shard: str | None = None,
) -> Iterator[Record]:
    if path is None and dataset is None:  # nothing to read: like a required parameter without a value
        raise PluginUnavailable("dataset 'huggingface': set either path (local data files or a folder) or dataset (a hub name)")
    if path is not None and dataset is not None:
        raise PluginError(
            "dataset 'huggingface': set either path (local data files or a folder) or dataset (a hub name), not both"
        )
    if path is not None and shard not in (None, WHOLE):
        yield from _row_group(path, shard, split, column, id_column)
        return
    try:
        import datasets
    except ImportError:
        raise PluginUnavailable("dataset 'huggingface' needs the datasets package: pip install 'illusion[hf]'") from None
    source = path or dataset
    try:
        data = _local(datasets, path, config, split) if path else datasets.load_dataset(dataset, config, split=split)
    except (FileNotFoundError, ValueError, ConnectionError, OSError) as exc:
        raise PluginError(
            f"cannot load Hugging Face dataset {source!r} (config {config!r}, split {split!r}) offline: {exc}. "
            "Use path = local data files or a folder, or a dataset already in the local cache (HF_DATASETS_OFFLINE=1)."
        ) from None
    _check_columns(f"{source} [{split}]", data.column_names, column, id_column)
    yield from _records(enumerate(data), split, column, id_column)


def _local(datasets, path: str, config: str | None, split: str):
    """A folder saved with ``save_to_disk``, a folder of data files, or data files (a path or glob) read as ``split``."""
    folder = Path(path).expanduser()
    if any((folder / marker).exists() for marker in _SAVED):
        saved = datasets.load_from_disk(str(folder))
        if isinstance(saved, datasets.DatasetDict):
            if split not in saved:
                raise PluginError(f"{path}: no split {split!r} (splits: {', '.join(saved)})")
            return saved[split]
        return saved
    if folder.is_dir():
        return datasets.load_dataset(str(folder), config, split=split)
    files = sorted(p for p in glob.glob(str(folder), recursive=True) if Path(p).is_file())
    if not files:
        raise PluginError(f"dataset 'huggingface': no file or folder matches path {path!r}")
    suffixes = {Path(file).suffix.lower() for file in files}
    if len(suffixes) > 1 or not suffixes <= set(BUILDERS):
        raise PluginError(
            f"dataset 'huggingface': path {path!r} must match files of one kind ({', '.join(BUILDERS)}), "
            f"not {', '.join(sorted(suffixes))}"
        )
    builder, options = BUILDERS[suffixes.pop()]
    return datasets.load_dataset(builder, data_files={split: files}, split=split, **options)


@hookimpl
def illusion_datasets():
    yield DatasetPlugin(
        name="huggingface",
        description="A Hugging Face dataset: local data files (Parquet, CSV, JSON...), a saved folder, or a hub name in the local cache.",
        factory=hf_rows,
        shards=hf_shards,
        params=[
            Param(
                "path",
                str,
                None,
                "local data files (path or glob: .parquet, .csv, .json...) or folder (save_to_disk or data files)",
            ),
            Param("dataset", str, None, "hub dataset name, read from the local Hugging Face cache"),
            Param("config", str, None, "configuration name (with dataset or a folder of data files)"),
            Param("split", str, "train", "split to read (data files are read as this split)"),
            Param("column", str, "text", "column that holds the sentence"),
            Param("id_column", str, None, "column with a stable id (split and row number when unset)"),
        ],
    )
