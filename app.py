"""The producer studio: ``python app.py`` serves it on http://127.0.0.1:7860/ (same as ``anchor studio``).

Options are those of ``anchor studio --help``: --host (another address needs --auth user:password),
--port, --out, --auth, --api-key, --workers, --scheduler.
"""

import sys

from anchor.apps.cli import main

if __name__ == "__main__":
    sys.exit(main(["studio", *sys.argv[1:]]))
