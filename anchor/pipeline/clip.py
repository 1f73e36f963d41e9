"""One call from a news script to finished clips: ``render(script_path, out_dir, options)``.

For every story (``split``) and every aspect ratio asked for, from one speech pass
per story: script -> speech -> avatar -> render (plan, compose, mix) -> export.
This module only wires the stages.  Everything a producer could have got wrong
(voice, avatar, template, station, preset, every media file a cue names) is checked
before any slow work starts.  All outputs are written into a hidden staging folder
inside ``out_dir`` and moved into place only when every one of them is complete, so
a failure never leaves half a clip behind.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from ..avatar import anchor_record, consent_warnings, framing_shortfall, plan_rig
from ..errors import InputError
from ..export import (
    Clip, ClipWriter, aigc_json, aigc_label, file_entry, write_cover, write_metadata, write_subtitles,
)
from ..graphics import aspect_size, build_cues, cue_records, layout_for, with_texts
from ..render import (
    Seat, clip_mix, compose_changes, cover_frame, load_audio, one_opencv_thread, plan_story, scene_layers,
    speaker_shots, speech_track, stinger_seconds, studio_set, subtitle_layers,
)
from ..script import Script, load_script
from ..speech import script_words, segment, speak
from ..version import __version__
from .audio import audio_master
from .cast import labelled, performances
from .options import Progress, RenderOptions
from .prepare import Prepared, prepare

AUDIO_RATE = 48000


def render(script_path: str | Path, out_dir: str | Path, options: RenderOptions | None = None,
           progress: Progress | None = None, speech_ahead=None) -> list[Clip]:
    """Render the news script at ``script_path`` into ``out_dir``; one :class:`Clip` per story.

    ``speech_ahead``: a process making the speech meanwhile (``anchor render``'s :class:`~anchor.apps.ahead.
    SpeechAhead`): the anchor is prepared first, then its ``wait()`` and the speech read from the cache."""
    return render_script(load_script(script_path), out_dir, options, progress, speech_ahead)


def speech_jobs(script_path: str | Path, options: RenderOptions) -> list[tuple[Script, tuple]]:
    """Each story as :func:`render` will speak it, with its voices (``anchor.speech.speak``'s arguments): what a
    process speaking ahead needs."""
    job = prepare(load_script(script_path), options)
    return [(story, cast.voices) for story, cast in zip(job.stories, job.casts)]


@dataclass(frozen=True)
class _Job(Prepared):
    """What :func:`prepare` resolved, and each story's music, decoded."""

    music: list[np.ndarray | None]


def render_script(script: Script, out_dir: str | Path, options: RenderOptions | None = None,
                  progress: Progress | None = None, speech_ahead=None) -> list[Clip]:
    options = options or RenderOptions()
    report = progress or (lambda stage, fraction: None)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"输出位置不是文件夹：{out_dir}", f"output path is not a folder: {out_dir}")
    job = _prepare(script, options)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{script.stem}.", suffix=".partial", dir=out_dir))
    try:
        staged = [_render_story(k, job, staging, report, speech_ahead) for k in range(len(job.stories))]
        return [clip.moved_to(out_dir) for clip in staged]  # only when every story is complete
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _prepare(script: Script, options: RenderOptions) -> _Job:
    job = prepare(script, options)
    if options.cue_texts is not None and len(job.stories) > 1:
        raise InputError("改字幕只能针对一条新闻（不要同时分条）", "corrected subtitles apply to one clip: not with split")
    for which in ("intro", "outro"):
        stinger_seconds(job.look, which)  # a station ident video that cannot be read fails now
    music = [load_audio(story.music.path) if story.music else None for story in job.stories]
    return _Job(**{f.name: getattr(job, f.name) for f in fields(job)}, music=music)


def _render_story(k: int, job: _Job, staging: Path, report: Progress, ahead=None) -> Clip:
    story, look, cast = job.stories[k], job.look, job.casts[k]
    started = time.monotonic()
    layouts = {a: layout_for(*aspect_size(a)) for a in job.exports}
    cutting = {aspect for aspect, layout in layouts.items()  # a desk the template films one anchor at a time
               if cast.desk and layout.orientation == "vertical" and look.template.desk.vertical == "cut"}

    def studio_sets() -> dict:
        report("avatar", 0.0)
        return {aspect: studio_set(layout, look, cast.avatars, aspect in cutting) for aspect, layout in layouts.items()}

    # The speech and picture work are not run in parallel threads: both import heavy libraries lazily (text
    # normalisation, mediapipe, ...), and concurrent first imports can deadlock.  A process speaking ahead
    # (anchor render) runs beside this one instead: the anchor is prepared meanwhile.
    sets, ahead_made = None, False
    if ahead is not None:  # what does not need the speech is prepared while it is made
        sets = studio_sets()
        segment(story.title)  # the subtitles' word segmenter loads its dictionary (0.6 s, once a process) now
        ahead_made = ahead.wait()
    report("speech", 0.0)
    speech, turns = speak(story, cast.voices, lambda f: report("speech", f))
    if ahead_made:  # from the cache, but only reused if it was there before this render
        speech = replace(speech, cached=ahead.cached[k])
    sets = sets or studio_sets()
    fps = next(iter(job.exports.values())).fps
    plan = plan_story(story, speech, look, fps, job.options.lead_in, job.options.lead_out, turns)
    timing = plan.timing
    timeline = speech.timeline.shifted(timing.speech_at)
    shots = speaker_shots(turns, timing.speech_at) if cutting else ()
    track = speech_track(speech.samples, timing, AUDIO_RATE)
    mix = clip_mix(track, look, timing, job.music[k], story.music.volume_db if story.music else 0.0, AUDIO_RATE)
    seed = int(hashlib.sha256(story.body.encode()).hexdigest()[:8], 16)
    acts = performances(story, cast, speech, turns, timing.speech_at, timing.n_frames, fps, track, AUDIO_RATE, seed)
    words = script_words(story, cast.voices[0])
    cues = labelled(build_cues(timeline, story.language, words), cast, turns, timing.speech_at)
    if job.options.cue_texts is not None:  # the producer's corrections, on the cues' own times
        cues = with_texts(cues, job.options.cue_texts, story.language, words)
    spoken = "\n".join(p.spoken for p in speech.timeline.phrases)
    avatar_id = "+".join(a.id for a in cast.avatars)
    content_hash = hashlib.sha256("\n".join([story.title, spoken, speech.voice, avatar_id,
                                             look.template.name]).encode()).hexdigest()

    videos, covers, labels = {}, {}, {}
    warnings = list(speech.warnings) + [w for a in cast.avatars for w in consent_warnings(a)]
    anchors = [anchor_record(a, look.station) for a in cast.avatars]
    for n, (aspect, layout) in enumerate(layouts.items()):
        backdrop, rigs = sets[aspect]
        for (rig, box), avatar, act, anchor in zip(rigs, cast.avatars, acts, anchors):
            if (planned := plan_rig(rig, act)) is not None:  # a twin: its mouths chosen for the whole clip
                anchor["twin"] = planned
                warnings += [w for w in planned["warnings"] if w not in warnings]
            if note := framing_shortfall(avatar, box.w, box.h, layout.orientation):
                warnings.append(note.warning)  # a small photo, framed smaller: what size would fill the frame
        layers = scene_layers(story, layout, look, plan)
        name = story.stem + ("" if len(layouts) == 1 else "." + aspect.replace(":", "x"))
        videos[aspect] = staging / f"{name}.mp4"
        labels[aspect] = aigc_label(look.station.code, content_hash)
        metadata = {"AIGC": aigc_json(labels[aspect]), "title": story.title, "comment": f"anchor {__version__}"}
        with ClipWriter(videos[aspect], job.exports[aspect], mix, AUDIO_RATE, metadata,
                        n_frames=timing.n_frames) as writer, one_opencv_thread():
            frames = compose_changes(backdrop, [Seat(r, b, a) for (r, b), a in zip(rigs, acts)], layers,
                                     subtitle_layers(cues, layout, look, story.language),
                                     shots if aspect in cutting else ())
            for i, (frame, changed) in enumerate(frames):
                writer.write(frame, changed)
                if i % fps == 0:
                    report("render", (n + i / timing.n_frames) / len(layouts))
        for layer in layers:
            getattr(layer, "close", lambda: None)()  # video decoders
        shown = rigs[:1] if aspect in cutting else rigs  # a desk that cuts opens on its first speaker
        covers[aspect] = write_cover(staging / f"{name}.cover.jpg", cover_frame(backdrop, shown, layout, look, story))
        if job.platform is not None:
            warnings += job.platform.limits_warnings(timing.duration, videos[aspect].stat().st_size / 1e6, aspect)
    report("render", 1.0)

    srt, vtt = write_subtitles(staging / story.stem, cues)
    audio, master = audio_master(story, speech, cast.voices[0], look.station, job.options.audio, staging) \
        if job.options.audio is not None else ({}, None)
    described = plan.describe()
    info = {
        "title": story.title, "language": story.language, "story": {"index": k + 1, "of": len(job.stories)},
        "duration": round(timing.duration, 3), "speech_duration": round(speech.duration, 3), "fps": fps,
        "speech_reused": speech.cached,  # from the speech cache: a render again with corrected subtitles
        "segments": described["segments"],
        "voice": speech.voice, "engine": speech.engine, "voice_fallback": speech.fallback, "avatar": avatar_id, "template": look.template.name,
        "anchor": anchors[0], **({"speakers": [{"name": name, "voice": v.name, "avatar": a.id, "anchor": r}
                                                for name, v, a, r in zip(cast.names, cast.voices, cast.avatars,
                                                                         anchors)]} if cast.desk else {}),
        **({"shots": {a: [{"start": s.start, "speaker": cast.names[s.seats[0]]} for s in shots]
                      for a in sorted(cutting)}} if cutting else {}),
        "preset": job.platform.name if job.platform else None,
        "aspects": {a: {"resolution": list(aspect_size(a)), "video": videos[a].name, "cover": covers[a].name,
                        "aigc": labels[a]} for a in videos},
        "lower_thirds": described["lower_thirds"], "ticker": described["ticker"], "broll": described["broll"],
        "music": {"file": str(story.music.path), "level_db": story.music.volume_db} if story.music else None,
        "spoken_text": spoken,
        "cues": cue_records(cues),
        "files": [file_entry(path, role, aspect) for role, paths in (("video", videos), ("cover", covers))
                  for aspect, path in paths.items()] + [file_entry(srt, "subtitles"), file_entry(vtt, "webvtt")]
        + [file_entry(path, "audio" if kind == "mp3" else "audio-master") for kind, path in audio.items()],
        "audio_master": master,
        "warnings": warnings,
        "render_seconds": round(time.monotonic() - started, 2),
        "anchor_version": __version__,
    }
    metadata_path = write_metadata(staging / f"{story.stem}.json", info)
    return Clip(story.stem, videos, covers, srt, vtt, metadata_path, info, audio)
