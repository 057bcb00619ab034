"""`python -m cdpadmin.trialdb COMMAND...`: run COMMAND against a throwaway embedded server.

`make test` uses it when DATABASE_URL is unset: the server gets a data folder of its own,
COMMAND gets DATABASE_URL pointing at it, and the folder is removed afterwards. The exit code
is COMMAND's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cdpadmin import trialdb


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m cdpadmin.trialdb COMMAND [ARG...]", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="cdpadmin-test-"))
    pgdata = folder / "pgdata"
    try:
        env = {**os.environ, "DATABASE_URL": trialdb.uri(pgdata)}
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        trialdb.stop(pgdata)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
