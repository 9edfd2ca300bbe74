"""Many fresh Django processes for the price of one start-up (tests/portal/test_settings.py).

The settings are read once per process, so each environment a test needs is a process of its own. Python
and the third-party packages take most of a start-up; this script imports those once and then forks one
child per case, each with the case's environment, running what a fresh process would: ``manage.py ...``
or ``python -c ...``. No settings are read before the fork (checked), so every child reads its own.

    python -m tests.portal.settings_probe < cases.json   # [{"argv": [...], "env": {...}}, ...]

prints one JSON line: ``[{"returncode", "stdout", "stderr"}, ...]`` in the order of the cases.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import runpy
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Imported before the fork: none of them reads the settings on import.
WARM = (
    "django",
    "django.core.management",
    "django.db.models",
    "django.forms",
    "django.template",
    "django.contrib.auth.hashers",
    "environ",
    "celery",
    "kombu",
    "kombu.transport.redis",
    "redis",
    "psycopg",
    "PIL.Image",
    "openpyxl",
    "requests",
)


def _warm() -> None:
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)  # a settings access here fails instead of caching
    for name in WARM:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    from django.conf import settings

    if settings.configured:
        raise RuntimeError("settings were read before the fork: every case would share them")


def _child(case: dict, out_path: str, err_path: str) -> None:
    """In the forked child: the case's environment and argv, stdout and stderr to files, then exit."""
    code = 0
    out = os.open(out_path, os.O_WRONLY)
    err = os.open(err_path, os.O_WRONLY)
    os.dup2(out, 1)
    os.dup2(err, 2)
    try:
        os.environ.clear()
        os.environ.update(case["env"])
        os.chdir(ROOT)
        argv = list(case["argv"])
        if argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - the tests' own code
        else:
            sys.argv = argv
            sys.path.insert(0, str(ROOT))
            runpy.run_path(str(ROOT / argv[0]), run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - reported as Python reports an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def run(cases: list[dict]) -> list[dict]:
    _warm()
    results = []
    with tempfile.TemporaryDirectory(prefix="zhaoxi-settings-probe-") as tmp:
        for i, case in enumerate(cases):
            out_path, err_path = f"{tmp}/{i}.out", f"{tmp}/{i}.err"
            Path(out_path).touch()
            Path(err_path).touch()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(case, out_path, err_path)
            _, status = os.waitpid(pid, 0)
            results.append(
                {
                    "returncode": os.waitstatus_to_exitcode(status),
                    "stdout": Path(out_path).read_text(errors="replace"),
                    "stderr": Path(err_path).read_text(errors="replace"),
                }
            )
    return results


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
