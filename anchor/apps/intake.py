"""What producers send in, checked before a job is queued: uploaded files, scripts, photos, manifests
and options from the web (the rules are listed in :mod:`anchor.apps.service`).
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from ..errors import InputError
from ..files import PROJECT_DIR
from ..jobs import manifest_rows, render_options, safe_name
from ..script import FORMATS, parse_script

MAX_SCRIPT_BYTES = 256 * 1024
MAX_SCRIPT_CHARS = 20_000
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_TYPES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
SERVER_ONLY_OPTIONS = ("station", "export", "require_consent")  # brand kit, encoder, consent: the server's, not the web's
NAME_LABELS = {"voice": "语音", "avatar": "主播形象", "template": "画面模板", "preset": "平台预设"}
MAX_CUE_TEXTS = 2000  # corrected subtitles (cue_texts): cues in one clip ...
MAX_CUE_TEXT_CHARS = 200  # ... and characters in one cue (two lines are ~32)


@dataclass(frozen=True)
class Upload:
    """A file a producer sent: the name they gave it (display only) and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | os.PathLike, name: str | None = None, limit: int = MAX_IMAGE_BYTES) -> "Upload":
        path = Path(path)
        size = path.stat().st_size
        if size > limit:
            raise too_large(name or path.name, size, limit)
        return cls(name or path.name, path.read_bytes())

    @property
    def suffix(self) -> str:
        return Path(self.name.replace("\\", "/")).suffix.lower()

    @property
    def stem(self) -> str:
        return safe_name(Path(self.name.replace("\\", "/")).stem)


def too_large(name: str, size: int, limit: int) -> InputError:
    return InputError(f"文件 {safe_name(name)} 太大（{size / 1e6:.1f} MB，上限 {limit / 1e6:.1f} MB）",
                      f"the file {safe_name(name)} is too large ({size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB)")


def web_options(values: dict | None) -> dict:
    """Options from the web, validated; only names (never server paths) for templates, voices, avatars."""
    values = {k: v for k, v in (values or {}).items() if v not in (None, "", [], ())}
    known = web_option_names()
    extra = sorted(set(values) - set(known))
    if extra:
        raise InputError(f"不支持的选项：{', '.join(extra)}（可用：{', '.join(known)}）",
                         f"unsupported option(s): {', '.join(extra)} (available: {', '.join(known)})")
    if "cue_texts" in values:
        values["cue_texts"] = _cue_texts(values["cue_texts"])
    for name, value in values.items():
        if isinstance(value, str) and ("/" in value or "\\" in value or ".." in value or
                                       value.lower().endswith((".yaml", ".yml"))):
            raise InputError(f"选项 {name} 只能填名称，不能填文件路径", f"option {name} takes a name, not a file path")
    options = render_options(values)  # raises InputError naming what is wrong
    _check_names(options)
    return values


def _cue_texts(value) -> list[str]:
    """Corrected subtitle texts: a list of strings, bounded (how many the clip has is checked when it renders)."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(t, str) for t in value):
        raise InputError("选项 cue_texts 应是字幕文字的列表（每条字幕一段文字）",
                         "option cue_texts must be a list of subtitle texts (one string per cue)")
    if len(value) > MAX_CUE_TEXTS:
        raise InputError(f"改后的字幕太多（{len(value)} 条，上限 {MAX_CUE_TEXTS} 条）",
                         f"too many corrected subtitles ({len(value)}; the limit is {MAX_CUE_TEXTS})")
    for n, text in enumerate(value, 1):
        if len(text) > MAX_CUE_TEXT_CHARS:
            raise InputError(f"第 {n} 条字幕太长（{len(text)} 字，上限 {MAX_CUE_TEXT_CHARS} 字）",
                             f"subtitle {n} is too long ({len(text)} characters; the limit is {MAX_CUE_TEXT_CHARS})")
    return list(value)


@functools.cache
def web_option_names() -> tuple[str, ...]:
    """The RenderOptions fields a producer may set from the web: all but the server-only ones."""
    from ..pipeline import RenderOptions

    return tuple(f.name for f in fields(RenderOptions) if f.name not in SERVER_ONLY_OPTIONS)


def _check_names(options) -> None:
    """Names a producer picks from a list must be on it: said now rather than when the job runs."""
    from ..avatar import list_avatars
    from ..graphics import aspect_size
    from ..export import list_platforms
    from ..graphics import list_templates
    from ..speech import list_voices

    lists = {"voice": [v.name for v in list_voices()], "avatar": list_avatars(),
             "template": [t.name for t in list_templates()], "preset": [p.name for p in list_platforms()]}
    for field, known in lists.items():
        value = getattr(options, field)
        if value is not None and value not in known:
            raise InputError(f"没有名为 {value} 的{NAME_LABELS[field]}（可用：{'、'.join(known)}）",
                             f"no {field} named {value!r} (available: {', '.join(known)})")
    if options.audio is not None:
        from ..export import AudioMaster

        if options.audio.jingle not in (None, "tone", "none"):
            raise InputError("网页上的片头片尾音乐只能选 tone 或 none（台标配置里可指定本台的音频文件）",
                             "from the web, audio.jingle is tone or none (the station file may name a jingle file)")
        if options.audio.loudness is not None:
            AudioMaster(loudness=options.audio.loudness)  # an InputError naming the range
    for aspect in options.aspects or ():
        try:
            aspect_size(aspect)
        except ValueError:
            raise InputError(f"不支持的画面比例 {aspect}（可用：9:16、16:9、1:1）",
                             f"unsupported aspect {aspect!r}; use 9:16, 16:9 or 1:1") from None


def samples_dir() -> Path:
    """The sample scripts and their media library (``scripts/``, or ``$ANCHOR_SAMPLES_DIR``)."""
    return Path(os.environ.get("ANCHOR_SAMPLES_DIR") or PROJECT_DIR / "scripts")


def list_samples() -> list[Path]:
    root = samples_dir()
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in FORMATS) if root.is_dir() else []


def check_script(text: str, fmt: str = ".txt", name: str = "script"):
    """The parsed script if it is sound (headline, body, media only from the media library), else an InputError."""
    if fmt not in FORMATS:
        raise InputError(f"不支持的稿件格式 {fmt}（可用：{'/'.join(FORMATS)}）",
                         f"unsupported script format {fmt!r}; use one of {', '.join(FORMATS)}")
    if len(text) > MAX_SCRIPT_CHARS:
        raise InputError(f"稿件太长（{len(text)} 字，上限 {MAX_SCRIPT_CHARS} 字）",
                         f"the script is too long ({len(text)} characters; the limit is {MAX_SCRIPT_CHARS})")
    root = samples_dir().resolve()
    script = parse_script(text, fmt, stem=name, base_dir=root)
    media = [c.value.path for c in script.cues if c.kind == "broll"]
    media += [script.music.path] if script.music else []
    media += [script.recording] if script.recording else []
    for path in media:
        if not Path(path).resolve().is_relative_to(root):
            raise InputError(f"稿件只能使用素材库（{root.name}/）中的媒体文件：{Path(path).name}",
                             f"scripts sent from the web may only use media from the library ({root.name}/): "
                             f"{Path(path).name}")
    return script


def script_upload(upload: Upload) -> tuple[str, str]:
    """(text, format) of an uploaded script."""
    if upload.suffix not in FORMATS:
        raise InputError(f"{upload.stem}：只能上传 {'/'.join(FORMATS)} 格式的稿件",
                         f"{upload.stem}: scripts must be {', '.join(FORMATS)} files")
    if len(upload.data) > MAX_SCRIPT_BYTES:
        raise too_large(upload.name, len(upload.data), MAX_SCRIPT_BYTES)
    try:
        text = upload.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"稿件 {upload.stem} 不是 UTF-8 文本", f"the script {upload.stem} is not UTF-8 text") from None
    check_script(text, upload.suffix, upload.stem)
    return text, upload.suffix


def clean_image(upload: Upload) -> bytes:
    """An uploaded photo decoded and re-encoded as a plain PNG: type and size checked, metadata dropped."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(upload.data) > MAX_IMAGE_BYTES:
        raise too_large(upload.name, len(upload.data), MAX_IMAGE_BYTES)
    refuse = InputError(f"{upload.stem}：请上传 JPEG、PNG 或 WebP 照片", f"{upload.stem}: upload a JPEG, PNG or WebP photo")
    try:
        with Image.open(io.BytesIO(upload.data)) as probe:
            if probe.format not in IMAGE_TYPES:
                raise refuse
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise InputError(f"照片太大（{probe.width}×{probe.height}），请缩小到 4000 万像素以内",
                                 f"the photo is too large ({probe.width}x{probe.height}); keep it under 40 megapixels")
            probe.load()
            image = ImageOps.exif_transpose(probe).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise refuse from None
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def manifest_jobs(manifest: Upload, scripts: list[Upload], defaults: dict) -> list[tuple[str, str, str, dict]]:
    """(name, text, format, options) for each row of an uploaded manifest; rows name scripts uploaded with it."""
    if len(manifest.data) > MAX_MANIFEST_BYTES:
        raise too_large(manifest.name, len(manifest.data), MAX_MANIFEST_BYTES)
    by_name = {Path(s.name.replace("\\", "/")).name: s for s in scripts}
    with tempfile.TemporaryDirectory(prefix="anchor-manifest-") as tmp:
        path = Path(tmp) / f"manifest{manifest.suffix}"
        path.write_bytes(manifest.data)
        rows = manifest_rows(path)
    if rows is None:
        raise InputError(f"{manifest.stem} 不是清单（应为每行一条稿件）", f"{manifest.stem} is not a manifest (one row per clip)")
    out = []
    for n, row in enumerate(rows, 1):
        row = dict(row)
        name = safe_name(str(row.pop("name", None) or row.pop("id", None) or ""))
        script, text = row.pop("script", None), row.pop("text", None)
        where = f"清单第 {n} 行", f"manifest row {n}"
        if text is not None:
            fmt, name = ".txt", name if name != "clip" else f"{manifest.stem}-{n}"
        elif script is not None:
            base = Path(str(script).replace("\\", "/")).name
            if base != str(script) or base not in by_name:
                raise InputError(f"{where[0]}：稿件 {safe_name(str(script))} 需要和清单一起上传（只写文件名）",
                                 f"{where[1]}: upload the script {safe_name(str(script))} together with the manifest "
                                 f"(file name only)")
            text, fmt = script_upload(by_name[base])
            name = name if name != "clip" else by_name[base].stem
        else:
            raise InputError(f"{where[0]}：缺少 script 或 text", f"{where[1]}: needs a script or a text column")
        try:
            options = web_options({**defaults, **row})
            check_script(str(text), fmt, name)
        except InputError as e:
            raise InputError(f"{where[0]}：{e.zh}", f"{where[1]}: {e.en}") from None
        out.append((name, str(text), fmt, options))
    return out
