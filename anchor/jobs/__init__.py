"""The jobs stage: many clips, unattended and resumable, on one durable queue per output folder.

Everything that renders more than one clip (``anchor batch``, the watch folder, the studio, the
HTTP API) keeps its jobs in a :class:`JobStore` and runs them with a :class:`Runner`; each job
renders through :func:`anchor.pipeline.render_script` on an executor, and fails alone.

Modules:

* ``store``: the job store (SQLite in the output folder): jobs, states, artifacts and checksums; the folder lock
* ``executors``: where jobs run: threads in this process, or Dask workers (local or remote)
* ``manifest``: what a batch reads: a folder, a script or a manifest (CSV/JSONL/YAML) as :class:`JobInput` rows
* ``runner``: the queue (:class:`Runner`), one job on a worker, and option values by name as ``RenderOptions``
* ``report``: what a batch shows and leaves behind: progress bar, ``batch-report.json``, table, exit code
* ``batch_run``: :func:`batch`, every clip a source asks for, resumed where the last run stopped
* ``watch_folder``: :func:`watch`, scripts rendered as they land in an inbox
* ``webhook``: the publish step's callbacks (:class:`Webhooks`): a finished job's result POSTed, signed, retried

Entry points: :func:`batch` and :func:`watch` (with :class:`BatchOptions`, :func:`summary_table` and
:func:`exit_code`) for the CLI; :class:`JobStore`, :class:`Runner`, :func:`make_executor`,
:func:`add_jobs` and the input checks (:func:`manifest_rows`, :func:`render_options`, :func:`safe_name`)
for the render service.
"""

from .batch_run import BatchOptions, add_jobs, batch
from .executors import make_executor
from .manifest import JobInput, manifest_rows, read_source, safe_name
from .report import exit_code, summary_table
from .runner import Runner, render_options
from .store import STATES, Job, JobStore, folder_lock
from .watch_folder import settled_scripts, watch
from .webhook import SIGNATURE_HEADER, Webhooks, check_callback, verify, webhook_secret

__all__ = ["BatchOptions", "Job", "JobInput", "JobStore", "Runner", "STATES", "add_jobs", "batch", "exit_code",
           "settled_scripts",
           "folder_lock", "make_executor", "manifest_rows", "read_source", "render_options", "safe_name",
           "SIGNATURE_HEADER", "Webhooks", "check_callback", "summary_table", "verify", "watch", "webhook_secret"]
