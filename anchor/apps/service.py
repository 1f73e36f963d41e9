"""The render service behind the producer studio and the HTTP API: one queue, one history.

:class:`RenderService` owns a jobs folder (``anchor.jobs.JobStore`` in ``out_dir``) and runs its
queue on an executor in a background thread (``anchor.jobs.Runner``, the same queue
``anchor batch`` uses): one render at a time by default, the others waiting with their position
shown, any of them cancellable.  Everything producers send in passes through :mod:`anchor.apps.intake` first:

* scripts (typed, or uploaded .txt/.md/.yaml/.json up to :data:`MAX_SCRIPT_BYTES`) are parsed and
  checked before a job is queued, so a mistake is reported at once, in Chinese and English;
* options are validated by name against ``RenderOptions``; from the web no option may name a file
  on the server (no paths, no ``..``): templates and presets by name only;
* manifests (CSV/JSONL/YAML) may refer only to scripts uploaded with them, by file name;
* photos (JPEG/PNG/WebP up to :data:`MAX_IMAGE_BYTES` and :data:`MAX_IMAGE_PIXELS`) are decoded and
  re-encoded as a plain PNG (EXIF orientation applied, metadata dropped) before anything uses them.

Upload names never become paths: outputs are named by :func:`anchor.jobs.safe_name`.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote

import numpy as np

from ..errors import InputError
from ..files import write_bytes_atomic
from ..jobs import (
    Job, JobInput, JobStore, Runner, Webhooks, add_jobs, check_callback, folder_lock, make_executor, safe_name,
    webhook_secret as secret_of,
)
from .intake import Upload, check_script, clean_image, manifest_jobs, samples_dir, script_upload, web_options

MANIFEST_SUFFIXES = (".csv", ".jsonl", ".yaml", ".yml")


class RenderService:
    """A jobs folder and the thread that renders its queue; shared by the studio and the HTTP API."""

    def __init__(self, out_dir: str | os.PathLike, workers: int = 1, scheduler: str | None = None,
                 executor: str | None = None, webhook_secret: str | None = None):
        self.out_dir = Path(out_dir).resolve()
        self._lock = folder_lock(self.out_dir)
        self._lock.__enter__()
        try:
            self.store = JobStore(self.out_dir)
            self.store.recover()
            self.executor = make_executor(executor, workers, scheduler)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        self.webhooks = Webhooks(self.store, secret_of(webhook_secret), link=file_link).start()
        self.runner = Runner(self.store, self.executor, on_change=self.webhooks.notify)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="anchor-queue", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self.runner.run(until_done=False, stop=self._stop, tick=self.runner.save_progress)
            except Exception:  # the queue must outlive any one bad turn; the job's row says what failed
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.executor.close()
        self.webhooks.close()
        self._lock.__exit__(None, None, None)

    # -- submitting ----------------------------------------------------------

    def submit_text(self, text: str, fmt: str = ".txt", options: dict | None = None, name: str | None = None,
                    origin: str = "studio", callback_url: str | None = None) -> Job:
        """Queue a script given as text; checked first, so a mistake is an InputError here and now.
        ``callback_url`` (default: the station's) gets the result JSON when the job finishes or fails."""
        options = web_options(options)
        script = check_script(text, fmt)
        return self._add(safe_name(name or script.title), text, fmt, options, origin, callback_url)

    def submit_upload(self, upload: Upload, options: dict | None = None, name: str | None = None,
                      origin: str = "studio", callback_url: str | None = None) -> Job:
        text, fmt = script_upload(upload)
        return self._add(safe_name(name or upload.stem), text, fmt, web_options(options), origin, callback_url)

    def submit_batch(self, uploads: list[Upload], defaults: dict | None = None) -> list[Job]:
        """Queue several uploaded scripts, or the rows of an uploaded manifest (with the scripts it names)."""
        if not uploads:
            raise InputError("请先上传稿件或清单", "upload scripts or a manifest first")
        defaults = web_options(defaults)
        manifests = [u for u in uploads if u.suffix in MANIFEST_SUFFIXES and _is_manifest(u)]
        scripts = [u for u in uploads if u not in manifests]
        if len(manifests) > 1:
            raise InputError("一次只能上传一个清单", "upload one manifest at a time")
        origin = f"batch-{uuid.uuid4().hex[:8]}"
        if manifests:
            planned = manifest_jobs(manifests[0], scripts, defaults)
            return [self._add(name, text, fmt, options, origin, upload=f"{manifests[0].name}#{n}")
                    for n, (name, text, fmt, options) in enumerate(planned, 1)]
        out = []
        for upload in scripts:  # each named by its headline; a file that cannot be read fails alone, saying why
            try:
                text, fmt = script_upload(upload)
                title = check_script(text, fmt, upload.stem).title
                out.append(self._add(safe_name(title or upload.stem), text, fmt, defaults, origin, upload=upload.name))
            except InputError as e:
                out.append(self._refused(upload, e, origin))
        return out

    def _refused(self, upload: Upload, error: InputError, origin: str) -> Job:
        """A job on record for an upload that cannot be rendered: failed at once, its reason naming the file."""
        name = safe_name(upload.stem)
        zh = error.zh if upload.stem in error.zh else f"{safe_name(upload.name)}：{error.zh}"
        en = error.en if upload.stem in error.en else f"{safe_name(upload.name)}: {error.en}"
        return self.store.add(_key(origin, upload.name), name, {}, origin=origin, refused=(zh, en))

    def _add(self, name: str, text: str, fmt: str, options: dict, origin: str, callback_url: str | None = None,
             upload: str | None = None) -> Job:
        from ..graphics import load_station

        callback = check_callback(callback_url or load_station().callback_url, self.webhooks.secret)
        check_anchor(text, fmt, options)
        item = JobInput(_key(origin, upload), name, options, text=text, fmt=fmt, base_dir=str(samples_dir()),
                        callback=callback)
        return add_jobs(self.store, [item], origin)[0]

    def render_again(self, job_id: str, cue_texts: list[str] | None = None) -> Job:
        """A finished job rendered again with the same script and options (and callback); ``cue_texts`` replaces
        its subtitles' words, times kept: the speech is not synthesised again (its cache has it)."""
        job = self.job(job_id)
        if job is None or job.text is None:
            raise InputError("找不到这个任务，或它不是在制作台输入的稿件", "no such job, or its script was not typed here")
        options = {k: v for k, v in job.options.items() if k != "cue_texts"}
        if cue_texts is not None:
            options["cue_texts"] = list(cue_texts)
        name = safe_name(check_script(job.text, job.fmt).title)  # the headline again, not "X-2-2"
        return self._add(name, job.text, job.fmt, web_options(options), job.origin, job.callback)

    def remaining(self, job: Job) -> float | None:
        """Seconds a running job has left, from the stage speeds measured on this machine (None: not known yet)."""
        return self.runner.remaining(job)

    def deliveries(self, job_id: str) -> list[dict]:
        """The job's callbacks: where each went, and every attempt (time, HTTP status or error)."""
        return self.webhooks.log(job_id)

    # -- reading and controlling ----------------------------------------------

    def job(self, job_id: str) -> Job | None:
        return self.store.find(job_id)

    def position(self, job_id: str) -> int | None:
        return self.store.position(job_id)

    def cancel(self, job_id: str) -> Job:
        return self.store.cancel(job_id)

    def history(self, limit: int = 200) -> list[Job]:
        return self.store.jobs(newest_first=True, limit=limit)

    def files(self, job: Job) -> list[Path]:
        return [self.out_dir / a.path for a in job.artifacts]

    def file(self, job: Job, name: str) -> Path | None:
        """One of ``job``'s recorded files by its name; None for anything else (no path tricks)."""
        path = self.store.artifact_path(job, name)
        return path if path is not None and path.is_file() else None

    def zip_of(self, jobs: list[Job]) -> Path:
        """A ZIP of the finished jobs' files (written whole, then moved into place)."""
        folder = self.out_dir / "zips"
        folder.mkdir(exist_ok=True)
        target = folder / f"anchor-{uuid.uuid4().hex[:8]}.zip"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for job in jobs:
                for path in self.files(job):
                    if path.is_file():
                        archive.write(path, path.name)
        write_bytes_atomic(target, buffer.getvalue())
        return target


def _key(origin: str, upload: str | None) -> str:
    """A job's key: unique, and naming the uploaded file it came from (see :func:`uploaded_as`)."""
    return f"{origin}:{uuid.uuid4().hex}" + (f":{safe_name(upload)}" if upload else "")


def uploaded_as(job: Job) -> str | None:
    """The uploaded file (or manifest row) a batch job came from, kept beside the headline it is named by."""
    parts = job.key.split(":", 2)
    return parts[2] if len(parts) == 3 else None


def file_link(job_id: str, name: str) -> str:
    """Where the HTTP API serves a job's file (relative to the service's address)."""
    return f"/api/v1/jobs/{job_id}/files/{quote(name)}"


def check_anchor(text: str, fmt: str, options: dict) -> None:
    """Refuse at once (ConsentError), not when the job runs, an anchor showing a real face without valid consent."""
    from ..avatar import check_consent, load_avatar
    from ..graphics import load_station

    script = check_script(text, fmt)
    check_consent(load_avatar(options.get("avatar") or script.avatar), load_station(), required=True)


def _is_manifest(upload: Upload) -> bool:
    """A .yaml upload is a manifest when it is a list of rows (or has ``jobs:``), else a YAML script."""
    if upload.suffix in (".csv", ".jsonl"):
        return True
    import yaml

    try:
        data = yaml.safe_load(upload.data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False
    return isinstance(data, list) or (isinstance(data, dict) and "jobs" in data)


def speech_preview(text: str, fmt: str, voice: str | None, headline: bool = True) -> tuple[int, np.ndarray]:
    """(sample rate, samples) of the script read by ``voice``: the speech stage alone, for "试听".

    The headline is read first as the clip would read it (``read_title``, else the station's default);
    ``headline=False`` never reads it.
    """
    speech = _speak(text, fmt, voice, headline)
    return speech.sample_rate, np.asarray(speech.samples, dtype=np.float32)


def _speak(text: str, fmt: str, voice: str | None, headline: bool):
    from dataclasses import replace

    from ..graphics import load_station
    from ..speech import load_voice, synthesize

    script = check_script(text, fmt)
    script = script.with_read_title(load_station().read_title) if headline else replace(script, read_title=False)
    return synthesize(script, load_voice(voice or script.voice, script.language))


def voice_sample(voice: str) -> tuple[tuple[int, np.ndarray], str | None]:
    """A short sentence in ``voice``, to hear it before choosing it, and (as "zh / en") which voice spoke
    instead and why, when it could not (None when it did)."""
    from ..speech import list_voices

    language = next((v.language for v in list_voices() if v.name == voice), "zh")
    text = ("试听\n各位观众，欢迎收看本台新闻。" if language == "zh" else "Preview\nGood evening, and welcome to the news.")
    speech = _speak(text, ".txt", voice, headline=False)
    return (speech.sample_rate, np.asarray(speech.samples, dtype=np.float32)), fallback_sentence(speech.fallback)


def fallback_sentence(fallback: dict | None) -> str | None:
    """"zh / en": which voice was asked for, why it could not speak, and which spoke instead (a clip's or a
    sample's ``voice_fallback``); no server path, no exception text."""
    if not fallback:
        return None
    from ..speech import list_voices

    voices = {v.name: v for v in list_voices()}
    asked, spoke = voices[fallback["asked"]], voices[fallback["spoke"]]
    return (f"所选语音“{asked.shown('zh')}”{fallback['zh']}，本条改由“{spoke.shown('zh')}”朗读 / "
            f"the chosen voice \"{asked.shown('en')}\" {fallback['en']}; \"{spoke.shown('en')}\" read it instead")


def preview_stills(text: str, fmt: str, options: dict | None = None) -> list[tuple[str, str, np.ndarray]]:
    """(aspect, "opening" | "lower_third", RGB frame) for the script with the chosen anchor, template and
    aspects, drawn as the render would draw them but timed from the text (no speech): for the frame preview."""
    from ..jobs import render_options
    from ..pipeline import preview_stills as stills

    options = web_options(options)
    script = check_script(text, fmt)
    check_anchor(text, fmt, options)
    return [(s.aspect, s.what, s.frame) for s in stills(script, render_options(options))]


def check_photo(path: str | os.PathLike, name: str = "preview"):
    """(face, preview frame) for a photo offered as a new anchor; an AvatarError says what is wrong with it."""
    from ..avatar import AvatarPack, preview_frame, read_picture
    from ..avatar import check_portrait

    png = clean_image(Upload.from_path(path))
    with tempfile.TemporaryDirectory(prefix="anchor-photo-") as tmp:
        photo = Path(tmp) / "photo.png"
        photo.write_bytes(png)
        face = check_portrait(read_picture(photo))
        pack = AvatarPack(id="preview", name=name, kind="photo", source="photo.png", licence="", folder=Path(tmp))
        return face, preview_frame(pack)


def save_avatar(path: str | os.PathLike, name: str, licence: str | None = None, consent: str | os.PathLike | None = None,
                consent_note: str | None = None, recorded_by: str = "制作台 studio"):
    """A new photo anchor from an uploaded photo (re-encoded first) and the presenter's consent; returns the pack.

    ``consent`` is the uploaded signed authorisation (PDF, image or text), ``consent_note`` instead says
    who agreed and when (a station's own test); without either nothing is saved.
    """
    from ..avatar import add_photo_avatar

    with tempfile.TemporaryDirectory(prefix="anchor-photo-") as tmp:
        request = _consent(Path(tmp), consent, consent_note, name, recorded_by)
        png = clean_image(Upload.from_path(path))
        photo = Path(tmp) / f"{safe_name(Path(path).stem)}.png"
        photo.write_bytes(png)
        return add_photo_avatar(photo, name, None, licence, False, consent=request)


def save_twin(path: str | os.PathLike, name: str, licence: str | None = None, consent: str | os.PathLike | None = None,
              consent_note: str | None = None, recorded_by: str = "制作台 studio"):
    """A new digital twin from an uploaded recording of the presenter and their consent; returns the pack.

    The recording is copied under a safe name of its own type and checked by ``add_twin_avatar`` (which
    refuses, saying why, a recording that cannot make a twin); nothing is saved without consent.
    """
    from ..avatar import add_twin_avatar

    with tempfile.TemporaryDirectory(prefix="anchor-twin-") as tmp:
        request = _consent(Path(tmp), consent, consent_note, name, recorded_by)
        suffix = Path(str(path)).suffix.lower()
        recording = Path(tmp) / f"recording{suffix if suffix in VIDEO_SUFFIXES else '.mp4'}"
        shutil.copyfile(path, recording)
        return add_twin_avatar(recording, name, None, licence, False, consent=request)


VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"}


def _consent(folder: Path, consent, note: str | None, name: str, recorded_by: str):
    """The presenter's consent from an upload (kept under its own type, never its name) or a note."""
    from ..avatar import consent_request

    document = None
    if consent:
        suffix = Path(str(consent)).suffix.lower()
        document = folder / f"consent{suffix if suffix.isascii() and len(suffix) <= 5 else ''}"
        document.write_bytes(Upload.from_path(consent).data)
    return consent_request(document, note, name, recorded_by=recorded_by)
