"""Audio programmes for county radio and emergency-broadcast loudspeakers.

``render_audio`` reads a script as an MP3 (``--audio-only``); ``render_bulletin`` joins several
scripts into one bulletin with chapters and a running order; ``audio_master`` is the same
sound written beside a video clip (``--audio``).  script -> speech (the station's AI notice
in the script's voice, then the story) -> render (jingle, notice, items, beds) -> export
(MP3 and WAV master, mastered to the broadcast preset's loudness unless asked otherwise).
Like clips, everything is written into a hidden staging folder and moved into place only
when complete.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import shutil
import tempfile
import time
from pathlib import Path

from ..errors import InputError
from ..export import (
    AudioClip, AudioMaster, Chapter, aigc_json, aigc_label, file_entry, load_platform, write_audio_master, write_metadata,
)
from ..graphics import Station, load_station
from ..render import Programme, build_programme, load_audio
from ..script import Script, load_script, split_stories
from ..speech import Speech, speak, synthesize
from ..version import __version__
from .cast import cast_of
from .options import AudioOptions, Progress, RenderOptions

RATE = 48000


def render_audio(script_path: str | Path, out_dir: str | Path, options: RenderOptions | None = None,
                 audio: AudioOptions | None = None, progress: Progress | None = None) -> list[AudioClip]:
    """The script at ``script_path`` as audio programmes in ``out_dir``: one per story."""
    options, audio = options or RenderOptions(), audio or AudioOptions()
    script = load_script(script_path)
    station, settings = _settings(options, audio)
    stories = [s.with_read_title(station.read_title) for s in (split_stories(script) if options.split else [script])]
    casts = [cast_of(s, options) for s in stories]  # a two-anchor script: both voices
    report = progress or (lambda stage, fraction: None)
    with _staging(out_dir, script.stem) as staging:
        clips = []
        for k, (story, cast) in enumerate(zip(stories, casts)):
            speech, _ = speak(story, cast.voices, lambda f: report("speech", (k + f) / len(stories)))
            clips.append(_programme_files(story.stem, story.title, [(story, speech)], cast.voices[0], station,
                                          audio, settings, staging))
        return [clip.moved_to(Path(out_dir)) for clip in clips]


def render_bulletin(scripts: list[Script], out_dir: str | Path, name: str = "bulletin", title: str | None = None,
                    options: RenderOptions | None = None, audio: AudioOptions | None = None,
                    progress: Progress | None = None) -> AudioClip:
    """``scripts`` joined into one bulletin ``<name>.mp3``: jingle, the notice, the items with beds between them."""
    if not scripts:
        raise InputError("广播节目里没有稿件", "the bulletin has no scripts")
    options, audio = options or RenderOptions(), audio or AudioOptions()
    station, settings = _settings(options, audio)
    scripts = [s.with_read_title(station.read_title) for s in scripts]
    casts = [cast_of(s, options) for s in scripts]
    report = progress or (lambda stage, fraction: None)
    title = title or f"{station.name}新闻 {datetime.date.today().isoformat()}"
    with _staging(out_dir, name) as staging:
        items = []
        for k, (script, cast) in enumerate(zip(scripts, casts)):
            items.append((script, speak(script, cast.voices, None)[0]))
            report("speech", (k + 1) / len(scripts))
        return _programme_files(name, title, items, casts[0].voices[0], station, audio, settings, staging).moved_to(
            Path(out_dir))


def audio_master(story: Script, speech: Speech, voice, station: Station, audio: AudioOptions,
                 folder: Path) -> tuple[dict[str, Path], dict]:
    """The audio programme of a clip's story written beside it: its files by kind, and what the clip's JSON says."""
    settings = _master(audio, load_platform("broadcast").loudness)
    built = _build(story.title, [(story, speech)], voice, station, audio)
    tags, label = _tags(story.title, station, built, voice)
    files = write_audio_master(folder / story.stem, built.samples, built.rate, settings, tags)
    return files, {**_describe(built, settings), "aigc": label}


def _programme_files(stem: str, title: str, items: list[tuple[Script, Speech]], voice, station: Station,
                     audio: AudioOptions, settings: AudioMaster, staging: Path) -> AudioClip:
    started = time.monotonic()
    built = _build(title, items, voice, station, audio)
    tags, label = _tags(title, station, built, voice)
    chapters = [Chapter(p.start, p.end, p.title or s.title) for p, (s, _) in zip(built.items(), items)]
    files = write_audio_master(staging / stem, built.samples, built.rate, settings, tags, chapters)
    text = staging / f"{stem}.txt"
    text.write_text(built.spoken_text + "\n", encoding="utf-8")
    info = {
        "title": title, "language": items[0][0].language, "duration": round(built.duration, 3),
        "voice": items[0][1].voice, "engine": items[0][1].engine,
        **_describe(built, settings),
        "running_order": [{"index": n + 1, "title": s.title, "source": s.stem, "start": round(p.start, 3),
                           "end": round(p.end, 3), "duration": round(p.end - p.start, 3), "voice": speech.voice}
                          for n, (p, (s, speech)) in enumerate(zip(built.items(), items))],
        "aigc": label,
        "spoken_text": built.spoken_text,
        "files": [file_entry(files["mp3"], "audio"), *([file_entry(files["wav"], "audio-master")] if "wav" in files
                                                       else []), file_entry(text, "text")],
        "warnings": [w for _, speech in items for w in speech.warnings],
        "render_seconds": round(time.monotonic() - started, 2),
        "anchor_version": __version__,
    }
    metadata = write_metadata(staging / f"{stem}.json", info)
    return AudioClip(stem, files["mp3"], files.get("wav"), text, metadata, info)


def _build(title: str, items: list[tuple[Script, Speech]], voice, station: Station, audio: AudioOptions) -> Programme:
    language = items[0][0].language
    wording = station.audio_notice if language == "zh" else station.audio_notice_en
    notice = synthesize(Script(title=wording, body=wording, language=language, stem="notice"), voice)
    jingle = _jingle(audio, station)
    at_end = station.audio_notice_at_end if audio.notice_at_end is None else audio.notice_at_end
    return build_programme(notice, [(s.title, speech) for s, speech in items], RATE, jingle, at_end)


def _tags(title: str, station: Station, built: Programme, voice) -> tuple[dict[str, str], dict]:
    digest = hashlib.sha256("\n".join([title, built.spoken_text, str(getattr(voice, "name", voice))]).encode())
    label = aigc_label(station.code, digest.hexdigest())
    return {"title": title, "artist": station.name, "publisher": station.name,
            "date": datetime.date.today().isoformat(), "AIGC": aigc_json(label)}, label


def _describe(built: Programme, settings: AudioMaster) -> dict:
    return {"loudness": {"target_lufs": settings.loudness, "true_peak_dbtp": settings.true_peak},
            "channels": 2 if settings.stereo else 1, "sample_rate": RATE,
            "parts": [p.to_dict() for p in built.parts]}


def _settings(options: RenderOptions, audio: AudioOptions) -> tuple[Station, AudioMaster]:
    station = load_station(options.station)
    _jingle(audio, station, check=True)
    return station, _master(audio, load_platform("broadcast").loudness)


def _master(audio: AudioOptions, preset_loudness: float) -> AudioMaster:
    loudness = preset_loudness if audio.loudness is None else audio.loudness
    return AudioMaster(loudness=loudness, stereo=audio.stereo, wav=audio.wav)


def _jingle(audio: AudioOptions, station: Station, check: bool = False) -> str | None:
    jingle = audio.jingle if audio.jingle is not None else station.jingle
    if jingle in (None, "", "none"):
        return None
    if check and jingle != "tone":
        load_audio(jingle, RATE)  # an unreadable jingle fails before any speech is made
    return jingle


@contextlib.contextmanager
def _staging(out_dir: str | Path, stem: str):
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"输出位置不是文件夹：{out_dir}", f"output path is not a folder: {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{stem}.", suffix=".partial", dir=out_dir))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
