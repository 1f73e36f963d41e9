"""The 台标与品牌 tab: the station's identity, as every later clip from the studio, batch and the API shows it.

The name (Chinese and English), the code written into each clip's implicit AIGC label (ContentProducer), the
colours, a logo (PNG with transparency, or SVG), fonts, the visible AI label's wording and corner, and the
outro's credit line.  Saved through :func:`anchor.graphics.save_station`: checked first, written whole, the
previous version kept; a mistake is said beside the save button and nothing changes.
"""

from __future__ import annotations

from .common import Studio, stays

FIELDS = ("name", "name_en", "code", "primary", "secondary", "backdrop", "ai_label", "ai_label_position", "credit",
          "credit_en")


def build(studio: Studio) -> tuple:
    """The brand tab's components and events (inside an open ``gr.Tab``); returns (fn, outputs) that fill it
    with the station as it is on disk, run whenever a page loads."""
    import gradio as gr

    t = studio.t
    gr.Markdown(t("brand_intro"))
    with gr.Row():
        with gr.Column():
            with gr.Row():
                name = gr.Textbox(label=t("brand_name"), elem_id="brand-name")
                name_en = gr.Textbox(label=t("brand_name_en"), elem_id="brand-name-en")
            code = gr.Textbox(label=t("brand_code"), info=t("brand_code_info"), elem_id="brand-code")
            with gr.Row():
                primary = gr.ColorPicker(label=t("brand_primary"), elem_id="brand-primary")
                secondary = gr.ColorPicker(label=t("brand_secondary"), elem_id="brand-secondary")
                backdrop = gr.ColorPicker(label=t("brand_backdrop"), elem_id="brand-backdrop")
            with gr.Row():
                ai_label = gr.Textbox(label=t("brand_ai_label"), elem_id="brand-ai-label")
                corner = gr.Radio([(t("corner_right"), "top-right"), (t("corner_left"), "top-left")],
                                  label=t("brand_corner"), elem_id="brand-corner")
            with gr.Row():
                credit = gr.Textbox(label=t("brand_credit"), placeholder=t("brand_credit_hint"), elem_id="brand-credit")
                credit_en = gr.Textbox(label=t("brand_credit_en"), elem_id="brand-credit-en")
            logo = gr.File(label=t("brand_logo"), file_types=[".png", ".svg"], type="filepath", elem_id="brand-logo")
            with gr.Row():
                font_bold = gr.File(label=t("brand_font_bold"), file_types=[".ttf", ".otf", ".ttc"], type="filepath",
                                    elem_id="brand-font-bold")
                font_regular = gr.File(label=t("brand_font_regular"), file_types=[".ttf", ".otf", ".ttc"],
                                       type="filepath", elem_id="brand-font-regular")
            save_button = gr.Button(t("brand_save"), variant="primary", elem_id="brand-save")
            note = gr.Markdown(elem_id="brand-note")
        with gr.Column():
            current_logo = gr.Image(label=t("brand_current_logo"), interactive=False, height=160,
                                    elem_id="brand-current-logo")
            stills = gr.Gallery(label=t("brand_preview"), columns=2, height=520, object_fit="contain", preview=False,
                                elem_id="brand-preview")
    inputs = [name, name_en, code, primary, secondary, backdrop, ai_label, corner, credit, credit_en]

    def current():
        from ...graphics import brand_fields, load_station

        shown = brand_fields(load_station())
        return [shown[f] for f in FIELDS] + [shown["logo"]]

    def preview_of():
        from ..service import preview_stills

        pictures = preview_stills(t("preview_placeholder"), ".txt", {"aspects": ["9:16", "16:9"]})
        return [(p, f"{a} · {studio.t('still_' + what)}") for a, what, p in pictures]

    def save(*values):
        from ...graphics import save_station

        *fields, logo_file, bold, regular = values
        changes = {f: (v or "").strip() for f, v in zip(FIELDS, fields)}  # "" clears a credit: the default wording
        station = save_station(changes, logo=logo_file or None, font_bold=bold or None, font_regular=regular or None)
        return (t("brand_saved", name=station.name, code=station.code), station.logo, preview_of(), None, None, None)

    save_button.click(stays(studio, save, 5), [*inputs, logo, font_bold, font_regular],
                      [note, current_logo, stills, logo, font_bold, font_regular], concurrency_limit=1)
    return current, [*inputs, current_logo]
