import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# every test session starts from an empty cache, so cache misses are what the tests exercise
os.environ.setdefault("ANCHOR_CACHE_DIR", tempfile.mkdtemp(prefix="anchor-test-cache-"))

ANCHOR = str(Path(sys.executable).with_name("anchor"))


def run_anchor(*args, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed ``anchor`` console script, as a newsroom would."""
    return subprocess.run([ANCHOR, *map(str, args)], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600, **kwargs)


@pytest.fixture(scope="session")
def anchor_cli():
    return run_anchor
