"""What every benchmark does first: Django on a scratch database that it drops again at the end.

    import _scratch  # before anything from Django
    original = _scratch.scratch_database()
    try: ... finally: _scratch.drop_scratch_database(original)

DATABASE_URL set: a scratch database test_<name> on that server (created, then destroyed). Unset: a
SQLite file in a temporary directory. Development settings (no manifest storage, no HTTPS redirect).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TMP = Path(tempfile.mkdtemp(prefix="zhaoxi-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DJANGO_DEBUG"] = "true"
os.environ["ZHAOXI_VAR_DIR"] = str(TMP)
(TMP / "staticfiles").mkdir()
ON_SQLITE_FILE = not os.environ.get("DATABASE_URL")
if ON_SQLITE_FILE:
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def scratch_database() -> str | None:
    """Migrate a scratch database; returns the name of the original database to restore, if any."""
    if ON_SQLITE_FILE:
        call_command("migrate", verbosity=0, interactive=False)
        return None
    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return original


def drop_scratch_database(original: str | None) -> None:
    if original is not None:
        connection.creation.destroy_test_db(original, verbosity=0, keepdb=False)
    connection.close()
    shutil.rmtree(TMP, ignore_errors=True)
