"""Hugging Face ``datasets``: a hub name (from the local cache when offline), a local folder or files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from illusion import DatasetPlugin, Param, PluginError, PluginUnavailable, Record, hookimpl


def hf_rows(name: str, config: str | None, split: str, column: str, id_column: str | None) -> Iterator[Record]:
    try:
        import datasets
    except ImportError:
        raise PluginUnavailable("dataset 'huggingface' needs the datasets package: pip install 'illusion[hf]'") from None
    data = _load(datasets, name, config, split)
    for wanted in (column, id_column):
        if wanted is not None and wanted not in data.column_names:
            raise PluginError(f"{name} [{split}]: no column {wanted!r} (columns: {', '.join(data.column_names)})")
    for number, row in enumerate(data):
        text = row[column]
        if isinstance(text, str) and text.strip():
            key = str(row[id_column]) if id_column else f"{split}:{number}"
            yield Record(key, text.strip(), {"split": split})


def _load(datasets, name: str, config: str | None, split: str):
    path = Path(name).expanduser()
    try:
        if any((path / marker).exists() for marker in ("dataset_info.json", "state.json", "dataset_dict.json")):
            saved = datasets.load_from_disk(str(path))
            if isinstance(saved, datasets.DatasetDict):
                if split not in saved:
                    raise PluginError(f"{name}: no split {split!r} (splits: {', '.join(saved)})")
                return saved[split]
            return saved
        return datasets.load_dataset(str(path) if path.exists() else name, config, split=split)
    except (FileNotFoundError, ValueError, ConnectionError, OSError) as exc:
        raise PluginError(
            f"cannot load Hugging Face dataset {name!r} (config {config!r}, split {split!r}) offline: {exc}. "
            "Use a local folder or files, or a dataset already in the local cache (HF_DATASETS_OFFLINE=1)."
        ) from None


@hookimpl
def illusion_datasets():
    yield DatasetPlugin(
        name="huggingface",
        description="A Hugging Face dataset: hub name from the local cache, a saved folder, or local data files.",
        factory=hf_rows,
        params=[
            Param("name", str, help="hub name, local folder (load_from_disk or data files)"),
            Param("config", str, None, "configuration name"),
            Param("split", str, "train", "split to read"),
            Param("column", str, "text", "column that holds the sentence"),
            Param("id_column", str, None, "column with a stable id (split and row number when unset)"),
        ],
    )
