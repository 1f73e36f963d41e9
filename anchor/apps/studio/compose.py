"""The 合成 Compose tab: the script, its voice, anchor, template, aspects and platform; a frame preview that follows
every choice; 试听; 生成视频 with one progress line (stage, percent, time left); a player per aspect."""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from pathlib import Path

from ...errors import AnchorError
from ..intake import MAX_SCRIPT_CHARS
from .common import ASPECTS, Studio, friendly, options_of
from .text import ASK_TO_NOTIFY, SAY_DONE, char_count


@dataclass
class Compose:
    """The compose tab's inputs and outputs that other tabs read or fill."""

    text: object
    fmt: object
    voice: object
    avatar: object
    template: object
    aspects: object
    preset: object
    callback: object
    status: object
    videos: dict  # aspect -> gr.Video
    downloads: object
    job_id: object
    rendered: object = None  # the render event: what follows a finished render hangs on it (.then)
    preview: tuple = ()  # (fn, inputs, outputs) drawing the frame preview, run again when a page loads

    def inputs(self) -> list:
        return [self.text, self.fmt, self.voice, self.avatar, self.template, self.aspects, self.preset]

    def outputs(self) -> list:
        """What following a job fills: its id, the status line, a player per aspect, the downloads."""
        return [self.job_id, self.status, *self.videos.values(), self.downloads]


def follow(studio: Studio, job):
    """Yield the outputs of :meth:`Compose.outputs` while ``job`` waits, runs and ends (then its clips)."""
    import gradio as gr

    service = studio.service
    keep = [gr.update()] * (len(ASPECTS) + 1)
    while job.state in ("queued", "running"):
        yield [job.id, progress_line(studio, job), *keep]
        time.sleep(0.5)
        job = service.job(job.id)
    if job.state != "done":
        yield [job.id, as_html(studio.status(job)), *[gr.update(value=None, visible=a == "9:16") for a in ASPECTS],
               None]
        return  # 失败：the reason, or 已取消; it stays until the next action
    videos = {a.aspect: str(service.out_dir / a.path) for a in job.artifacts if a.role == "video"}
    players = [gr.update(value=videos.get(a), visible=a in videos or (not videos and a == "9:16")) for a in ASPECTS]
    status = as_html(studio.status(job) + studio.said(voice_fallback(job, service)))
    yield [job.id, status, *players, [str(p) for p in service.files(job)]]


def progress_line(studio: Studio, job) -> str:
    """One line for a waiting or running job: its stage, percent and the time left, over a bar."""
    text = studio.status(job)
    if job.state != "running":
        return as_html(text)
    left = studio.service.remaining(job)
    text += " · " + (studio.t("left", s=left) if left is not None else studio.t("estimating"))
    return f"{as_html(text)}<br><progress value=\"{job.progress:.3f}\" max=\"1\" style=\"width:100%\"></progress>"


def as_html(text: str) -> str:
    """The status line's text for its HTML element: escaped (an error may quote a script), paragraphs kept."""
    import html

    return html.escape(text, quote=False).replace("\n\n", "<br>").replace("\n", "<br>")


def voice_fallback(job, service) -> str | None:
    """Which voice spoke instead of the one asked for, and why ("zh / en"), from the finished clip's record."""
    record = next((service.out_dir / a.path for a in job.artifacts if a.role == "metadata"), None)
    if record is None or not record.is_file():
        return None
    from ..service import fallback_sentence

    return fallback_sentence(json.loads(record.read_text(encoding="utf-8")).get("voice_fallback"))


def build(studio: Studio) -> Compose:
    """The compose tab's components and events (inside an open ``gr.Tab``)."""
    import gradio as gr

    from ...graphics import list_templates
    from ...export import list_platforms
    from ..intake import list_samples

    t, service = studio.t, studio.service
    samples = {p.name: p for p in list_samples()}
    sample_choices = [(_sample_title(p), name) for name, p in samples.items()]
    # first: none named, so the script's own template (a 问政 reply's, a flash's) or the station's applies
    template_choices = [(t("template_default"), "")] + [(tpl.title or tpl.name, tpl.name) for tpl in list_templates()]
    preset_choices = [(t("none"), "")] + [(f"{p.title} ({p.name})", p.name) for p in list_platforms()]
    first = studio.first_avatar()

    with gr.Row():
        with gr.Column(scale=3):
            with gr.Row():
                sample = gr.Dropdown(sample_choices, label=t("sample"), value=None, elem_id="compose-sample")
                fmt = gr.Dropdown([".txt", ".md", ".yaml", ".json"], value=".txt", label=t("format"))
            text = gr.Textbox(label=t("script"), lines=12, max_lines=30, elem_id="script-editor")
            counter = gr.Markdown(char_count("", MAX_SCRIPT_CHARS, studio.lang), elem_id="script-count")
            with gr.Row():
                listen_button = gr.Button(t("listen"), elem_id="listen")
                render_button = gr.Button(t("render"), variant="primary", elem_id="render")
                cancel_button = gr.Button(t("cancel"), variant="stop", elem_id="cancel")
            status = gr.HTML(elem_id="status")
            speech = gr.Audio(label=t("speech"), type="numpy", interactive=False)
        with gr.Column(scale=2):
            voice = gr.Dropdown(studio.voice_choices(), value="", label=t("voice"),
                                elem_id="compose-voice")
            voice_note = gr.Markdown(elem_id="voice-note")
            voice_button = gr.Button(t("voice_preview"), size="sm")
            voice_audio = gr.Audio(label=t("voice_preview"), type="numpy", interactive=False)
            voice_said = gr.Markdown(elem_id="voice-sample-note")
            with gr.Row():
                avatar = gr.Dropdown(studio.avatar_list, value=first, label=t("avatar"), scale=2,
                                     elem_id="compose-avatar")
                avatar_thumb = gr.Image(value=studio.thumbnail(first) if first else None, label=t("avatar"),
                                        interactive=False, height=180, scale=1)
            template = gr.Dropdown(template_choices, value="", label=t("template"), elem_id="compose-template")
            aspects = gr.CheckboxGroup(list(ASPECTS), value=["9:16"], label=t("aspects"), elem_id="compose-aspects")
            preset = gr.Dropdown(preset_choices, value="", label=t("preset"))
            callback = gr.Textbox(label=t("callback"), placeholder=t("callback_hint"), elem_id="compose-callback")
    with gr.Row():
        stills = gr.Gallery(label=t("frame_preview"), columns=6, height="auto", object_fit="contain", preview=False,
                            elem_id="frame-preview")
    preview_note = gr.Markdown(elem_id="frame-preview-note")
    with gr.Row():
        videos = {a: gr.Video(label=f"{t('video')} {a}", elem_id=f"result-video-{a.replace(':', 'x')}",
                              interactive=False, visible=a == "9:16", height=560) for a in ASPECTS}
    downloads = gr.File(label=t("downloads"), file_count="multiple", elem_id="downloads", interactive=False)
    job_id = gr.State(None)
    compose = Compose(text, fmt, voice, avatar, template, aspects, preset, callback, status, videos, downloads,
                      job_id)

    @friendly
    def load_sample(name):
        path = samples.get(name)
        if path is None:
            return gr.update(), gr.update()
        return path.read_text(encoding="utf-8"), path.suffix.lower()

    @friendly
    def hear_voice(voice):
        from ..service import voice_sample

        sample, fallback = voice_sample(voice or studio.default_voice)  # automatic: the Chinese default
        return sample, studio.said(fallback).strip()

    @friendly
    def listen(text, fmt, voice):
        from ..service import speech_preview

        return speech_preview(text, fmt, voice)

    def preview(text, fmt, avatar, template, aspects, drawn_key, force=False):
        """The stills again when something they show changed (the headline, anchor, template, aspects)."""
        from ..service import preview_stills

        key = [_headline(text), fmt, avatar, template, list(aspects or ()), _station_version()]
        if key == drawn_key and not force:
            return gr.update(), gr.update(), drawn_key
        started = time.monotonic()
        try:
            pictures = preview_stills(text if _headline(text) else t("preview_placeholder"), fmt,
                                      options_of(None, avatar, template, aspects, None))
        except AnchorError as e:
            return gr.update(), studio.said_error(e), drawn_key
        return ([(p, f"{a} · {studio.t('still_' + what)}") for a, what, p in pictures],
                t("preview_took", s=time.monotonic() - started), key)

    @friendly
    def render(text, fmt, voice, avatar, template, aspects, preset, callback):
        try:
            job = service.submit_text(text, fmt, options_of(voice, avatar, template, aspects, preset),
                                      callback_url=(callback or "").strip() or None)
        except AnchorError as e:  # a mistake in the script or options: said where it stays, not in a toast
            yield [None, as_html(studio.said_error(e)), *[gr.update()] * (len(ASPECTS) + 1)]
            return
        yield from follow(studio, job)

    @friendly
    def cancel(job_id):
        if job_id:
            return as_html(studio.status(service.cancel(job_id)))
        return gr.update()

    count = functools.partial(char_count, limit=MAX_SCRIPT_CHARS, lang=studio.lang)
    drawn_key = gr.State(None)
    drawn = [text, fmt, avatar, template, aspects, drawn_key]
    sample.change(load_sample, sample, [text, fmt])
    voice.change(studio.voice_note, voice, voice_note, show_progress="hidden")
    voice_button.click(hear_voice, voice, [voice_audio, voice_said])
    avatar.change(studio.thumbnail, avatar, avatar_thumb)
    listen_button.click(listen, [text, fmt, voice], speech, concurrency_limit=1)
    text.change(count, text, counter, show_progress="hidden", trigger_mode="always_last")
    for source in (text, avatar, template, aspects, fmt):
        source.change(preview, drawn, [stills, preview_note, drawn_key], show_progress="hidden", trigger_mode="always_last",
                      concurrency_id="preview", concurrency_limit=1)
    render_button.click(None, None, None, js=ASK_TO_NOTIFY)
    compose.rendered = render_button.click(render, [*compose.inputs(), callback], compose.outputs(),
                                           concurrency_limit=None, show_progress="hidden")
    compose.rendered.then(None, status, None, js=SAY_DONE)
    cancel_button.click(cancel, job_id, status, concurrency_limit=None, show_progress="hidden")
    compose.preview = (functools.partial(preview, force=True), drawn, [stills, preview_note, drawn_key])
    return compose


def _station_version() -> int:
    """When the station file last changed: a preview drawn before the 台标与品牌 tab saved is drawn again."""
    from ...graphics import station_file

    path = station_file()
    return path.stat().st_mtime_ns if path.is_file() else 0


def _headline(text: str | None) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def _sample_title(path: Path) -> str:
    """A sample script listed by its headline (its file name after it, for those who know the files)."""
    try:
        from ..intake import check_script

        return f"{check_script(path.read_text(encoding='utf-8'), path.suffix.lower()).title} · {path.name}"
    except (AnchorError, OSError, UnicodeDecodeError):
        return path.name
