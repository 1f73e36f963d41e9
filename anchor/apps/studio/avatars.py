"""The 主播形象 Avatars tab: a presenter's photo (checked, previewed) or recording (a digital twin) becomes a new
anchor, only with the presenter's own consent; the compose tab's anchor list follows."""

from __future__ import annotations

from ...errors import InputError
from .common import Studio, stays
from .compose import Compose
from .text import TEXT


def build(studio: Studio, compose: Compose) -> None:
    """The avatars tab's components and events (inside an open ``gr.Tab``)."""
    import gradio as gr

    from ...avatar import (
        FILL_FACE_HEIGHT, FILL_FRAME, MAX_UPSCALE, MIN_FACE_HEIGHT, TWIN_SECONDS, face_size_warning, size_warning,
    )

    t = studio.t
    gr.Markdown(t("face_rule", n=MIN_FACE_HEIGHT, m=FILL_FACE_HEIGHT, frame="{}x{}".format(*FILL_FRAME),
                  up=MAX_UPSCALE), elem_id="avatar-size-rule")
    with gr.Row():
        with gr.Column():
            photo = gr.Image(label=t("photo"), type="filepath", sources=["upload"], height=320, elem_id="avatar-photo")
            recording = gr.Video(label=t("recording"), sources=["upload"], height=240, elem_id="avatar-recording")
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
            result = gr.Markdown(label=t("check_result"), elem_id="avatar-result")
            preview = gr.Image(label=t("preview"), interactive=False, height=420, elem_id="avatar-preview")

    def check_photo(photo, name):
        from ..service import check_photo as check

        if not photo:
            raise InputError("请先上传照片", "upload a photo first")
        face, frame = check(photo, name or "preview")
        warning = face_size_warning(face.height)  # accepted, but framed smaller in some frames
        return t("face_ok", h=face.height, yaw=face.yaw, roll=face.roll) + studio.said(warning), frame

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
        studio.read_avatars()
        return pack

    def save_avatar(photo, name, licence, consent_file, consent_note):
        from ..service import save_avatar as save

        pack = new_presenter(save, photo, ("请先上传照片", "upload a photo first"), name, licence, consent_file,
                             consent_note)
        return (t("saved", name=pack.name) + studio.said(size_warning(pack)),
                gr.update(choices=studio.avatar_list, value=pack.id))

    def save_twin(recording, name, licence, consent_file, consent_note):
        from ..service import save_twin as save

        pack = new_presenter(save, recording, ("请先上传主播的录像", "upload the presenter's recording first"), name,
                             licence, consent_file, consent_note)
        return (t("twin_saved", name=pack.name, s=pack.recording.get("seconds", 0),
                  talk=pack.recording.get("speaking_share", 0)), gr.update(choices=studio.avatar_list, value=pack.id))

    details = [presenter, licence, consent_file, consent_note]
    check_button.click(stays(studio, check_photo, 1), [photo, presenter], [result, preview], concurrency_limit=1)
    save_button.click(stays(studio, save_avatar, 1), [photo, *details], [result, compose.avatar], concurrency_limit=1)
    twin_button.click(stays(studio, save_twin, 1), [recording, *details], [result, compose.avatar], concurrency_limit=1)
