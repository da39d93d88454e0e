"""stats.direction_findings: pooled composition and range overlaps from per-dataset top-k arrays."""

import numpy as np

from illusion.run import stats


def test_findings_per_direction_and_by_condition():
    top = {
        "a": (np.array([[0, 1], [2, 3]]), np.array([[9.0, 8.0], [1.0, 0.5]])),
        "b": (np.array([[5, 6], [7, 8]]), np.array([[2.0, 1.0], [0.9, 0.2]])),
    }
    found = stats.direction_findings(top, ["n:0", "n:1"], ["n", "n"], 2)
    assert found["n:0"].pooled.counts == {"a": 2} and found["n:0"].range_overlap == {"a|b": False}
    assert found["n:1"].pooled.largest_share == 0.5 and found["n:1"].range_overlap == {"a|b": True}
    assert stats.summarise_by_condition(found)["n"].range_overlap_share == 0.5
