"""What this machine's processor offers that changes which code path is fastest."""

from __future__ import annotations

from functools import cache
from pathlib import Path

NATIVE_BF16_FLAGS = {"avx512_bf16", "amx_bf16"}


@cache
def native_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX): bf16 matrix products run about 2-3x float32."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return bool(NATIVE_BF16_FLAGS & set(flags))
