"""One call from a news script to a finished clip: ``render(script_path, out_dir)``.

script -> speech -> performance -> compose -> export.  All outputs are written
into a hidden staging folder inside ``out_dir`` and moved into place only when
every one of them is complete, so a failure never leaves half a clip behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .aigc import aigc_json, aigc_label
from .avatar import load_avatar
from .compose import compose_frames
from .errors import InputError
from .export import ClipWriter, ExportPreset
from .graphics import overlay_sprites, studio_background, subtitle_sprite
from .layout import layout_for
from .performance import perform
from .script import Script, load_script
from .speech import synthesize
from .station import load_station
from .subtitles import build_cues, to_srt
from .voices import load_voice

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class RenderOptions:
    voice: str | None = None  # overrides the script's voice preset
    avatar: str | None = None  # overrides the script's avatar pack
    station: str | None = None  # path to a station.yaml; default: the repo's
    lead_in: float = 0.4  # seconds of the anchor at rest before speaking
    lead_out: float = 0.8  # ... and after
    export: ExportPreset = field(default_factory=ExportPreset)


@dataclass(frozen=True)
class Clip:
    video: Path
    subtitles: Path
    metadata: Path
    info: dict


def render(script_path: str | Path, out_dir: str | Path, options: RenderOptions | None = None,
           progress: Progress | None = None) -> Clip:
    """Render the news script at ``script_path`` into ``out_dir`` as <stem>.mp4/.srt/.json."""
    return render_script(load_script(script_path), out_dir, options, progress)


def render_script(script: Script, out_dir: str | Path, options: RenderOptions | None = None,
                  progress: Progress | None = None) -> Clip:
    options = options or RenderOptions()
    report = progress or (lambda stage, fraction: None)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"输出位置不是文件夹：{out_dir}", f"output path is not a folder: {out_dir}")
    # Check everything a producer could have got wrong before any slow work starts.
    voice = load_voice(options.voice or script.voice, script.language)
    avatar = load_avatar(options.avatar or script.avatar)
    station = load_station(options.station)
    preset = options.export
    layout = layout_for(preset.width, preset.height)

    started = time.monotonic()
    report("speech", 0.0)
    # The speech engine (TensorFlow Lite / ONNX, outside the GIL) runs beside the picture work.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="speech") as pool:
        speaking = pool.submit(synthesize, script, voice, lambda f: report("speech", f))
        report("avatar", 0.0)
        backdrop = studio_background(layout, station)
        box = layout.avatar
        rig = avatar.rig(np.ascontiguousarray(backdrop[box.y:box.y + box.h, box.x:box.x + box.w]))
        speech = speaking.result()
    fps = preset.fps
    n_frames = round((options.lead_in + speech.duration + options.lead_out) * fps)
    audio = _pad(speech.samples, speech.sample_rate, options.lead_in, n_frames / fps)
    timeline = speech.timeline.shifted(options.lead_in)
    cues = build_cues(timeline, script.language)
    seed = int(hashlib.sha256(script.body.encode()).hexdigest()[:8], 16)
    performance = perform(timeline, script.language, n_frames, fps, audio, speech.sample_rate, seed)
    overlays = overlay_sprites(script, layout, station, n_frames / fps)
    subtitles = (sprite for cue in cues if (sprite := subtitle_sprite(cue, layout, station)) is not None)

    spoken = "\n".join(p.spoken for p in speech.timeline.phrases)
    content_hash = hashlib.sha256("\n".join([script.title, spoken, voice.name, avatar.id]).encode()).hexdigest()
    label = aigc_label(station.code, content_hash)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{script.stem}.", suffix=".partial", dir=out_dir))
    try:
        video = staging / f"{script.stem}.mp4"
        metadata = {"AIGC": aigc_json(label), "title": script.title, "comment": f"anchor {__version__}"}
        with ClipWriter(video, preset, audio, speech.sample_rate, metadata) as writer:
            for i, frame in enumerate(compose_frames(backdrop, rig, box, performance, overlays, subtitles)):
                writer.write(frame)
                if i % fps == 0:
                    report("render", i / n_frames)
        report("render", 1.0)
        (staging / f"{script.stem}.srt").write_text(to_srt(cues), encoding="utf-8")
        info = {
            "title": script.title,
            "language": script.language,
            "duration": round(n_frames / fps, 3),
            "speech_duration": round(speech.duration, 3),
            "resolution": [preset.width, preset.height],
            "fps": fps,
            "voice": speech.voice,
            "engine": speech.engine,
            "avatar": avatar.id,
            "lower_third": asdict(script.lower_third) if script.lower_third else None,
            "spoken_text": spoken,
            "cues": [{"start": round(c.start, 3), "end": round(c.end, 3), "text": "\n".join(c.lines)} for c in cues],
            "aigc": label,
            "files": {"video": video.name, "subtitles": f"{script.stem}.srt"},
            "sha256": {"video": _sha256(video), "subtitles": _sha256(staging / f"{script.stem}.srt")},
            "warnings": list(speech.warnings),
            "render_seconds": round(time.monotonic() - started, 2),
            "anchor_version": __version__,
        }
        (staging / f"{script.stem}.json").write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        final = {suffix: out_dir / f"{script.stem}{suffix}" for suffix in (".mp4", ".srt", ".json")}
        for suffix, path in final.items():
            os.replace(staging / path.name, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Clip(final[".mp4"], final[".srt"], final[".json"], info)


def _pad(samples: np.ndarray, rate: int, lead_in: float, total: float) -> np.ndarray:
    """Speech placed ``lead_in`` seconds into silence lasting exactly ``total`` seconds."""
    out = np.zeros(round(total * rate), np.float32)
    start = round(lead_in * rate)
    piece = samples[: max(len(out) - start, 0)]
    out[start:start + len(piece)] = piece
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
