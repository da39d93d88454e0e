"""Direction sampler ``sparse``: seeded random directions that each mix only a few neurons."""

from __future__ import annotations

import numpy as np

from illusion import Directions, DirectionSamplerPlugin, Param, PluginError, SamplerContext, hookimpl, unit_rows


def sparse_directions(context: SamplerContext, count: int, nonzero: int, seed: int | None) -> Directions:
    if count < 1:
        raise PluginError(f"direction sampler 'sparse': count must be at least 1, not {count}")
    if not 1 <= nonzero <= context.dim:
        raise PluginError(f"direction sampler 'sparse': nonzero must be 1..{context.dim}, not {nonzero}")
    rng = context.rng(seed)
    vectors = np.zeros((count, context.dim))
    for row in vectors:
        row[rng.choice(context.dim, size=nonzero, replace=False)] = rng.standard_normal(nonzero)
    return Directions([str(i) for i in range(count)], unit_rows(vectors))


@hookimpl
def illusion_direction_samplers():
    yield DirectionSamplerPlugin(
        name="sparse",
        description="Seeded random directions with only a few non-zero neurons each.",
        factory=sparse_directions,
        params=[
            Param("count", int, 20, "how many directions"),
            Param("nonzero", int, 4, "neurons mixed in each direction"),
            Param("seed", int, None, "seed of the draw (the run's seed when unset)"),
        ],
    )
