"""One call from a news script to finished clips: ``render(script_path, out_dir, options)``.

script -> speech -> performance -> compose -> export, for every story (``split``) and
every aspect ratio asked for, from one speech pass per story.  Everything a producer
could have got wrong (voice, avatar, template, station, preset, every media file a
cue names) is checked before any slow work starts.  All outputs are written into a
hidden staging folder inside ``out_dir`` and moved into place only when every one of
them is complete, so a failure never leaves half a clip behind.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image

from .avatar import AvatarPack, load_avatar, perform
from .errors import InputError
from .export import ClipWriter, ExportPreset, Platform, aigc_json, aigc_label, load_platform
from .graphics import (
    Z_AI_LABEL, Z_BRAND, Z_BROLL_FULL, Z_BROLL_PIP, Z_CORNER_MARK, Z_DESK, Z_HEADLINE, Z_SUBTITLES, ImageBRoll,
    Layout, Look, LowerThirdLayer, Sprite, SpriteLayer, Stinger, TickerLayer, VideoBRoll, ai_label_sprite,
    aspect_size, blend, brand_sprite, build_cues, corner_mark_sprite, cover_image, desk_sprite, headline_sprite,
    layout_for, load_look, load_station, lower_third_sprite, pip_frame, studio_background, subtitle_sprite,
    ticker_art, title_card, to_srt, to_vtt, video_duration,
)
from .render import compose_frames, load_audio, mix_music, place
from .script import LowerThird, Script, load_script, split_stories
from .speech import Speech, Timeline, load_voice, synthesize
from .version import __version__

Progress = Callable[[str, float], None]
AUDIO_RATE = 48000
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True)
class RenderOptions:
    voice: str | None = None  # overrides the script's voice preset
    avatar: str | None = None  # overrides the script's avatar pack
    station: str | None = None  # path to a station.yaml (brand kit); default: the repo's
    template: str | None = None  # graphics template (name or YAML path); default: the script's, then the station's
    aspects: tuple[str, ...] | None = None  # "9:16", "16:9", "1:1"; default: the preset's, else 9:16
    preset: str | None = None  # platform preset: douyin, kuaishou, channels, bilibili, broadcast
    split: bool = False  # one clip per "## " story of a Markdown script
    lead_in: float = 0.4  # seconds of the anchor at rest before speaking
    lead_out: float = 0.8  # ... and after
    export: ExportPreset = field(default_factory=ExportPreset)  # encoder settings (crf, x264 preset, threads)


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

    @property
    def video(self) -> Path:
        return next(iter(self.videos.values()))

    def files(self) -> list[Path]:
        return [*self.videos.values(), *self.covers.values(), self.subtitles, self.webvtt, self.metadata]


def render(script_path: str | Path, out_dir: str | Path, options: RenderOptions | None = None,
           progress: Progress | None = None) -> list[Clip]:
    """Render the news script at ``script_path`` into ``out_dir``; one :class:`Clip` per story."""
    return render_script(load_script(script_path), out_dir, options, progress)


@dataclass(frozen=True)
class _Job:
    """Everything resolved and checked before rendering starts."""

    stories: list[Script]
    look: Look
    platform: Platform | None
    aspects: tuple[str, ...]
    exports: dict[str, ExportPreset]
    avatars: list[AvatarPack]
    voices: list
    music: list[np.ndarray | None]
    options: RenderOptions


def render_script(script: Script, out_dir: str | Path, options: RenderOptions | None = None,
                  progress: Progress | None = None) -> list[Clip]:
    options = options or RenderOptions()
    report = progress or (lambda stage, fraction: None)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"输出位置不是文件夹：{out_dir}", f"output path is not a folder: {out_dir}")
    job = _prepare(script, options)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{script.stem}.", suffix=".partial", dir=out_dir))
    try:
        staged = [_render_story(k, job, staging, report) for k in range(len(job.stories))]
        clips = []
        for clip in staged:
            moved = {path: out_dir / path.name for path in clip.files()}
            for source, target in moved.items():
                os.replace(source, target)
            clips.append(Clip(clip.stem, {a: moved[p] for a, p in clip.videos.items()},
                              {a: moved[p] for a, p in clip.covers.items()}, moved[clip.subtitles],
                              moved[clip.webvtt], moved[clip.metadata], clip.info))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return clips


# --------------------------------------------------------------------------- checking inputs


def _prepare(script: Script, options: RenderOptions) -> _Job:
    stories = split_stories(script) if options.split else [script]
    station = load_station(options.station)
    look = load_look(options.template or script.template, station)
    platform = load_platform(options.preset) if options.preset else None
    aspects = _aspects(options.aspects or (platform.aspects if platform else ("9:16",)))
    exports = {a: platform.export(a, options.export) if platform else _sized(options.export, a) for a in aspects}
    for which in ("intro", "outro"):
        video = look.stinger_video(which)
        if video is not None:
            video_duration(video)  # readable, or a clear error now
    voices = [load_voice(options.voice or s.voice, s.language) for s in stories]
    avatars = [load_avatar(options.avatar or s.avatar) for s in stories]
    music = []
    for story in stories:
        for cue in story.cues:
            if cue.kind == "broll":
                _check_broll(cue)
        music.append(load_audio(story.music.path) if story.music else None)
    return _Job(stories, look, platform, aspects, exports, avatars, voices, music, options)


def _aspects(names) -> tuple[str, ...]:
    out = []
    for name in names:
        name = name.strip()
        try:
            aspect_size(name)
        except ValueError:
            raise InputError(f"不支持的画面比例 {name}（可用：9:16、16:9、1:1）",
                             f"unsupported aspect {name!r}; use 9:16, 16:9 or 1:1") from None
        if name not in out:
            out.append(name)
    if not out:
        raise InputError("没有指定画面比例", "no aspect ratio given")
    return tuple(out)


def _sized(export: ExportPreset, aspect: str) -> ExportPreset:
    width, height = aspect_size(aspect)
    return replace(export, width=width, height=height)


def _check_broll(cue) -> None:
    path = cue.value.path
    where = f"第 {cue.paragraph + 1} 段的画面提示 {cue.source}", f"the B-roll cue {cue.source} (paragraph {cue.paragraph + 1})"
    if not path.is_file():
        raise InputError(f"{where[0]}：找不到文件 {path}", f"{where[1]}: file not found: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        if _read_image(path) is None:
            raise InputError(f"{where[0]}：图片无法读取 {path}", f"{where[1]}: cannot read the image {path}")
        return
    try:
        video_duration(path)
    except InputError as e:
        raise InputError(f"{where[0]}：{e.zh}", f"{where[1]}: {e.en}") from None


def _read_image(path: Path) -> np.ndarray | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


# --------------------------------------------------------------------------- one story


@dataclass(frozen=True)
class _Timing:
    """Where everything sits on the clip's clock (seconds from the first frame)."""

    fps: int
    n_frames: int
    intro: float  # the intro stinger's length (speech starts at intro + lead_in)
    speech_at: float
    speech_end: float
    outro_at: float
    paragraphs: list[tuple[float, float]]  # when each paragraph is read

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps


def _render_story(k: int, job: _Job, staging: Path, report: Progress) -> Clip:
    story, look = job.stories[k], job.look
    started = time.monotonic()
    report("speech", 0.0)
    layouts = {a: layout_for(*aspect_size(a)) for a in job.aspects}
    # The speech and picture work are not run in parallel threads: both import heavy libraries
    # lazily (TensorFlow, mediapipe, scikit-image), and concurrent first imports can deadlock.
    speech = synthesize(story, job.voices[k], lambda f: report("speech", f))
    report("avatar", 0.0)
    sets = {}
    for aspect, layout in layouts.items():
        backdrop = studio_background(layout, look)
        box = layout.avatar
        sets[aspect] = (backdrop, job.avatars[k].rig(np.ascontiguousarray(backdrop[box.y:box.bottom, box.x:box.right])))
    fps = next(iter(job.exports.values())).fps
    timing = _timing(story, speech, look, job, fps)
    timeline = speech.timeline.shifted(timing.speech_at)
    speech_track = np.zeros(round(timing.duration * AUDIO_RATE), np.float32)
    place(speech_track, speech.samples, round(timing.speech_at * AUDIO_RATE))
    mix = _mix(speech_track, job, k, timing)
    seed = int(hashlib.sha256(story.body.encode()).hexdigest()[:8], 16)
    performance = perform(timeline, story.language, timing.n_frames, fps, speech_track, AUDIO_RATE, seed)
    cues = build_cues(timeline, story.language)
    spoken = "\n".join(p.spoken for p in speech.timeline.phrases)
    content_hash = hashlib.sha256("\n".join([story.title, spoken, speech.voice, job.avatars[k].id,
                                             look.template.name]).encode()).hexdigest()
    plan = _plan(story, timing, look)

    videos, covers, labels, warnings = {}, {}, {}, list(speech.warnings)
    for n, (aspect, layout) in enumerate(layouts.items()):
        backdrop, rig = sets[aspect]
        layers = _layers(story, layout, look, timing, plan)
        subtitles = (SpriteLayer(s, Z_SUBTITLES) for cue in cues
                     if (s := subtitle_sprite(cue, layout, look, story.language)) is not None)
        name = story.stem + ("" if len(layouts) == 1 else "." + aspect.replace(":", "x"))
        video = staging / f"{name}.mp4"
        labels[aspect] = aigc_label(look.station.code, content_hash)
        metadata = {"AIGC": aigc_json(labels[aspect]), "title": story.title, "comment": f"anchor {__version__}"}
        export = job.exports[aspect]
        with ClipWriter(video, export, mix, AUDIO_RATE, metadata, n_frames=timing.n_frames) as writer:
            for i, frame in enumerate(compose_frames(backdrop, rig, layout.avatar, performance, layers, subtitles)):
                writer.write(frame)
                if i % fps == 0:
                    report("render", (n + i / timing.n_frames) / len(layouts))
        for layer in layers:
            getattr(layer, "close", lambda: None)()  # video decoders
        covers[aspect] = staging / f"{name}.cover.jpg"
        _write_cover(covers[aspect], backdrop, rig, layout, look, story)
        videos[aspect] = video
        if job.platform is not None:
            warnings += job.platform.limits_warnings(timing.duration, video.stat().st_size / 1e6, aspect)
    report("render", 1.0)

    srt, vtt = staging / f"{story.stem}.srt", staging / f"{story.stem}.vtt"
    srt.write_text(to_srt(cues), encoding="utf-8")
    vtt.write_text(to_vtt(cues), encoding="utf-8")
    info = {
        "title": story.title,
        "language": story.language,
        "story": {"index": k + 1, "of": len(job.stories)},
        "duration": round(timing.duration, 3),
        "speech_duration": round(speech.duration, 3),
        "fps": fps,
        "segments": {"intro": [0.0, round(timing.intro, 3)], "anchor": [round(timing.intro, 3), round(timing.outro_at, 3)],
                     "speech": [round(timing.speech_at, 3), round(timing.speech_end, 3)],
                     "outro": [round(timing.outro_at, 3), round(timing.duration, 3)]},
        "voice": speech.voice,
        "engine": speech.engine,
        "avatar": job.avatars[k].id,
        "template": look.template.name,
        "preset": job.platform.name if job.platform else None,
        "aspects": {a: {"resolution": list(aspect_size(a)), "video": videos[a].name, "cover": covers[a].name,
                        "aigc": labels[a]} for a in videos},
        "lower_thirds": [{"name": lt.name, "title": lt.title, "start": round(s, 3), "end": round(e, 3)}
                         for lt, s, e in plan.lower_thirds],
        "ticker": [{"text": text, "start": round(s, 3), "end": round(e, 3)} for text, s, e in plan.tickers],
        "broll": [{"file": str(b.path), "mode": b.mode, "start": round(s, 3), "end": round(e, 3)}
                  for b, s, e in plan.brolls],
        "music": {"file": str(story.music.path), "level_db": story.music.volume_db} if story.music else None,
        "spoken_text": spoken,
        "cues": [{"start": round(c.start, 3), "end": round(c.end, 3), "text": "\n".join(c.lines)} for c in cues],
        "files": [_describe(path, role, aspect) for role, paths in (("video", videos), ("cover", covers))
                  for aspect, path in paths.items()] + [_describe(srt, "subtitles"), _describe(vtt, "webvtt")],
        "warnings": warnings,
        "render_seconds": round(time.monotonic() - started, 2),
        "anchor_version": __version__,
    }
    metadata_path = staging / f"{story.stem}.json"
    metadata_path.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return Clip(story.stem, videos, covers, srt, vtt, metadata_path, info)


def _timing(story: Script, speech: Speech, look: Look, job: _Job, fps: int) -> _Timing:
    options = job.options
    intro = _stinger_seconds(look, "intro")
    outro = _stinger_seconds(look, "outro")
    speech_at = intro + options.lead_in
    speech_end = speech_at + speech.duration
    outro_at = speech_end + options.lead_out
    n_frames = round((outro_at + outro) * fps)
    spans = paragraph_spans(speech.timeline, story.paragraphs)
    return _Timing(fps, n_frames, intro, speech_at, speech_end, outro_at,
                   [(s + speech_at, e + speech_at) for s, e in spans])


def _stinger_seconds(look: Look, which: str) -> float:
    video = look.stinger_video(which)
    return video_duration(video) if video is not None else getattr(look.template, which).seconds


def paragraph_spans(timeline: Timeline, paragraphs: list[str]) -> list[tuple[float, float]]:
    """(start, end) of each paragraph's speech, found by matching the phrases' text to the paragraphs."""
    squash = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    flat = [squash(p) for p in paragraphs]
    ends = list(np.cumsum([len(p) for p in flat]))
    text = "".join(flat)
    spans: list[list[float]] = [[] for _ in paragraphs]
    cursor, current = 0, 0
    for phrase in timeline.phrases:
        piece = squash(phrase.display)
        at = text.find(piece, cursor) if piece else -1
        if at >= 0:
            current = min(bisect.bisect_right(ends, at), len(paragraphs) - 1)
            cursor = at + len(piece)
        spans[current] += [phrase.start, phrase.end]
    out, last = [], 0.0
    for times in spans:
        start, end = (min(times), max(times)) if times else (last, last)
        out.append((start, end))
        last = end
    return out


def _mix(speech_track: np.ndarray, job: _Job, k: int, timing: _Timing) -> np.ndarray:
    mix = speech_track.copy()
    for which, at in (("intro", 0.0), ("outro", timing.outro_at)):
        video = job.look.stinger_video(which)
        if video is not None:
            try:
                place(mix, load_audio(video), round(at * AUDIO_RATE))
            except InputError:
                pass  # a silent ident: nothing to add
    music = job.music[k]
    if music is not None:
        mix = mix_music(mix, AUDIO_RATE, music, job.stories[k].music.volume_db)
    return mix


# --------------------------------------------------------------------------- graphics plan


@dataclass(frozen=True)
class _Plan:
    lower_thirds: list[tuple[LowerThird, float, float]]
    tickers: list[tuple[str, float, float]]
    brolls: list[tuple[object, float, float]]


def _plan(story: Script, timing: _Timing, look: Look) -> _Plan:
    """When each lower third, ticker text and B-roll shows, from the script's cues."""
    style = look.template.lower_third
    show_until = timing.outro_at
    lower = []
    if story.lower_third is not None:
        lower.append((timing.intro + style.start, story.lower_third, style.seconds))
    tickers = [(timing.intro, story.ticker)] if story.ticker else []
    brolls = []
    for cue in story.cues:
        start, end = timing.paragraphs[cue.paragraph]
        if cue.kind == "lower_third":
            lower.append((start, cue.value, cue.seconds))
        elif cue.kind == "ticker":
            tickers.append((start, cue.value))
        else:
            following = [s for s, _ in timing.paragraphs[cue.paragraph + 1:]]
            brolls.append((cue.value, start, following[0] if following else timing.speech_end))
    lower.sort(key=lambda item: item[0])
    lower_thirds = []
    for n, (start, lt, seconds) in enumerate(lower):
        end = min(start + seconds, show_until, lower[n + 1][0] if n + 1 < len(lower) else show_until)
        if end > start:
            lower_thirds.append((lt, start, end))
    tickers.sort(key=lambda item: item[0])
    ticker_spans = [(text, start, tickers[n + 1][0] if n + 1 < len(tickers) else show_until)
                    for n, (start, text) in enumerate(tickers)]
    return _Plan(lower_thirds, [t for t in ticker_spans if t[2] > t[1]], brolls)


def _layers(story: Script, layout: Layout, look: Look, timing: _Timing, plan: _Plan) -> list:
    language = story.language
    layers: list = []
    desk = desk_sprite(layout, look)
    if desk is not None:
        layers.append(SpriteLayer(desk, Z_DESK))
    layers += [SpriteLayer(brand_sprite(layout, look), Z_BRAND),
               SpriteLayer(headline_sprite(story.title, layout, look, language), Z_HEADLINE),
               SpriteLayer(ai_label_sprite(layout, look, language), Z_AI_LABEL),
               SpriteLayer(corner_mark_sprite(layout, look), Z_CORNER_MARK)]
    for lt, start, end in plan.lower_thirds:
        layers.append(LowerThirdLayer(lower_third_sprite(lt.name, lt.title, layout, look), start, end,
                                      look.template.lower_third.slide_seconds))
    for text, start, end in plan.tickers:
        art = ticker_art(text, layout, look)
        strip = Sprite(art.strip_rgb, art.strip_alpha, 0, 0, kind="ticker_text")
        layers.append(TickerLayer(art.band, strip, art.window, art.px_per_second, start, end))
    for broll, start, end in plan.brolls:
        full = broll.mode == "full"
        target = layout.full if full else layout.pip
        border = None if full else pip_frame(target)
        z = Z_BROLL_FULL if full else Z_BROLL_PIP
        if broll.path.suffix.lower() in IMAGE_SUFFIXES:
            layers.append(ImageBRoll(_read_image(broll.path), target, start, end, z, frame_sprite=border))
        else:
            layers.append(VideoBRoll(broll.path, target, start, end, broll.start, broll.end, z, border))
    layers += _stingers(story, layout, look, timing)
    return layers


def _stingers(story: Script, layout: Layout, look: Look, timing: _Timing) -> list:
    out = []
    for which, start, end in (("intro", 0.0, timing.intro), ("outro", timing.outro_at, timing.duration)):
        if end - start <= 0:
            continue
        video = look.stinger_video(which)
        if video is not None:
            out.append(Stinger(start, end, video=VideoBRoll(video, layout.full, start, end), fade=0))
        else:
            card = title_card(layout, look, story.title, story.language, closing=which == "outro")
            out.append(Stinger(start, end, card=card, fade=min(0.4, (end - start) / 3),
                               fade_in=which == "outro", fade_out=which == "intro"))
    return out


def _write_cover(path: Path, backdrop: np.ndarray, rig, layout: Layout, look: Look, story: Script) -> None:
    frame = backdrop.copy()
    box = layout.avatar
    frame[box.y:box.y + box.h, box.x:box.x + box.w] = rig.base
    for sprite in (desk_sprite(layout, look), brand_sprite(layout, look), corner_mark_sprite(layout, look)):
        if sprite is not None:
            blend(frame, sprite)
    Image.fromarray(cover_image(frame, layout, look, story.title, story.language)).save(path, quality=90)


def _describe(path: Path, role: str, aspect: str | None = None) -> dict:
    return {"name": path.name, "role": role, "aspect": aspect, "bytes": path.stat().st_size, "sha256": _sha256(path)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
