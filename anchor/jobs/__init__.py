from .batch import (
    BatchOptions, JobInput, Runner, add_jobs, batch, exit_code, manifest_rows, render_options, safe_name,
    summary_table, watch,
)
from .executors import make_executor
from .store import STATES, Job, JobStore, folder_lock

__all__ = ["BatchOptions", "Job", "JobInput", "JobStore", "Runner", "STATES", "add_jobs", "batch", "exit_code", "folder_lock", "make_executor", "manifest_rows", "render_options", "safe_name", "summary_table", "watch"]
