"""Speech, the stage's result, and the speech cache on disk that keeps one per file.

An entry is a JSON header (timeline, voice, engine, notes) and float32 samples, memory-mapped when read.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..cache import cache_key, cache_root
from ..files import atomic_output, file_sha256, remove_quietly
from ..script import Script
from ..version import __version__
from .engines import EngineFailed
from .timeline import Timeline
from .voices import VoicePreset
from .words import news_words, script_words

SAMPLE_RATE = 48000
CACHE_FORMAT = 1  # bump when what is stored changes meaning


@dataclass(frozen=True)
class Speech:
    samples: np.ndarray  # float32 mono, 48000 Hz, loudness-normalised (may be a read-only-file memory map)
    sample_rate: int
    timeline: Timeline
    voice: str  # preset name actually used
    engine: str  # engine name actually used
    warnings: list[str] = field(default_factory=list)
    cached: bool = False  # True when the audio and timeline came from the speech cache
    fallback: dict | None = None  # another voice spoke: {"asked", "spoke", "zh", "en"} (why, in a producer's words)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


_MAGIC = b"ANCHOR-SPEECH\n"


def _cache_key(script: Script, preset: VoicePreset) -> str:
    """Everything the speech depends on: the body as written (and the headline, when it is read first),
    the preset, its model and lexicon, the words phrases are never cut inside, the code."""
    settings = preset.model_dump(exclude={"name", "default", "fallback", "description", "timeout", "proxy", "lexicon",
                                         "title", "title_en"})
    headline = [["read_title", *script.preamble()]] if script.preamble() else []
    return cache_key("speech", CACHE_FORMAT, __version__, script.language, script.body,
                     settings, _model_fingerprint(preset), preset.lexicon_entries().fingerprint(), *headline,
                     ["words", sorted(news_words()), [w for w in script_words(script) if w in script.body]])


def _model_fingerprint(preset: VoicePreset) -> list:
    """What identifies the model's content: size and time of each file (a recording: its bytes' hash)."""
    path = preset.model_path()
    if path is None or not path.exists():
        return []
    if preset.engine == "recording":
        return [file_sha256(path)]
    files = sorted(path.rglob("*")) if path.is_dir() else [path, Path(f"{path}.json")]
    return [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files if f.is_file()]


def _cache_path(key: str) -> Path:
    return cache_root() / "speech" / f"{key}.speech"


def _open_entry(path: Path) -> Speech | None:
    """The Speech stored at ``path``, its samples memory-mapped; None if missing or damaged."""
    try:
        with open(path, "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size).decode("utf-8"))
        offset = _data_offset(size)
        n = int(header["n"])
        if n <= 0 or os.path.getsize(path) != offset + 4 * n:
            return None
        samples = np.memmap(path, dtype="<f4", mode="c", offset=offset, shape=(n,))
        return Speech(samples, header["sample_rate"], Timeline.from_dict(header["timeline"]),
                      header["voice"], header["engine"], list(header.get("notes", [])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _data_offset(header_size: int) -> int:
    return -(-(len(_MAGIC) + 8 + header_size) // 64) * 64


def _store(path: Path | None, raw: "_RawAudio", rate: int, target: float, timeline: Timeline,
           voice: str, engine: str, notes: list[str]) -> Speech:
    """Normalise ``raw`` into a speech file at ``path`` (or a private temporary one) and map it."""
    from ..audio import normalize_loudness

    n = round(raw.n * SAMPLE_RATE / rate)
    header = json.dumps({"n": n, "sample_rate": SAMPLE_RATE, "voice": voice, "engine": engine, "notes": notes,
                         "timeline": timeline.to_dict()}, ensure_ascii=False).encode("utf-8")
    prefix = _MAGIC + len(header).to_bytes(8, "little") + header
    offset = _data_offset(len(header))

    def write(target_path: Path):
        with open(target_path, "wb") as f:
            f.write(prefix + b"\0" * (offset - len(prefix)))
            f.truncate(offset + 4 * n)
        out = np.memmap(target_path, dtype="<f4", mode="r+", offset=offset, shape=(n,))
        normalize_loudness(raw.array(), rate, target_lufs=target, out_rate=SAMPLE_RATE, out=out)
        out.flush()
        del out

    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_output(path) as temp:
                write(temp)
            stored = _open_entry(path)
            if stored is not None:
                return stored
        except OSError:
            pass  # a read-only or full cache folder only costs speed: keep it in a private file
    handle, name = tempfile.mkstemp(prefix="anchor-speech-", suffix=".speech")
    os.close(handle)
    try:
        write(Path(name))
        stored = _open_entry(Path(name))  # the mapping outlives the file's name
    finally:
        remove_quietly(Path(name))
    if stored is None:
        raise EngineFailed("语音音频无法写入临时文件", "could not write the speech audio to a temporary file")
    return stored


class _RawAudio:
    """Float32 samples appended to an unnamed temporary file, so memory stays flat however long."""

    def __init__(self):
        folder = cache_root() / "speech"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.file = tempfile.TemporaryFile(dir=folder)
        except OSError:
            self.file = tempfile.TemporaryFile()
        self.n = 0

    def append(self, samples: np.ndarray):
        self.file.write(np.ascontiguousarray(samples, dtype="<f4").tobytes())
        self.n += len(samples)

    def silence(self, n: int):
        for a in range(0, n, 1 << 18):
            self.append(np.zeros(min(1 << 18, n - a), np.float32))

    def array(self) -> np.ndarray:
        self.file.flush()
        return np.memmap(self.file, dtype="<f4", mode="r", shape=(self.n,)) if self.n else np.zeros(0, np.float32)

    def close(self):
        self.file.close()
