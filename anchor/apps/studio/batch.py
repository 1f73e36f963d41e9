"""The 批量 Batch tab: several scripts or a manifest queued at once (each job named by its headline, a file that
cannot be read failing alone with its reason), followed live, with the covers and a ZIP of everything."""

from __future__ import annotations

import time
from pathlib import Path

from .common import Studio, options_of, stays
from .compose import Compose
from .text import TEXT


def build(studio: Studio, compose: Compose) -> None:
    """The batch tab's components and events (inside an open ``gr.Tab``); it renders with the compose tab's choices."""
    import gradio as gr

    t, service = studio.t, studio.service
    files = gr.File(label=t("files"), file_count="multiple", elem_id="batch-files",
                    file_types=[".txt", ".md", ".yaml", ".yml", ".json", ".csv", ".jsonl"])
    batch_button = gr.Button(t("start_batch"), variant="primary")
    batch_note = gr.Markdown(elem_id="batch-note")
    table = gr.Dataframe(headers=studio.pick(TEXT["batch_columns"]), label=t("jobs"), interactive=False, wrap=True,
                         elem_id="batch-table")
    gallery = gr.Gallery(label=t("gallery"), columns=6, fit_columns=False, height=300, preview=False,
                         object_fit="contain")
    archive = gr.File(label=t("zip"), interactive=False)
    batch_ids = gr.State([])
    timer = gr.Timer(1.0, active=False)

    def start(files, voice, avatar, template, aspects, preset):
        from ..intake import Upload

        uploads = [Upload.from_path(f, Path(f).name) for f in (files or [])]
        jobs = service.submit_batch(uploads, options_of(voice, avatar, template, aspects, preset))
        return "", [j.id for j in jobs], *view([j.id for j in jobs]), gr.Timer(active=True)

    def view(ids):
        from ..service import uploaded_as

        jobs = [j for j in (service.job(i) for i in ids or []) if j is not None]
        rows = [[time.strftime("%H:%M:%S", time.localtime(j.created)), j.name, uploaded_as(j) or "", studio.state(j),
                 f"{j.duration:.0f}" if j.duration else "", studio.status(j)] for j in jobs]
        covers = [(str(service.out_dir / a.path), j.name) for j in jobs if j.state == "done"
                  for a in j.artifacts if a.role == "cover"][: len(jobs)]
        finished = jobs and all(j.state in ("done", "failed", "cancelled") for j in jobs)
        done = [j for j in jobs if j.state == "done"]
        return rows or None, covers or None, str(service.zip_of(done)) if finished and done else None

    def poll(ids):
        """Live status while a batch runs; the timer stops once every job has finished."""
        if not ids:
            return gr.update(), gr.update(), gr.update(), gr.Timer(active=False)
        rows, covers, zipped = view(ids)
        return rows, covers, zipped, gr.Timer(active=zipped is None)

    batch_button.click(stays(studio, start, 5), [files, *compose.inputs()[2:]],
                       [batch_note, batch_ids, table, gallery, archive, timer])
    timer.tick(poll, batch_ids, [table, gallery, archive, timer], concurrency_limit=None, show_progress="hidden")
