"""A PostgreSQL backend that connects to the embedded server, starting it on first use.

Settings choose it when DATABASE_URL is unset (`"PGDATA"` names the data folder). Starting
on first connection, not when settings load, keeps commands that never touch the database
(`check`, `collectstatic`, `help`) from starting a server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.postgresql import base

from cdpadmin import trialdb


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params["host"] = trialdb.socket_dir(Path(self.settings_dict["PGDATA"]))
        return params
