"""The publish-step HTTP API (FastAPI), served by the studio's process on the same job queue.

::

    POST /api/v1/jobs                      a script (JSON text, or a multipart file) plus options -> 202, the job
    GET  /api/v1/jobs                      recent jobs, newest first
    GET  /api/v1/jobs/{id}                 state, stage, progress, queue position, error, artifact links
    POST /api/v1/jobs/{id}/cancel          cancel a waiting or running job
    GET  /api/v1/jobs/{id}/files/{name}    download one of the job's files (MP4, cover, SRT, WebVTT, JSON)

The OpenAPI document is at ``/api/v1/openapi.json`` (Swagger UI at ``/api/v1/docs``).  With an
API key configured (``--api-key`` or ``$ANCHOR_API_KEY``) every call needs the ``X-API-Key``
header (or the studio's user and password as HTTP Basic); without one the API is open, which the
studio allows only on 127.0.0.1.  Errors are ``{"detail", "zh", "en"}`` with a status a client can act
on: 401, 404, 413, 422 (also for an anchor showing a real face without a valid consent record, unless
``station.yaml`` sets ``allow_unconsented_faces: true``).  The API adds no anchors: a photo anchor is
added with ``anchor avatar add``, a digital twin with ``anchor avatar add-twin``, or either in the studio,
always with the presenter's consent; a render names any pack by its id.

A job may carry a ``callback_url`` (default: ``station.yaml``'s): when it finishes or fails its result
JSON (the job, its files with checksums and links, each clip's JSON) is POSTed there, signed with
HMAC-SHA256 over the body (hex in ``X-Anchor-Signature``; the secret from ``--webhook-secret`` or
``$ANCHOR_WEBHOOK_SECRET``), and retried with backoff; the job's ``callbacks`` list every attempt.
:mod:`anchor.client` is a small Python client for newsroom scripts.
"""

from __future__ import annotations

import json
import secrets
import typing
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path as PathParam, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import APIKeyHeader, HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ..errors import InputError
from ..jobs import STATES, Job
from ..script import FORMATS
from ..version import __version__
from .intake import MAX_SCRIPT_BYTES, Upload, web_option_names
from .service import RenderService, file_link

PREFIX = "/api/v1"
FILE_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg", ".srt": "application/x-subrip", ".vtt": "text/vtt",
              ".json": "application/json", ".mp3": "audio/mpeg", ".wav": "audio/wav"}
MAX_BODY_BYTES = MAX_SCRIPT_BYTES + 64 * 1024
GENERIC_ZH = {404: "找不到该地址", 405: "不支持该请求方法", 400: "请求有误"}


def _options_model() -> type[BaseModel]:
    """Job options as the API takes them: the web-safe RenderOptions fields, with their own types."""
    from ..pipeline import RenderOptions

    hints = typing.get_type_hints(RenderOptions)
    fields = {name: (hints[name] | None, None) for name in web_option_names()}
    return create_model("JobOptions", __config__=ConfigDict(extra="forbid"), **fields)


JobOptions = _options_model()


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    script: str = Field(..., min_length=1, max_length=MAX_SCRIPT_BYTES,
                        description="The news script: first line the headline (.txt), or Markdown/YAML/JSON")
    format: Literal[".txt", ".md", ".yaml", ".yml", ".json"] = ".txt"
    name: str | None = Field(None, max_length=80, description="Output file stem (default: from the headline)")
    options: JobOptions = Field(default_factory=JobOptions)  # type: ignore[valid-type]
    callback_url: str | None = Field(None, max_length=2000, description=(
        "POSTed the job's result JSON when it finishes or fails, signed with HMAC-SHA256 (hex in "
        "X-Anchor-Signature); default: station.yaml's callback_url"))


class Artifact(BaseModel):
    name: str
    role: str
    aspect: str | None
    bytes: int
    sha256: str
    url: str


class JobError(BaseModel):
    kind: str | None
    zh: str | None
    en: str | None


class CallbackAttempt(BaseModel):
    attempt: int
    at: float
    status: int | None = Field(None, description="The receiver's HTTP status; None when it could not be reached")
    error: str | None
    seconds: float


class Callback(BaseModel):
    url: str
    state: Literal["pending", "delivered", "failed"]
    attempts: list[CallbackAttempt]
    next_attempt: float | None


class JobOut(BaseModel):
    id: str
    name: str
    state: Literal[STATES]  # type: ignore[valid-type]
    stage: str | None
    progress: float = Field(..., ge=0, le=1)
    position: int | None = Field(None, description="Place in the queue while waiting (1 = next)")
    attempts: int
    created: float
    started: float | None
    finished: float | None
    duration: float | None
    error: JobError | None
    warnings: list[str]
    artifacts: list[Artifact]
    callback_url: str | None = None
    callbacks: list[Callback] = Field(default_factory=list, description="Each delivery of the result, every attempt")
    url: str


class Problem(BaseModel):
    detail: str
    zh: str
    en: str


JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{12}$", description="Job id from POST /jobs")]
FileName = Annotated[str, PathParam(max_length=200, description="A file name from the job's artifacts")]
LIMIT = Annotated[int, Query(ge=1, le=500)]


def problem(status: int, zh: str, en: str) -> HTTPException:
    return HTTPException(status, detail={"detail": en, "zh": zh, "en": en})


PROBLEMS = {401: {"model": Problem, "description": "Missing or wrong API key"},
            404: {"model": Problem, "description": "No such job or file"}}


def create_api(service: RenderService, api_key: str | None = None, auth: tuple[str, str] | None = None) -> FastAPI:
    """The API as a FastAPI app; the studio mounts its UI on the same app."""
    app = FastAPI(title="anchor API", version=__version__, openapi_url=f"{PREFIX}/openapi.json",
                  docs_url=f"{PREFIX}/docs", redoc_url=None,
                  description="AI 数字人新闻主播 · publish-step API: queue a news script, follow its job, download the clip.")
    key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
    basic = HTTPBasic(auto_error=False)

    def authorised(key: str | None = Depends(key_header),
                   credentials: HTTPBasicCredentials | None = Depends(basic)) -> None:
        if not api_key and not auth:
            return
        if api_key and key and secrets.compare_digest(key.encode(), api_key.encode()):
            return
        if auth and credentials and secrets.compare_digest(credentials.username.encode(), auth[0].encode()) \
                and secrets.compare_digest(credentials.password.encode(), auth[1].encode()):
            return
        raise HTTPException(401, detail={"detail": "missing or wrong API key (X-API-Key header)",
                                         "zh": "缺少或错误的 API 密钥（X-API-Key 请求头）",
                                         "en": "missing or wrong API key (X-API-Key header)"},
                            headers={"WWW-Authenticate": "Basic"})

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(authorised)] if (api_key or auth) else [],
                       responses={401: PROBLEMS[401]} if (api_key or auth) else {})

    def out(job: Job) -> JobOut:
        base = f"{PREFIX}/jobs/{job.id}"
        error = None if job.state == "done" or not job.error_kind else JobError(kind=job.error_kind, zh=job.error_zh,
                                                                                en=job.error_en)
        return JobOut(id=job.id, name=job.name, state=job.state, stage=job.stage, progress=job.progress,
                      position=service.position(job.id), attempts=job.attempts, created=job.created,
                      started=job.started, finished=job.finished, duration=job.duration, error=error,
                      warnings=job.warnings, url=base, callback_url=job.callback,
                      callbacks=service.deliveries(job.id) if job.callback else [],
                      artifacts=[Artifact(name=a.path, role=a.role, aspect=a.aspect, bytes=a.bytes, sha256=a.sha256,
                                          url=file_link(job.id, a.path)) for a in job.artifacts])

    def found(job_id: str) -> Job:
        job = service.job(job_id)
        if job is None:
            raise problem(404, f"没有编号为 {job_id} 的任务", f"no job {job_id}")
        return job

    @router.post("/jobs", status_code=202, response_model=JobOut,
                 responses={413: {"model": Problem, "description": "Script too large"},
                            422: {"model": Problem, "description": "The script or an option needs fixing"}},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": {"$ref": "#/components/schemas/JobRequest"}},
                     "multipart/form-data": {"schema": {
                         "type": "object", "properties": {
                             "file": {"type": "string", "format": "binary",
                                      "description": "A script file (.txt, .md, .yaml, .json)"},
                             "script": {"type": "string", "description": "The script as text (instead of a file)"},
                             "format": {"type": "string", "enum": list(FORMATS)},
                             "name": {"type": "string", "maxLength": 80},
                             "options": {"type": "string", "description": "JobOptions as a JSON object"},
                             "callback_url": {"type": "string", "maxLength": 2000}}}}}}})
    async def submit_job(request: Request) -> JobOut:
        """Queue a news script for rendering; returns the job (state ``queued``, with its place in the queue)."""
        size = int(request.headers.get("content-length") or 0)
        if size > MAX_BODY_BYTES:
            raise problem(413, f"请求太大（上限 {MAX_BODY_BYTES // 1024} KB）", f"request too large (limit {MAX_BODY_BYTES // 1024} KB)")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if kind == "multipart/form-data":
                job = await _submit_form(service, request)
            elif kind == "application/json":
                job = _submit_json(service, await request.body())
            else:
                raise InputError("请用 JSON 或 multipart/form-data 提交稿件", "send the script as JSON or multipart/form-data")
        except InputError as e:
            raise problem(422, e.zh, e.en) from None
        return out(job)

    @router.get("/jobs", response_model=list[JobOut])
    def list_jobs(limit: LIMIT = 50) -> list[JobOut]:
        """Recent jobs, newest first."""
        return [out(j) for j in service.history(limit)]

    @router.get("/jobs/{job_id}", response_model=JobOut, responses={404: PROBLEMS[404]})
    def get_job(job_id: JobId) -> JobOut:
        """A job's state, stage and progress (0..1), queue position, error and artifact links."""
        return out(found(job_id))

    @router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses={404: PROBLEMS[404]})
    def cancel_job(job_id: JobId) -> JobOut:
        """Cancel a job: a waiting one at once, a running one at its next progress step."""
        found(job_id)
        return out(service.cancel(job_id))

    @router.get("/jobs/{job_id}/files/{name}", response_class=FileResponse, responses={
        200: {"description": "The file", "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                                    for t in sorted(set(FILE_TYPES.values()))}},
        404: PROBLEMS[404]})
    def download(job_id: JobId, name: FileName) -> FileResponse:
        """One of the job's files by name, exactly as recorded (checksum in the job's ``artifacts``)."""
        job = found(job_id)
        path = service.file(job, name)
        if path is None or path.suffix.lower() not in FILE_TYPES:
            raise problem(404, f"任务 {job_id} 没有文件 {name}", f"job {job_id} has no file {name}")
        return FileResponse(path, media_type=FILE_TYPES[path.suffix.lower()], filename=path.name)

    app.include_router(router)
    build_openapi = app.openapi

    def openapi() -> dict:
        """FastAPI's document, plus the JSON body schema that ``submit_job`` reads itself (two content types)."""
        if app.openapi_schema is None:
            schema = build_openapi()
            body = JobRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(body.pop("$defs", {}))
            components["JobRequest"] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        body = error.detail if isinstance(error.detail, dict) else {
            "detail": str(error.detail), "zh": GENERIC_ZH.get(error.status_code, str(error.detail)), "en": str(error.detail)}
        return JSONResponse(body, status_code=error.status_code, headers=error.headers)

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return JSONResponse({"detail": where, "zh": f"请求有误：{where}", "en": f"invalid request: {where}"}, 422)

    return app


def _submit_json(service: RenderService, body: bytes) -> Job:
    try:
        request = JobRequest.model_validate_json(body)
    except ValidationError as e:
        where = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'body'}: {err['msg']}" for err in e.errors())
        raise InputError(f"请求有误：{where}", f"invalid request: {where}") from None
    options = request.options.model_dump(exclude_none=True)
    return service.submit_text(request.script, request.format, options, request.name, origin="api",
                               callback_url=request.callback_url)


async def _submit_form(service: RenderService, request: Request) -> Job:
    from starlette.datastructures import UploadFile

    try:
        form = await request.form(max_files=1, max_fields=9)
    except Exception as e:  # a malformed multipart body
        raise InputError(f"表单无法解析（{e}）", f"cannot read the form: {e}") from None
    try:
        options = _form_options(form.get("options"))
        name = form.get("name")
        name = name if isinstance(name, str) and name.strip() else None
        callback = form.get("callback_url")
        callback = callback if isinstance(callback, str) and callback.strip() else None
        upload = form.get("file")
        if isinstance(upload, UploadFile):
            data = await upload.read(MAX_SCRIPT_BYTES + 1)
            if len(data) > MAX_SCRIPT_BYTES:
                raise InputError(f"稿件太大（上限 {MAX_SCRIPT_BYTES // 1024} KB）",
                                 f"the script is too large (limit {MAX_SCRIPT_BYTES // 1024} KB)")
            return service.submit_upload(Upload(upload.filename or "script.txt", data), options, name, origin="api",
                                         callback_url=callback)
        script, fmt = form.get("script"), form.get("format") or ".txt"
        if not isinstance(script, str) or not script.strip():
            raise InputError("请上传稿件文件（file）或填写稿件（script）", "send a script file (file) or the script text (script)")
        if not isinstance(fmt, str) or fmt not in FORMATS:
            raise InputError(f"不支持的稿件格式（可用：{'/'.join(FORMATS)}）", f"unsupported format; use one of {', '.join(FORMATS)}")
        return service.submit_text(script, fmt, options, name, origin="api", callback_url=callback)
    finally:
        await form.close()


def _form_options(raw: Any) -> dict:
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, str):
        raise InputError("options 应为 JSON 文本", "options must be JSON text")
    try:
        values = json.loads(raw)
        return JobOptions.model_validate(values).model_dump(exclude_none=True)
    except (json.JSONDecodeError, ValidationError) as e:
        raise InputError(f"options 有误（{e}）", f"invalid options: {e}") from None
