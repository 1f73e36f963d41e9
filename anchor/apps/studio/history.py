"""The 历史 History tab: past jobs with their state, each clip played and downloaded again, or sent back to the
compose tab with its script and options to render again with changes."""

from __future__ import annotations

import time
from pathlib import Path

from ...errors import InputError
from .common import Studio, friendly
from .compose import Compose
from .text import TEXT


def build(studio: Studio, compose: Compose, tabs) -> object:
    """The history tab's components and events (inside ``gr.Tab``, which is returned's trigger); ``tabs`` is the
    page's ``gr.Tabs``, switched to compose by 修改后重新生成."""
    import gradio as gr

    t, service = studio.t, studio.service
    refresh = gr.Button(t("refresh"), size="sm")
    table = gr.Dataframe(headers=studio.pick(TEXT["columns"]), interactive=False, wrap=True, elem_id="history-table")
    with gr.Row():
        pick = gr.Dropdown([], label=t("pick"), scale=3, elem_id="history-pick")
        again = gr.Button(t("again"), scale=1)
    with gr.Row():
        video = gr.Video(label=t("video"), interactive=False, elem_id="history-video")
        files = gr.File(label=t("downloads"), file_count="multiple", interactive=False)

    def rows():
        jobs = service.history()
        stamp = lambda j: time.strftime("%m-%d %H:%M", time.localtime(j.created))  # noqa: E731
        shown = [[stamp(j), j.name, studio.state(j), f"{j.duration:.0f}" if j.duration else "", studio.status(j)]
                 for j in jobs]
        return shown or None, gr.update(choices=[(f"{stamp(j)} · {j.name} · {studio.state(j)}", j.id) for j in jobs])

    @friendly
    def show(job_id):
        job = service.job(job_id) if job_id else None
        if job is None:
            return None, None
        paths = [str(p) for p in service.files(job) if p.is_file()]
        return next((f for f in paths if f.endswith(".mp4")), None), paths or None

    @friendly
    def render_again(job_id):
        job = service.job(job_id) if job_id else None
        if job is None:
            raise InputError("请先选择一个任务", "pick a job first")
        text = job.text if job.text is not None else Path(job.source).read_text(encoding="utf-8")
        fmt = job.fmt if job.text is not None else Path(job.source).suffix.lower()
        o = job.options
        aspects = o.get("aspects") or []
        aspects = aspects.split(",") if isinstance(aspects, str) else aspects
        return (text, fmt, o.get("voice") or "", o.get("avatar") or None, o.get("template") or "",
                list(aspects) or ["9:16"], o.get("preset") or "", gr.Tabs(selected="compose"))

    refresh.click(rows, None, [table, pick])
    pick.change(show, pick, [video, files])
    again.click(render_again, pick, [*compose.inputs(), tabs])
    return rows, [table, pick]
