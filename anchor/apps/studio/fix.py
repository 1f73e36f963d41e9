"""Fixes without rewriting, under the compose tab: the finished clip's subtitles as an editable table (a typo is
fixed and the clip rendered again with the same speech), and the 读音 panel (a word's reading heard with 试听 and
saved to the station lexicon, so later renders say it that way)."""

from __future__ import annotations

import json

from ...errors import InputError
from .common import Studio, friendly
from .compose import Compose, follow

LINE_BREAK = " / "  # where a subtitle's second line starts, as its cell in the table shows it
CUE_COLUMNS = (("开始（秒）", "结束（秒）", "字幕（双击改字；时间不变；“ / ”处换行）"),
               ("start (s)", "end (s)", "subtitle (double-click to edit; times stay; \" / \" starts line 2)"))

# the script editor's selected text, read in the browser (a word to give a reading)
SELECTED_WORD = """(word) => {
  const box = document.querySelector('#script-editor textarea');
  const picked = box ? box.value.substring(box.selectionStart, box.selectionEnd).trim() : '';
  return picked || word;
}"""


def clip_record(service, job) -> dict | None:
    """The finished job's clip JSON (its first story's), or None."""
    path = next((service.out_dir / a.path for a in job.artifacts if a.role == "metadata"), None) if job else None
    return json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else None


def build(studio: Studio, compose: Compose):
    """The fixes accordion's components and events (inside the compose tab, below the players)."""
    import gradio as gr

    t, service = studio.t, studio.service

    with gr.Accordion(t("fix_cues"), open=True, elem_id="fix-cues"):
        cue_table = gr.Dataframe(headers=list(studio.pick(CUE_COLUMNS)), datatype=["number", "number", "str"],
                                 interactive=True, static_columns=[0, 1], wrap=True, elem_id="cue-table",
                                 column_widths=["12%", "12%", "76%"])
        with gr.Row():
            again_button = gr.Button(t("cues_again"), variant="primary", elem_id="cues-again")
        cue_note = gr.Markdown(t("cues_hint"), elem_id="cue-note")
    with gr.Accordion(t("readings"), open=False, elem_id="readings"):
        gr.Markdown(t("readings_hint"))
        with gr.Row():
            word = gr.Textbox(label=t("reading_word"), elem_id="reading-word", scale=1)
            take = gr.Button(t("reading_take"), size="sm", scale=0)
            reading = gr.Textbox(label=t("reading_say"), placeholder=t("reading_placeholder"), elem_id="reading-say",
                                 scale=2)
        with gr.Row():
            hear_button = gr.Button(t("reading_hear"), elem_id="reading-hear")
            save_button = gr.Button(t("reading_save"), elem_id="reading-save")
            confirm_button = gr.Button(t("reading_confirm"), variant="primary", visible=False,
                                       elem_id="reading-confirm")
        reading_audio = gr.Audio(type="numpy", interactive=False, label=t("reading_hear"))
        reading_note = gr.Markdown(elem_id="reading-note")

    def cues_of(job_id):
        job = service.job(job_id) if job_id else None
        record = clip_record(service, job) if job is not None and job.state == "done" else None
        if record is None:
            return gr.update(), gr.update()
        cues = record.get("cues", [])
        return ([[c["start"], c["end"], c["text"].replace("\n", LINE_BREAK)] for c in cues],
                t("cues_loaded", n=len(cues), title=record.get("title", "")))

    @friendly
    def render_again(job_id, table):
        job = service.job(job_id) if job_id else None
        if job is None or job.state != "done":
            raise InputError("请先生成一条视频，再修改它的字幕", "render a clip first, then fix its subtitles")
        texts = [str(row[2]).strip().replace(LINE_BREAK, "\n") for row in _rows(table)]
        yield from follow(studio, service.render_again(job.id, cue_texts=texts))

    def reused_note(job_id):
        job = service.job(job_id) if job_id else None
        record = clip_record(service, job)
        if record is None:
            return gr.update()
        return t("speech_reused" if record.get("speech_reused") else "speech_spoken")

    @friendly
    def hear(word, said, voice):
        from ...speech import check_reading, hear_reading

        entry = check_reading(word, said)
        return hear_reading(entry, voice or None), t("reading_heard", word=entry.word, pinyin=entry.written)

    @friendly
    def ask_to_save(word, said):
        from ...speech import check_reading

        entry = check_reading(word, said)
        return (t("reading_ask", word=entry.word, pinyin=entry.written), gr.update(visible=True))

    @friendly
    def save(word, said):
        from ...speech import check_reading, save_reading

        entry = check_reading(word, said)
        save_reading(entry)
        return t("reading_saved", word=entry.word, pinyin=entry.written), gr.update(visible=False)

    shown = [cue_table, cue_note]
    compose.rendered.then(cues_of, compose.job_id, shown)
    again_button.click(render_again, [compose.job_id, cue_table], compose.outputs(), concurrency_limit=None,
                       show_progress="hidden").then(cues_of, compose.job_id, shown).then(
        reused_note, compose.job_id, cue_note)
    take.click(None, word, word, js=SELECTED_WORD)
    hear_button.click(hear, [word, reading, compose.voice], [reading_audio, reading_note], concurrency_limit=1)
    save_button.click(ask_to_save, [word, reading], [reading_note, confirm_button])
    for source in (word, reading):
        source.change(lambda: gr.update(visible=False), None, confirm_button, show_progress="hidden")
    confirm_button.click(save, [word, reading], [reading_note, confirm_button])
    return cue_table


def _rows(table) -> list[list]:
    """The table's rows whether Gradio hands over a DataFrame or a list of lists."""
    if table is None:
        return []
    if hasattr(table, "values") and hasattr(table, "columns"):
        return table.values.tolist()
    return [list(row) for row in table]
