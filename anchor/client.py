"""A small client of the studio's HTTP API, for newsroom scripts: submit a script, wait for the clip,
download its files, cancel.

::

    from anchor.client import Client

    with Client("http://127.0.0.1:7860", api_key="...") as studio:
        job = studio.submit(open("news.md", encoding="utf-8").read(), format=".md",
                            options={"aspects": ["9:16", "16:9"]})
        job = studio.wait(job["id"])              # a ClientError if it failed, saying why
        paths = studio.download(job["id"], "out")  # every file, checked against its sha256

Errors are :class:`ClientError` with the service's Chinese and English reasons.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import httpx

FINISHED = ("done", "failed", "cancelled")


class ClientError(Exception):
    def __init__(self, zh: str, en: str, status: int | None = None, job: dict | None = None):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.status, self.job = zh, en, status, job


class Client:
    """The HTTP API at ``base_url`` (the studio's address), with its API key when it has one."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None):
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                  transport=transport)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def submit(self, script: str, format: str = ".txt", options: dict | None = None, name: str | None = None,
               callback_url: str | None = None) -> dict:
        """Queue ``script`` (its text) for rendering; returns the job (state ``queued``)."""
        body = {"script": script, "format": format, "options": options or {}}
        if name:
            body["name"] = name
        if callback_url:
            body["callback_url"] = callback_url
        return self._call("POST", "/api/v1/jobs", json=body)

    def job(self, job_id: str) -> dict:
        return self._call("GET", f"/api/v1/jobs/{job_id}")

    def cancel(self, job_id: str) -> dict:
        return self._call("POST", f"/api/v1/jobs/{job_id}/cancel")

    def wait(self, job_id: str, timeout: float = 1800.0, poll: float = 1.0) -> dict:
        """The job once it is done; a :class:`ClientError` (with the reason) when it failed or was
        cancelled, or when ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["state"] == "done":
                return job
            if job["state"] in FINISHED:
                error = job.get("error") or {}
                raise ClientError(error.get("zh") or job["state"], error.get("en") or job["state"], job=job)
            if time.monotonic() > deadline:
                raise ClientError(f"等待超时（{timeout:.0f} 秒），任务仍在{job['state']}",
                                  f"timed out after {timeout:.0f} s; the job is still {job['state']}", job=job)
            time.sleep(poll)

    def download(self, job_id: str, folder: str | os.PathLike, roles: tuple[str, ...] | None = None) -> list[Path]:
        """Every file of a finished job (or those of ``roles``: video, cover, subtitles, ...) into
        ``folder``, each written whole and checked against the sha256 the service recorded."""
        job = self.job(job_id)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for artifact in job["artifacts"]:
            if roles is not None and artifact["role"] not in roles:
                continue
            target = folder / Path(artifact["name"]).name
            partial = target.with_name(f".{target.name}.partial")
            digest = hashlib.sha256()
            with self._http.stream("GET", artifact["url"]) as answer:
                if answer.status_code != 200:
                    answer.read()
                    raise self._error(answer)
                with open(partial, "wb") as out:
                    for chunk in answer.iter_bytes():
                        digest.update(chunk)
                        out.write(chunk)
            if digest.hexdigest() != artifact["sha256"]:
                partial.unlink(missing_ok=True)
                raise ClientError(f"下载的 {target.name} 与记录的校验和不符", f"{target.name} does not match its recorded sha256")
            os.replace(partial, target)
            paths.append(target)
        return paths

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            answer = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise ClientError(f"无法连接制作台服务（{type(e).__name__}）", f"cannot reach the studio service: {e}") from None
        if answer.status_code >= 400:
            raise self._error(answer)
        return answer.json()

    @staticmethod
    def _error(answer: httpx.Response) -> ClientError:
        try:
            body = answer.json()
        except ValueError:
            body = {}
        en = body.get("en") or body.get("detail") or f"HTTP {answer.status_code}"
        return ClientError(body.get("zh") or en, en, answer.status_code)
