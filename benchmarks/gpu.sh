#!/usr/bin/env bash
# The extraction benchmark on a CUDA machine that has PyTorch, transformers and sentence-transformers
# but no network and no illusion.
#   bash benchmarks/gpu.sh prepare   # here, in illusion's venv: .bench/ = the bundled model (weights in float16,
#                                    # to travel light) and the embedded Wikipedia sentences, one a line
#   bash benchmarks/gpu.sh [ARGS]    # there: install illusion from this tree, run benchmarks/extraction.py
#                                    # --device cuda [ARGS]; JSON to $OUT (else benchmarks/results)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if [ "${1:-}" = prepare ]; then
    mkdir -p .bench/model
    grep -qx '/.bench/' .git/info/exclude 2>/dev/null || echo '/.bench/' >> .git/info/exclude
    "$PYTHON" - <<'PY'
import shutil, sys
from pathlib import Path
from safetensors.torch import load_file, save_file
sys.path.insert(0, "benchmarks")
from common import corpus
from illusion.plugins.transformer import bundled_model_dir

source, target = bundled_model_dir("all-MiniLM-L6-v2"), Path(".bench/model")
shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("model.safetensors", "*.md", ".git*"))
save_file({k: v.half().contiguous() for k, v in load_file(source / "model.safetensors").items()}, target / "model.safetensors")
Path(".bench/sentences.txt").write_text("\n".join(t.replace("\n", " ") for t in corpus(36000)) + "\n", encoding="utf-8")
PY
    du -sh .bench
    exit 0
fi

"$PYTHON" -m pip install -q --no-deps --no-build-isolation --no-index --target /tmp/illusion-site . >/dev/null
export PYTHONPATH=/tmp/illusion-site PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
"$PYTHON" benchmarks/extraction.py --device cuda --model .bench/model --sentences .bench/sentences.txt \
    --n 36000 --batch-size 256 --rounds 3 --out "${OUT:-benchmarks/results}/" "$@"
