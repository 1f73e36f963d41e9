"""The producer studio: a Gradio UI (Chinese at ``/``, English at ``/en``), served with the HTTP API in one process.

:func:`anchor.apps.web.serve` starts it (``anchor studio`` and ``python app.py``).  The UI is a
thin layer: every button calls :class:`anchor.apps.service.RenderService` (the job queue and history the
HTTP API shares) or the library; errors show as one readable sentence in Chinese and English.

Tabs: 合成 Compose (script editor with the samples, voice with a preview, avatar with thumbnails,
template, aspects, platform; 试听 speaks the script; 生成视频 queues the render and follows it stage by
stage), 主播形象 Avatars (photo -> face check -> preview -> new anchor), 批量 Batch (several scripts
or a manifest, live status, gallery, ZIP), 历史 History (past jobs, downloads, render again with changes).

Offline: analytics are off, no web fonts (the theme names local fonts), no share links.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

from ..errors import AnchorError, InputError
from .intake import MAX_SCRIPT_CHARS
from .ui_text import ASK_TO_NOTIFY, SAY_DONE, STATES, TEXT, _t, char_count, job_status

for _name, _value in (("GRADIO_ANALYTICS_ENABLED", "False"), ("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1")):
    os.environ.setdefault(_name, _value)

ASPECTS = ("9:16", "16:9", "1:1")


def _friendly(fn):
    """Run a UI callback; producers see one readable sentence, never a traceback."""
    import gradio as gr

    def message(error: Exception) -> str:
        if isinstance(error, AnchorError):
            return f"{error.zh} / {error.en}"
        return f"内部错误：{type(error).__name__} / internal error: {error}"

    if _is_generator(fn):
        @functools.wraps(fn)
        def wrapped_gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as e:
                raise gr.Error(message(e), print_exception=False) from None
        return wrapped_gen

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:
            raise gr.Error(message(e), print_exception=False) from None
    return wrapped


def _is_generator(fn) -> bool:
    import inspect

    return inspect.isgeneratorfunction(fn)



def build_ui(service, lang: str = "zh"):
    """The studio's Gradio Blocks in ``lang`` (zh or en), on ``service`` (an anchor.apps.service.RenderService)."""
    import gradio as gr

    from ..avatar import (
        DEFAULT_AVATAR, FILL_FACE_HEIGHT, FILL_FRAME, MAX_UPSCALE, MIN_FACE_HEIGHT, TWIN_SECONDS, describe,
        face_size_warning, list_avatars, load_avatar, size_warning,
    )
    from ..export import list_platforms
    from .intake import list_samples
    from ..graphics import list_templates
    from ..speech import voices_table

    t = functools.partial(_t, lang=lang)
    zh = lang == "zh"

    def _said(warning: str | None) -> str:
        """A "zh / en" warning in this studio's language, as a paragraph after a result ("" when there is none)."""
        return f"\n\n⚠️ {warning.split(' / ', 1)[0 if zh else 1]}" if warning else ""

    samples = {p.name: p for p in list_samples()}
    voices = voices_table()
    voice_choices = [(f"{v['title'] if zh else v['title_en']} · {v['state_zh'] if zh else v['state_en']}"
                      f"{'' if v['state'] == 'ready' else ' ⚠️'}", v["name"]) for v in voices]
    default_voice = next((v["name"] for v in voices if v["default"] and v["language"] == "zh"), None)

    def avatar_choices():
        rows = [describe(load_avatar(name)) for name in list_avatars()]
        return [(f"{r['name']} ({r['id']}) · {r['consent']['label'].split(' / ')[0 if zh else 1]}", r["id"])
                for r in rows], rows

    avatar_list, avatar_rows = avatar_choices()
    ids = [i for _, i in avatar_list]
    first_avatar = DEFAULT_AVATAR if DEFAULT_AVATAR in ids else (ids[0] if ids else None)  # the drawn anchor
    # first: none named, so the script's own template (a 问政 reply's, a flash's) or the station's applies
    template_choices = [(t("template_default"), "")] + [(f"{tpl.title or tpl.name}", tpl.name)
                                                         for tpl in list_templates()]
    preset_choices = [(t("none"), "")] + [(f"{p.title} ({p.name})", p.name) for p in list_platforms()]

    def options_of(voice, avatar, template, aspects, preset) -> dict:
        return {"voice": voice or None, "avatar": avatar or None, "template": template or None,
                "aspects": list(aspects) if aspects else None, "preset": preset or None}

    # -------------------------------------------------------------- callbacks (thin: the service does the work)

    @_friendly
    def load_sample(name):
        path = samples.get(name)
        if path is None:
            return gr.update(), gr.update()
        return path.read_text(encoding="utf-8"), path.suffix.lower()

    @_friendly
    def hear_voice(voice):
        from .service import voice_sample

        if not voice:
            raise InputError("请先选择语音", "choose a voice first")
        return voice_sample(voice)

    @_friendly
    def listen(text, fmt, voice):
        from .service import speech_preview

        return speech_preview(text, fmt, voice)

    def thumbnail(avatar):
        row = next((r for r in avatar_rows if r["id"] == avatar), None)
        return row["thumbnail"] if row and Path(row["thumbnail"]).is_file() else None

    def said_error(error: AnchorError) -> str:
        """An error as the status line shows it, in the page's language; it stays until the next action."""
        return t("error", e=error.zh if zh else error.en)

    count_chars = functools.partial(char_count, limit=MAX_SCRIPT_CHARS, lang=lang)

    @_friendly
    def render(text, fmt, voice, avatar, template, aspects, preset, progress=gr.Progress()):
        try:
            job = service.submit_text(text, fmt, options_of(voice, avatar, template, aspects, preset))
        except AnchorError as e:  # a mistake in the script or options: said where it stays, not in a toast
            yield None, said_error(e), None, None
            return
        yield job.id, _t("queued", lang, n=service.position(job.id) or 1), None, None
        while True:
            job = service.job(job.id)
            status = job_status(job, service.position(job.id), lang)
            if job.state == "queued":
                progress(0.0, desc=status)
            elif job.state == "running":
                progress(job.progress, desc=status)
            else:
                break
            yield job.id, status, gr.update(), gr.update()
            time.sleep(0.5)
        if job.state != "done":
            yield job.id, status, None, None  # 失败：the reason, or 已取消; it stays until the next action
            return
        files = [str(p) for p in service.files(job)]
        video = next((f for f in files if f.endswith(".mp4")), None)
        yield job.id, status, video, files

    @_friendly
    def cancel(job_id):
        if job_id:
            job = service.cancel(job_id)
            return job_status(job, service.position(job.id), lang)
        return gr.update()

    @_friendly
    def check_photo(photo, name):
        from .service import check_photo as check

        if not photo:
            raise InputError("请先上传照片", "upload a photo first")
        face, preview = check(photo, name or "preview")
        warning = face_size_warning(face.height)  # accepted, but framed smaller in some frames
        return t("face_ok", h=face.height, yaw=face.yaw, roll=face.roll) + _said(warning), preview

    def new_presenter(save, upload, missing: tuple[str, str], name, licence, consent_file, consent_note):
        """A real presenter's new pack from ``upload`` (a photo or a recording), checked for a name and consent
        first; the anchor list is read again, so the new pack can be chosen at once."""
        if not upload:
            raise InputError(*missing)
        if not (name or "").strip():
            raise InputError("请填写主播名字", "enter the presenter's name")
        if not consent_file and not (consent_note or "").strip():
            raise InputError(*TEXT["consent_needed"])
        pack = save(upload, name.strip(), licence or None, consent_file or None, consent_note or None)
        nonlocal avatar_list, avatar_rows
        avatar_list, avatar_rows = avatar_choices()
        return pack

    def current_avatars(chosen):
        """The anchor list as the packs on disk are now (another tab, the CLI or the API may have added one)."""
        nonlocal avatar_list, avatar_rows
        avatar_list, avatar_rows = avatar_choices()
        ids = [i for _, i in avatar_list]
        return gr.update(choices=avatar_list, value=chosen if chosen in ids else (ids[0] if ids else None))

    @_friendly
    def save_avatar(photo, name, licence, consent_file, consent_note):
        from .service import save_avatar as save

        pack = new_presenter(save, photo, ("请先上传照片", "upload a photo first"), name, licence, consent_file,
                             consent_note)
        return t("saved", name=pack.name) + _said(size_warning(pack)), gr.update(choices=avatar_list, value=pack.id)

    @_friendly
    def save_twin(recording, name, licence, consent_file, consent_note):
        from .service import save_twin as save

        pack = new_presenter(save, recording, ("请先上传主播的录像", "upload the presenter's recording first"), name,
                             licence, consent_file, consent_note)
        return (t("twin_saved", name=pack.name, s=pack.recording.get("seconds", 0),
                  talk=pack.recording.get("speaking_share", 0)), gr.update(choices=avatar_list, value=pack.id))

    @_friendly
    def start_batch(files, voice, avatar, template, aspects, preset):
        from .intake import Upload

        uploads = [Upload.from_path(f, Path(f).name) for f in (files or [])]
        jobs = service.submit_batch(uploads, options_of(voice, avatar, template, aspects, preset))
        return [j.id for j in jobs], *batch_view([j.id for j in jobs]), gr.Timer(active=True)

    def batch_view(ids):
        jobs = [service.job(i) for i in ids or []]
        jobs = [j for j in jobs if j is not None]
        rows = [[time.strftime("%H:%M:%S", time.localtime(j.created)), j.name,
                 STATES[j.state][0 if zh else 1], f"{j.duration:.0f}" if j.duration else "",
                 job_status(j, service.position(j.id), lang)] for j in jobs]
        covers = [(str(service.out_dir / a.path), j.name) for j in jobs if j.state == "done"
                  for a in j.artifacts if a.role == "cover"][: len(jobs)]
        finished = jobs and all(j.state in ("done", "failed", "cancelled") for j in jobs)
        done = [j for j in jobs if j.state == "done"]
        archive = str(service.zip_of(done)) if finished and done else None
        return rows or None, covers or None, archive

    def poll_batch(ids):
        """Live status while a batch runs; the timer stops once every job has finished."""
        if not ids:
            return gr.update(), gr.update(), gr.update(), gr.Timer(active=False)
        rows, covers, archive = batch_view(ids)
        return rows, covers, archive, gr.Timer(active=archive is None)

    def history_rows():
        jobs = service.history()
        rows = [[time.strftime("%m-%d %H:%M", time.localtime(j.created)), j.name, STATES[j.state][0 if zh else 1],
                 f"{j.duration:.0f}" if j.duration else "", job_status(j, service.position(j.id), lang)] for j in jobs]
        picks = [(f"{time.strftime('%m-%d %H:%M', time.localtime(j.created))} · {j.name} · "
                  f"{STATES[j.state][0 if zh else 1]}", j.id) for j in jobs]
        return rows or None, gr.update(choices=picks)

    @_friendly
    def show_job(job_id):
        job = service.job(job_id) if job_id else None
        if job is None:
            return None, None
        files = [str(p) for p in service.files(job) if p.is_file()]
        return next((f for f in files if f.endswith(".mp4")), None), files or None

    @_friendly
    def render_again(job_id):
        job = service.job(job_id) if job_id else None
        if job is None:
            raise InputError("请先选择一个任务", "pick a job first")
        text = job.text if job.text is not None else Path(job.source).read_text(encoding="utf-8")
        fmt = job.fmt if job.text is not None else Path(job.source).suffix.lower()
        o = job.options
        aspects = o.get("aspects") or []
        aspects = aspects.split(",") if isinstance(aspects, str) else aspects
        return (text, fmt, o.get("voice") or default_voice, o.get("avatar") or None, o.get("template") or "",
                list(aspects) or ["9:16"], o.get("preset") or "", gr.Tabs(selected="compose"))

    # -------------------------------------------------------------- layout

    with gr.Blocks(title=t("title"), analytics_enabled=False) as blocks:
        with gr.Row():
            gr.Markdown(f"## {t('title')}")
            gr.Markdown(t("switch"), elem_id="language-switch")
        with gr.Tabs() as tabs:
            with gr.Tab(t("compose"), id="compose"):
                with gr.Row():
                    with gr.Column(scale=3):
                        with gr.Row():
                            sample = gr.Dropdown(list(samples), label=t("sample"), value=None)
                            fmt = gr.Dropdown([".txt", ".md", ".yaml", ".json"], value=".txt", label=t("format"))
                        text = gr.Textbox(label=t("script"), lines=12, max_lines=30, elem_id="script-editor")
                        counter = gr.Markdown(count_chars(""), elem_id="script-count")
                        with gr.Row():
                            listen_button = gr.Button(t("listen"), elem_id="listen")
                            render_button = gr.Button(t("render"), variant="primary", elem_id="render")
                            cancel_button = gr.Button(t("cancel"), variant="stop", elem_id="cancel")
                        status = gr.Markdown(elem_id="status")
                        speech = gr.Audio(label=t("speech"), type="numpy", interactive=False)
                    with gr.Column(scale=2):
                        voice = gr.Dropdown(voice_choices, value=default_voice, label=t("voice"))
                        voice_button = gr.Button(t("voice_preview"), size="sm")
                        voice_audio = gr.Audio(label=t("voice_preview"), type="numpy", interactive=False)
                        with gr.Row():
                            avatar = gr.Dropdown(avatar_list, value=first_avatar, label=t("avatar"), scale=2,
                                                 elem_id="compose-avatar")
                            avatar_thumb = gr.Image(value=thumbnail(first_avatar) if first_avatar else None,
                                                    label=t("avatar"), interactive=False, height=180, scale=1)
                        template = gr.Dropdown(template_choices, value="", label=t("template"))
                        aspects = gr.CheckboxGroup(list(ASPECTS), value=["9:16"], label=t("aspects"))
                        preset = gr.Dropdown(preset_choices, value="", label=t("preset"))
                with gr.Row():
                    video = gr.Video(label=t("video"), elem_id="result-video", interactive=False)
                    downloads = gr.File(label=t("downloads"), file_count="multiple", elem_id="downloads",
                                        interactive=False)
                job_id = gr.State(None)
            with gr.Tab(t("avatars"), id="avatars"):
                gr.Markdown(t("face_rule", n=MIN_FACE_HEIGHT, m=FILL_FACE_HEIGHT, frame="{}x{}".format(*FILL_FRAME),
                              up=MAX_UPSCALE), elem_id="avatar-size-rule")
                with gr.Row():
                    with gr.Column():
                        photo = gr.Image(label=t("photo"), type="filepath", sources=["upload"], height=320,
                                         elem_id="avatar-photo")
                        recording = gr.Video(label=t("recording"), sources=["upload"], height=240,
                                             elem_id="avatar-recording")
                        gr.Markdown(t("twin_rule", s=TWIN_SECONDS, n=MIN_FACE_HEIGHT), elem_id="twin-rule")
                        presenter = gr.Textbox(label=t("name"))
                        licence = gr.Textbox(label=t("licence"))
                        consent_file = gr.File(label=t("consent_file"), type="filepath", elem_id="avatar-consent",
                                               file_types=[".pdf", ".png", ".jpg", ".jpeg", ".webp", ".txt"])
                        consent_note = gr.Textbox(label=t("consent_note"), placeholder=t("consent_hint"),
                                                  elem_id="avatar-consent-note")
                        with gr.Row():
                            check_button = gr.Button(t("check"))
                            save_button = gr.Button(t("save"), variant="primary")
                            twin_button = gr.Button(t("save_twin"), elem_id="save-twin")
                    with gr.Column():
                        check_result = gr.Markdown(label=t("check_result"))
                        preview = gr.Image(label=t("preview"), interactive=False, height=420, elem_id="avatar-preview")
            with gr.Tab(t("batch"), id="batch"):
                files = gr.File(label=t("files"), file_count="multiple", elem_id="batch-files",
                                file_types=[".txt", ".md", ".yaml", ".yml", ".json", ".csv", ".jsonl"])
                batch_button = gr.Button(t("start_batch"), variant="primary")
                batch_table = gr.Dataframe(headers=TEXT["columns"][0 if zh else 1], label=t("jobs"),
                                           interactive=False, wrap=True, elem_id="batch-table")
                gallery = gr.Gallery(label=t("gallery"), columns=6, fit_columns=False, height=300, preview=False,
                                     object_fit="contain")
                archive = gr.File(label=t("zip"), interactive=False)
                batch_ids = gr.State([])
                timer = gr.Timer(1.0, active=False)
            with gr.Tab(t("history"), id="history") as history_tab:
                refresh = gr.Button(t("refresh"), size="sm")
                history_table = gr.Dataframe(headers=TEXT["columns"][0 if zh else 1], interactive=False, wrap=True,
                                             elem_id="history-table")
                with gr.Row():
                    pick = gr.Dropdown([], label=t("pick"), scale=3, elem_id="history-pick")
                    again = gr.Button(t("again"), scale=1)
                with gr.Row():
                    history_video = gr.Video(label=t("video"), interactive=False, elem_id="history-video")
                    history_files = gr.File(label=t("downloads"), file_count="multiple", interactive=False)

        sample.change(load_sample, sample, [text, fmt])
        voice_button.click(hear_voice, voice, voice_audio)
        avatar.change(thumbnail, avatar, avatar_thumb)
        listen_button.click(listen, [text, fmt, voice], speech, concurrency_limit=1)
        text.change(count_chars, text, counter, show_progress="hidden", trigger_mode="always_last")
        render_button.click(None, None, None, js=ASK_TO_NOTIFY)
        render_button.click(render, [text, fmt, voice, avatar, template, aspects, preset],
                            [job_id, status, video, downloads], concurrency_limit=None).then(
            None, status, None, js=SAY_DONE)
        cancel_button.click(cancel, job_id, status, concurrency_limit=None)
        check_button.click(check_photo, [photo, presenter], [check_result, preview], concurrency_limit=1)
        save_button.click(save_avatar, [photo, presenter, licence, consent_file, consent_note], [check_result, avatar],
                          concurrency_limit=1)
        twin_button.click(save_twin, [recording, presenter, licence, consent_file, consent_note],
                          [check_result, avatar], concurrency_limit=1)
        batch_button.click(start_batch, [files, voice, avatar, template, aspects, preset],
                           [batch_ids, batch_table, gallery, archive, timer])
        timer.tick(poll_batch, batch_ids, [batch_table, gallery, archive, timer], concurrency_limit=None,
                   show_progress="hidden")
        refresh.click(history_rows, None, [history_table, pick])
        history_tab.select(history_rows, None, [history_table, pick])
        pick.change(show_job, pick, [history_video, history_files])
        again.click(render_again, pick, [text, fmt, voice, avatar, template, aspects, preset, tabs])
        blocks.load(current_avatars, avatar, avatar)  # every page load reads the packs on disk: saved anywhere, seen here
    return blocks
