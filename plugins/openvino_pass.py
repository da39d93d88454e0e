"""The transformer layer's forward passes run by OpenVINO (``runtime = "openvino"``, on a CPU).

The torch model, cut after its layer, is converted once per pass it is asked for (no ONNX file) and
compiled for the CPU in float32, or with OpenVINO's bfloat16 inference precision (matrix products in
bfloat16, the precision-sensitive parts kept in float32). A pass gives the hidden states it is asked for (or the last one)
as torch's ``output_hidden_states`` does, as torch tensors, and only those (a whole pass that kept
every layer's would be slower); the layer checks it against torch on the first batch it runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from illusion import PluginError, PluginUnavailable

RUNTIMES = ("torch", "openvino")
OPENVINO = "openvino"
HINTS = {"float32": "f32", "bfloat16": "bf16"}  # the layer's dtype to OpenVINO's inference precision
TOLERANCE = {"float32": 1e-5, "bfloat16": 3e-2}  # relative error on the real tokens: measured 1e-6 and 5e-3 (MiniLM)


def openvino_dtype(dtype: str, device: str) -> str:
    """The precision a layer with runtime ``openvino`` runs in (``auto``: float32); refuses other devices and dtypes."""
    if device not in ("auto", "cpu"):
        raise PluginError(f"model layer 'transformer': runtime 'openvino' runs on the CPU, not {device!r}; use device = 'cpu'")
    chosen = "float32" if dtype == "auto" else dtype
    if chosen not in HINTS:
        raise PluginError(
            f"model layer 'transformer': runtime 'openvino' runs in float32 or bfloat16, not {dtype!r}; "
            "use dtype = 'float32' or 'bfloat16'"
        )
    return chosen


def check_installed() -> None:
    """Refuse runtime ``openvino`` where the openvino package is missing, saying how to install it."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        raise PluginUnavailable(
            "model layer 'transformer': runtime 'openvino' needs the openvino package: pip install 'illusion[openvino]'"
        ) from None


def compiled_pass(
    model: Any, first: dict[str, Any], precision: str, threads: int, layers: Sequence[int] | None
) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """``model``'s pass compiled by OpenVINO: from a batch's torch inputs (those of ``first``, the first batch), the
    hidden states at ``layers`` (0: the embeddings), else (None) the last one, as a tuple of torch tensors.

    It is traced at another shape than ``first``'s, with a padded row, so that the check on ``first`` finds a pass
    whose tracing fixed a shape (Longformer's chunks) or left the padding out, which later batches would get wrong."""
    import openvino
    import torch

    class States(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: Any) -> tuple[Any, ...]:
            return hidden_states(self.model(**dict(zip(names, inputs)), output_hidden_states=layers is not None), layers)

    model.config.use_cache = False  # a decoder's key/value cache, which nothing reads, is not converted
    names = list(first)
    rows, width = first[names[0]].shape
    example = tuple(torch.ones(rows + 1, width - 1 if width > 2 else width + 1, dtype=torch.int64) for _ in names)
    if "attention_mask" in names:
        example[names.index("attention_mask")][-1, -1] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow fixed by the example's shapes
        converted = openvino.convert_model(States(), example_input=example, input=[([-1, -1], openvino.Type.i64)] * len(names))
    settings = {"INFERENCE_PRECISION_HINT": HINTS[precision], "INFERENCE_NUM_THREADS": threads}
    program = openvino.Core().compile_model(converted, "CPU", settings)

    def run(inputs: dict[str, Any]) -> tuple[Any, ...]:
        found = program([inputs[name].numpy() for name in names])
        states = tuple(torch.from_numpy(found[index]) for index in range(len(program.outputs)))
        shape = tuple(inputs[names[0]].shape)
        if any(tuple(state.shape[:2]) != shape for state in states):  # a shape the tracing fixed (Longformer's padding)
            raise ValueError(f"hidden states of shape {tuple(states[0].shape)} for inputs of shape {shape}")
        return states

    return run


@contextmanager
def failures(model: str) -> Iterator[None]:
    """Where OpenVINO converts or runs ``model``'s pass: a failure is refused as a ``PluginError`` that says what failed."""
    try:
        yield
    except Exception as exc:
        raise PluginError(
            f"model layer 'transformer': OpenVINO cannot run model {model!r}: {type(exc).__name__}: {exc}; use runtime = 'torch'"
        ) from None


def hidden_states(output: Any, layers: Sequence[int] | None) -> tuple[Any, ...]:
    """The hidden states at ``layers`` of a model's ``output``, else (None) its last one."""
    return (output.last_hidden_state,) if layers is None else tuple(output.hidden_states[layer] for layer in layers)


def check_pass(found: Sequence[Any], expected: Sequence[Any], inputs: dict[str, Any], precision: str, model: str) -> None:
    """Refuse a compiled pass whose hidden states ``found`` for a batch's ``inputs`` are not torch's ``expected`` ones
    (on the real tokens, within the precision's tolerance)."""
    real = inputs["attention_mask"].bool()
    for ours, theirs in zip(found, expected, strict=True):
        error = float((ours[real].float() - theirs[real].float()).norm() / theirs[real].float().norm().clamp_min(1e-30))
        if not error <= TOLERANCE[precision]:
            raise PluginError(
                f"model layer 'transformer': OpenVINO does not reproduce the hidden states of model {model!r} "
                f"(relative error {error:.1e} in {precision}, more than {TOLERANCE[precision]:.0e}); use runtime = 'torch'"
            )
