"""A finished clip's files: the videos, and what travels with them (covers, SRT, WebVTT, metadata JSON)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..files import file_sha256
from ..graphics import Cue


@dataclass(frozen=True)
class Clip:
    """One finished story: a video (and cover) per aspect, subtitles and the metadata JSON."""

    stem: str
    videos: dict[str, Path]  # aspect -> MP4
    covers: dict[str, Path]  # aspect -> JPEG
    subtitles: Path  # SRT
    webvtt: Path
    metadata: Path
    info: dict
    audio: dict[str, Path] = field(default_factory=dict)  # the audio master beside the clip, if asked: mp3, wav

    @property
    def video(self) -> Path:
        return next(iter(self.videos.values()))

    def files(self) -> list[Path]:
        return [*self.videos.values(), *self.covers.values(), self.subtitles, self.webvtt, self.metadata,
                *self.audio.values()]

    def moved_to(self, folder: Path) -> "Clip":
        """Move every file into ``folder`` (same file system: each move is atomic); the clip as it is there."""
        moved = {path: folder / path.name for path in self.files()}
        for source, target in moved.items():
            os.replace(source, target)
        return Clip(self.stem, {a: moved[p] for a, p in self.videos.items()},
                    {a: moved[p] for a, p in self.covers.items()}, moved[self.subtitles], moved[self.webvtt],
                    moved[self.metadata], self.info, {k: moved[p] for k, p in self.audio.items()})


def write_subtitles(stem: Path, cues: list[Cue]) -> tuple[Path, Path]:
    """``<stem>.srt`` and ``<stem>.vtt`` with the clip's subtitle cues."""
    srt, vtt = stem.with_name(stem.name + ".srt"), stem.with_name(stem.name + ".vtt")
    srt.write_text(to_srt(cues), encoding="utf-8")
    vtt.write_text(to_vtt(cues), encoding="utf-8")
    return srt, vtt


def _timestamp(seconds: float, separator: str = ",") -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def to_srt(cues: list[Cue]) -> str:
    """Standard SubRip text: numbered blocks, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``, one line per subtitle line
    (at a two-anchor desk the first line starts with who speaks: ``融融：``)."""
    blocks = []
    for i, cue in enumerate(cues, 1):
        lines = [f"{cue.speaker}：{cue.lines[0]}", *cue.lines[1:]] if cue.speaker and cue.lines else list(cue.lines)
        blocks.append(f"{i}\n{_timestamp(cue.start)} --> {_timestamp(cue.end)}\n" + "\n".join(lines) + "\n")
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT text (``WEBVTT`` header, ``HH:MM:SS.mmm`` times) for web players and apps; a speaker as a
    voice span (``<v 融融>``)."""
    blocks = ["WEBVTT\n"]
    for cue in cues:
        text = "\n".join(line.replace("-->", "→") for line in cue.lines)
        if cue.speaker:
            text = f"<v {cue.speaker}>{text}"
        blocks.append(f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{text}\n")
    return "\n".join(blocks)


def write_cover(path: Path, picture: np.ndarray) -> Path:
    Image.fromarray(picture).save(path, quality=90)
    return path


def write_metadata(path: Path, info: dict) -> Path:
    path.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def file_entry(path: Path, role: str, aspect: str | None = None) -> dict:
    """One output file as the metadata JSON lists it: name, role, aspect, size and SHA-256."""
    return {"name": path.name, "role": role, "aspect": aspect, "bytes": path.stat().st_size, "sha256": file_sha256(path)}
