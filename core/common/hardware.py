"""What this machine's processor offers that changes which code path is fastest."""

from __future__ import annotations

from functools import cache

NATIVE_BF16_CHECKS = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's, present since torch 2.1


@cache
def native_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX): bf16 matrix products run 2-3x float32."""
    import torch

    return any(getattr(torch.cpu, check, lambda: False)() for check in NATIVE_BF16_CHECKS)
