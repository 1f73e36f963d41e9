"""The presenter's consent: every real face an anchor shows needs its person's own, separate agreement.

深度合成管理规定 (Provisions on Deep Synthesis, art. 14) requires the separate consent (单独同意) of a
person whose face or voice is edited.  Public domain is a copyright status, not consent.  A photo or
video_loop pack records that consent in its ``avatar.yaml``::

    consent:
      by: 张明                    # who consented: the presenter shown
      date: 2026-12-01            # when they agreed (signed)
      use: 本台新闻播报 / news reading for this station   # what they agreed to
      until: 2027-12-01           # last day the consent covers (none: until withdrawn)
      document: consent.pdf       # the signed authorisation (PDF, image or text), copied into the pack
      sha256: 5f1c...             # of that document, when it was recorded
      note: ...                   # instead of a document, for a station's own test: who agreed, and when
      recorded_by: 李编辑         # who entered the record, and when
      recorded_at: 2026-12-01T21:50:00+00:00

A drawn ``sprite`` pack shows nobody's likeness and may say so: ``consent: {needed: false, reason: ...}``.

A pack's consent state is one of :data:`STATES` (labels in :data:`LABELS`, Chinese first):
``recorded`` (valid today), ``expired`` (past ``until``; also a recorded document that is gone or has
changed since), ``missing`` (a real face with no record) or ``not needed`` (drawn artwork).
:func:`consent_warnings` is what a clip says about an anchor without valid consent;
:func:`check_consent` refuses one where the job requires consent (batch, the studio, the HTTP API)
unless ``station.yaml`` sets ``allow_unconsented_faces: true``; :func:`consent_request` checks what a
producer gave when adding a photo anchor, before anything is written, and :func:`record_consent` writes it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import AvatarError, ConsentError
from ..files import file_sha256

STATES = ("recorded", "expired", "missing", "not needed")
LABELS = {"recorded": ("已取得本人授权", "consent recorded"),
          "expired": ("本人授权已过期", "consent expired"),
          "missing": ("缺少本人授权", "no consent record"),
          "not needed": ("无需授权（绘制形象）", "not needed (drawn artwork)")}
REAL_FACE_KINDS = ("photo", "video_loop", "twin")
DEFAULT_USE = "本台新闻播报 / news reading for this station"
DEFAULT_DAYS = 365  # a year, unless --consent-until says otherwise
DOCUMENT_TYPES = (".pdf", ".png", ".jpg", ".jpeg", ".webp", ".txt")
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_FIELDS = {"needed", "reason", "by", "date", "use", "until", "document", "sha256", "note", "recorded_by", "recorded_at"}


@dataclass(frozen=True)
class Consent:
    """One consent record from a pack's ``consent:`` block (or ``needed=False`` for drawn artwork)."""

    needed: bool = True
    reason: str = ""  # why none is needed (drawn artwork)
    by: str = ""  # who consented
    date: dt.date | None = None  # when
    use: str = ""  # for what use
    until: dt.date | None = None  # last day covered; None: until withdrawn
    document: str | None = None  # the signed authorisation, a file in the pack folder
    sha256: str | None = None  # of the document when it was recorded
    note: str | None = None  # instead of a document: a station test, who and when
    recorded_by: str = ""
    recorded_at: str = ""


def read_consent(data) -> Consent | None:
    """The ``consent:`` block of an avatar.yaml; ValueError (a malformed pack) says what is wrong."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError("consent must be a block of fields (by, date, use, until, document or note)")
    unknown = set(data) - _FIELDS
    if unknown:
        raise ValueError(f"unknown consent field(s): {', '.join(sorted(map(str, unknown)))}")
    if data.get("needed", True) is False:
        return Consent(needed=False, reason=str(data.get("reason") or ""))
    missing = [k for k in ("by", "date", "use") if not str(data.get(k) or "").strip()]
    if not (data.get("document") or data.get("note")):
        missing.append("document or note")
    if missing:
        raise ValueError(f"consent needs {', '.join(missing)}")
    return Consent(by=str(data["by"]).strip(), date=_date(data["date"], "consent.date"), use=str(data["use"]).strip(),
                   until=_date(data["until"], "consent.until") if data.get("until") else None,
                   document=str(data["document"]) if data.get("document") else None,
                   sha256=str(data["sha256"]) if data.get("sha256") else None,
                   note=str(data["note"]).strip() if data.get("note") else None,
                   recorded_by=str(data.get("recorded_by") or ""), recorded_at=str(data.get("recorded_at") or ""))


def _date(value, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} must be a date like 2027-12-01, not {value!r}") from None


# -- a pack's state ----------------------------------------------------------

def consent_state(pack, today: dt.date | None = None) -> str:
    """``recorded``, ``expired``, ``missing`` or ``not needed`` for ``pack`` (an AvatarPack) today."""
    consent = pack.consent
    if pack.kind not in REAL_FACE_KINDS:
        return "not needed"
    if consent is None or not consent.needed:
        return "missing"  # a real face: "needed: false" does not apply to it
    if _document_problem(pack):
        return "expired"
    if consent.until is not None and (today or dt.date.today()) > consent.until:
        return "expired"
    return "recorded"


def _document_problem(pack) -> str | None:
    consent = pack.consent
    if not consent.document:
        return None
    path = Path(pack.folder) / consent.document
    if not path.is_file():
        return "gone"
    if consent.sha256 and file_sha256(path) != consent.sha256:
        return "changed"
    return None


def consent_summary(pack, today: dt.date | None = None) -> dict:
    """The pack's consent as plain values: for ``anchor avatars``, the studio and a clip's JSON."""
    state = consent_state(pack, today)
    c = pack.consent
    out = {"state": state, "label": " / ".join(LABELS[state])}
    if c is not None and not c.needed:
        out["reason"] = c.reason
    elif c is not None:
        out.update({"by": c.by, "date": c.date.isoformat(), "use": c.use,
                    "until": c.until.isoformat() if c.until else None, "document": c.document, "sha256": c.sha256,
                    "note": c.note, "recorded_by": c.recorded_by, "recorded_at": c.recorded_at})
        if c.document and (problem := _document_problem(pack)):
            out["document_problem"] = problem
    return out


def consent_warnings(pack, today: dt.date | None = None) -> list[str]:
    """What a clip says about an anchor showing a real face without valid consent (zh / en); [] otherwise."""
    state = consent_state(pack, today)
    if state in ("recorded", "not needed"):
        return []
    zh, en = _problem(pack, state)
    return [f"{zh}，不得播出 / {en}: not for air"]


def _problem(pack, state: str) -> tuple[str, str]:
    """What is wrong with ``pack``'s consent in ``state`` (missing or expired), in Chinese and English."""
    if state == "missing":
        return (f"主播形象 {pack.id} 是真人形象，没有本人授权记录",
                f"avatar {pack.id!r} shows a real person and has no consent record")
    if _document_problem(pack):  # the document is read (and hashed) once for both languages
        return (f"主播形象 {pack.id} 的授权文件 {pack.consent.document} 已丢失或被改动",
                f"the consent document {pack.consent.document} of avatar {pack.id!r} is gone or has changed")
    return (f"主播形象 {pack.id} 的本人授权已于 {pack.consent.until} 到期",
            f"the presenter's consent for avatar {pack.id!r} expired on {pack.consent.until}")


def check_consent(pack, station, required: bool, today: dt.date | None = None) -> None:
    """Refuse ``pack`` (ConsentError) when ``required``, its consent is not valid and the station does not allow it."""
    state = consent_state(pack, today)
    if not required or state in ("recorded", "not needed") or getattr(station, "allow_unconsented_faces", False):
        return
    zh, en = _problem(pack, state)
    raise ConsentError(
        f"{zh}：批量任务、制作台和 API 不使用未经授权的真人形象。请用 "
        "anchor avatar add --consent 登记本人授权，或换用绘制的卡通主播；若本台确已另行取得授权，"
        "可在 station.yaml 中设置 allow_unconsented_faces: true",
        f"{en}; batch jobs, the studio and the API do not use a real face without the "
        "person's consent. Record it (anchor avatar add --consent FILE), choose a drawn anchor, or, where the "
        "station holds that consent elsewhere, set allow_unconsented_faces: true in station.yaml")


# -- recording consent when a pack is added ----------------------------------

@dataclass(frozen=True)
class ConsentRequest:
    """What a producer gave when adding a photo anchor, checked before anything is written."""

    by: str
    date: dt.date
    use: str
    until: dt.date
    document: Path | None
    note: str | None
    recorded_by: str


def consent_request(document: str | Path | None, note: str | None, by: str, use: str | None = None,
                    until: str | dt.date | None = None, date: str | dt.date | None = None,
                    recorded_by: str | None = None) -> ConsentRequest:
    """The presenter's consent as given to ``anchor avatar add`` or the studio; an AvatarError says what is missing."""
    note = (note or "").strip() or None
    if document is None and note is None:
        raise AvatarError(
            "新建真人主播须有本人的单独同意（深度合成管理规定）：请用 --consent 文件 提供本人签字的授权书"
            "（PDF、图片或文本），或本台自测时用 --consent-note \"谁、何时同意\" 说明",
            "a real person's face needs their own, separate consent (Deep Synthesis Provisions): pass "
            "--consent FILE with the presenter's signed authorisation (PDF, image or text), or, for a "
            "station's own test, --consent-note \"who agreed, and when\"")
    if document is not None:
        document = check_document(document)
    if not (by or "").strip():
        raise AvatarError("请写明同意者的姓名（--consent-by）", "name the person who consented (--consent-by)")
    try:
        date = _date(date, "--consent-date") if date else dt.date.today()
        until = _date(until, "--consent-until") if until else _years_later(date, 1)
    except ValueError as e:
        raise AvatarError(f"授权日期应写成 2027-12-01 的形式（{e}）", str(e)) from None
    if until < dt.date.today() or until < date:
        raise AvatarError(f"授权有效期 {until} 已过或早于同意日期 {date}",
                          f"the consent's end date {until} has passed or comes before its date {date}")
    return ConsentRequest(by.strip(), date, (use or "").strip() or DEFAULT_USE, until, document, note,
                          (recorded_by or "").strip() or _user())


def check_document(path: str | Path) -> Path:
    """A consent document that exists and is what its name says: a PDF, an image or UTF-8 text."""
    path = Path(path)
    if not path.is_file():
        raise AvatarError(f"找不到授权文件：{path}", f"consent document not found: {path}")
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise AvatarError(f"授权文件应为 PDF、图片或文本（{'/'.join(DOCUMENT_TYPES)}）：{path.name}",
                          f"the consent document must be a PDF, an image or text ({', '.join(DOCUMENT_TYPES)}): {path.name}")
    size = path.stat().st_size
    if not 0 < size <= MAX_DOCUMENT_BYTES:
        raise AvatarError(f"授权文件为空或太大（上限 {MAX_DOCUMENT_BYTES // 2**20} MB）：{path.name}",
                          f"the consent document is empty or too large (limit {MAX_DOCUMENT_BYTES // 2**20} MB): {path.name}")
    if not _looks_like(path, suffix):
        raise AvatarError(f"授权文件内容与其类型不符：{path.name}", f"the consent document is not a readable {suffix} file: {path.name}")
    return path


def _looks_like(path: Path, suffix: str) -> bool:
    data = path.read_bytes()
    if suffix == ".pdf":
        return data.startswith(b"%PDF-")
    if suffix == ".txt":
        try:
            return bool(data.decode("utf-8-sig").strip())
        except UnicodeDecodeError:
            return False
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError):
        return False


def record_consent(request: ConsentRequest, folder: Path) -> dict:
    """The ``consent:`` block for a new pack in ``folder``; the document is copied there as ``consent<suffix>``."""
    block = {"by": request.by, "date": request.date.isoformat(), "use": request.use, "until": request.until.isoformat()}
    if request.document is not None:
        name = "consent" + request.document.suffix.lower()
        shutil.copyfile(request.document, folder / name)
        block.update(document=name, sha256=file_sha256(folder / name))
    if request.note is not None:
        block["note"] = request.note
    block.update(recorded_by=request.recorded_by,
                 recorded_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
    return block


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
