"""Production settings, the Content Security Policy, the health endpoint and the development defaults.

Settings are read once per process, so the tests that need a different environment run ``manage.py`` or
``python -c`` in a fresh process with that environment (and without pytest's PYTEST_VERSION, which would put
the settings in test mode). Those processes are forked, all of them, from one subprocess that has imported
Python's and the packages' modules once (tests/portal/settings_probe.py): each case still reads the
settings from scratch, for about a tenth of a start-up.
"""

import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "portal.example.cn",
    # Named, never connected to by `check`: the services of this run when it has them.
    "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://zhaoxi@127.0.0.1:5432/zhaoxi",
    "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
}


def _env(tmp_path, **values):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "PYTEST_VERSION",
            "DJANGO_DEBUG",
            "DJANGO_SECRET_KEY",
            "DJANGO_ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
        and not k.startswith("PYTEST_")
    }
    env["ZHAOXI_VAR_DIR"] = str(tmp_path)
    env["DJANGO_READ_DOT_ENV_FILE"] = "false"  # a developer's .env must not decide what production does
    env.update(values)
    return {k: v for k, v in env.items() if v is not None}


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _settings_prog(code, *, setup=True):
    """``python -c`` code that prints settings; ``setup=False`` reads the settings module alone (every
    check in it runs) without loading the apps, for a case that only compares values."""
    return (
        "import json, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); "
        + ("django.setup(); " if setup else "")
        + "from django.conf import settings; "
        + code
    )


_SQLITE_CODE = (
    "from django.db import connection, transaction; import sqlite3; "
    "connection.cursor().execute('CREATE TABLE t (x int)'); "
    "path = settings.DATABASES['default']['NAME']\n"
    "with transaction.atomic():\n"
    "    connection.cursor().execute('SELECT count(*) FROM t')\n"
    "    other = sqlite3.connect(str(path), timeout=0)\n"
    "    try:\n"
    "        other.execute('INSERT INTO t VALUES (1)'); other.commit(); blocked = False\n"
    "    except sqlite3.OperationalError:\n"
    "        blocked = True\n"
    "print(json.dumps([settings.DATABASES['default']['OPTIONS']['transaction_mode'], blocked]))"
)
_SETUP = ["-c", "import django; django.setup()"]
_CHECK = ["manage.py", "check"]
_NO_DB = {**PRODUCTION, "DATABASE_URL": None, "DJANGO_SETTINGS_MODULE": "portal.settings"}
_NO_REDIS = {**PRODUCTION, "REDIS_URL": "", "DJANGO_SETTINGS_MODULE": "portal.settings"}

#: name: (var dir, argv, environment). Cases that share a var dir are checked together (nothing left there).
CASES = {
    "deploy": ("deploy", ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION),
    "no_secret": ("no_secret", _CHECK, {"DJANGO_ALLOWED_HOSTS": "portal.example.cn"}),
    "no_hosts": ("no_hosts", _CHECK, {"DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"]}),
    "no_db_check": ("no_db", _CHECK, _NO_DB),
    "no_db_setup": ("no_db", _SETUP, _NO_DB),
    "no_redis_check": ("no_redis", _CHECK, _NO_REDIS),
    "no_redis_setup": ("no_redis", _SETUP, _NO_REDIS),
    "development": (
        "development",
        [
            "-c",
            _settings_prog(
                "print(json.dumps([settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND']]))"
            ),
        ],
        {"DJANGO_DEBUG": "true", "DATABASE_URL": None, "REDIS_URL": None},
    ),
    "debug_off": (
        "debug_off",
        [
            "-c",
            _settings_prog(
                "print(json.dumps([settings.DEBUG, settings.SESSION_COOKIE_SECURE]))", setup=False
            ),
        ],
        PRODUCTION,
    ),
    "debug_on": (
        "debug_on",
        ["-c", _settings_prog("print(json.dumps(settings.DEBUG))", setup=False)],
        {"DJANGO_DEBUG": "true"},
    ),
    "filesystem_broker": (
        "filesystem_broker",
        [
            "-c",
            _settings_prog(
                "print(json.dumps([settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS]))",
                setup=False,
            ),
        ],
        {"DJANGO_DEBUG": "true", "REDIS_URL": None},
    ),
    "redis_broker": (
        "redis_broker",
        [
            "-c",
            _settings_prog(
                "print(json.dumps([settings.CELERY_BROKER_URL, settings.CACHES['default']['BACKEND'], "
                "settings.CELERY_BROKER_TRANSPORT]))",
                setup=False,
            ),
        ],
        {"DJANGO_DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/4"},
    ),
    "sqlite": (
        "sqlite",
        ["-c", _settings_prog(_SQLITE_CODE)],
        {"DJANGO_DEBUG": "true", "DATABASE_URL": None},
    ),
    "scan_setting": (
        "scan",
        [
            "-c",
            _settings_prog(
                "print(json.dumps(settings.CELERY_BEAT_SCHEDULE['notify-send-due']['schedule']))", setup=False
            ),
        ],
        {"DJANGO_DEBUG": "true", "ZHAOXI_NOTIFY_SCAN_SECONDS": "7"},
    ),
    "stuck_below_send_limit": (
        "stuck",
        _CHECK,
        {"DJANGO_DEBUG": "true", "ZHAOXI_NOTIFY_STUCK_SECONDS": "30", "ZHAOXI_NOTIFY_SEND_TIME_LIMIT": "60"},
    ),
}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """Every case of CASES run in a fresh Django process of its own (forked by one probe subprocess):
    ``fresh(name)`` is its CompletedProcess, ``fresh.dir(name)`` its ZHAOXI_VAR_DIR. Run on first use."""
    base = tmp_path_factory.mktemp("settings")
    dirs = {name: base / d for name, (d, _argv, _values) in CASES.items()}
    for path in dirs.values():
        path.mkdir(exist_ok=True)
    results: dict[str, subprocess.CompletedProcess] = {}

    def get(name: str) -> subprocess.CompletedProcess:
        if not results:
            cases = [
                {"argv": argv, "env": _env(dirs[n], **values)} for n, (_d, argv, values) in CASES.items()
            ]
            probe = subprocess.run(
                [sys.executable, "-m", "tests.portal.settings_probe"],
                cwd=ROOT,
                env=_env(base),
                input=json.dumps(cases),
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert probe.returncode == 0, probe.stderr
            for n, got in zip(CASES, json.loads(probe.stdout.strip().splitlines()[-1]), strict=True):
                results[n] = subprocess.CompletedProcess(
                    CASES[n][1], got["returncode"], got["stdout"], got["stderr"]
                )
        return results[name]

    get.dir = dirs.__getitem__
    return get


def _json(result) -> object:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_passes_with_production_environment(fresh):
    result = fresh("deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(fresh):
    result = fresh("no_secret")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(fresh):
    result = fresh("no_hosts")
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must list" in result.stderr


def test_production_refuses_to_start_without_a_database_url(fresh):
    """No silent SQLite file in production: the process stops and says what to set."""
    for way in ("no_db_check", "no_db_setup"):
        result = fresh(way)
        assert result.returncode != 0
        assert "ImproperlyConfigured: DATABASE_URL is not set" in result.stderr
        assert "DATABASE_URL=postgres://" in result.stderr
    assert not list(fresh.dir("no_db_check").glob("*.sqlite3"))


def test_production_refuses_to_start_without_a_shared_cache_and_broker(fresh):
    """Rate limits counted per process are no limits: production needs Redis for the cache and Celery."""
    for way in ("no_redis_check", "no_redis_setup"):
        result = fresh(way)
        assert result.returncode != 0
        assert "ImproperlyConfigured: REDIS_URL is not set" in result.stderr
        assert "REDIS_URL=redis://" in result.stderr
    assert not (fresh.dir("no_redis_check") / "celery-broker").exists()


def test_development_needs_neither_database_url_nor_redis(fresh):
    got = _json(fresh("development"))
    assert got == ["django.db.backends.sqlite3", "django.core.cache.backends.locmem.LocMemCache"]


def test_debug_is_off_unless_asked_for(fresh):
    assert _json(fresh("debug_off")) == [False, True]
    assert _json(fresh("debug_on")) is True


def test_development_default_broker_is_the_filesystem_and_needs_no_server(fresh):
    url, options = _json(fresh("filesystem_broker"))
    assert url == "filesystem://"
    # Every folder of the broker under ZHAOXI_VAR_DIR: kombu's default control folder is ./control, which
    # once put the exchange tables into the checkout.
    for folder in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert options[folder].startswith(str(fresh.dir("filesystem_broker"))), folder


def test_redis_url_switches_broker_and_cache_to_redis(fresh):
    # kombu's Redis transport with the portal's channel (portal/celery.py: the worker outlives an outage)
    assert _json(fresh("redis_broker")) == [
        "redis://127.0.0.1:6379/4",
        "portal.cache.FailoverCache",
        "portal.celery:RedisTransport",
    ]


def test_sqlite_default_takes_the_write_lock_when_a_transaction_begins(fresh):
    """transaction_mode=IMMEDIATE: even a transaction that has only read holds the write lock."""
    assert _json(fresh("sqlite")) == ["IMMEDIATE", True]
    assert sqlite3.sqlite_version_info >= (3, 7)


@pytest.mark.django_db
def test_csp_header_allows_no_inline_script_or_style(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_health_is_ok_when_database_cache_and_broker_answer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
    assert "no-cache" in response.headers["Cache-Control"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_health_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    from portal.celery import app

    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{_closed_port()}/0")
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "error"}


def test_a_worker_runs_a_task_on_the_default_filesystem_broker(tmp_path):
    """What `make run` starts: a Celery worker on kombu's filesystem transport, no server needed."""
    (tmp_path / "celery-broker" / "queue").mkdir(parents=True)  # as the Makefile's run target does
    (tmp_path / "celery-broker" / "processed").mkdir(parents=True)
    env = _env(tmp_path, DJANGO_DEBUG="true", REDIS_URL=None, DATABASE_URL=None)
    celery = [sys.executable, "-m", "celery", "-A", "portal"]
    worker = subprocess.Popen(
        [*celery, "worker", "--pool=solo", "--loglevel=INFO", "--without-heartbeat", "--without-gossip"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sent = subprocess.run(
            [*celery, "call", "celery.accumulate", "--args", "[40, 2]"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        task_id = sent.stdout.strip().splitlines()[-1]
        deadline = time.monotonic() + 120
        log = []
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            if not line:
                break
            log.append(line)
            if task_id in line and "succeeded" in line:
                assert "(40, 2)" in line
                assert list((tmp_path / "celery-broker" / "control").glob("*.exchange"))
                assert not (ROOT / "control").exists(), (
                    "the broker wrote its exchange tables into the checkout"
                )
                return
        pytest.fail("the worker did not run the task:\n" + "".join(log))
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_the_outbox_scan_follows_its_setting_and_a_stuck_limit_below_the_send_limit_is_refused(fresh):
    assert _json(fresh("scan_setting")) == 7.0
    result = fresh("stuck_below_send_limit")
    assert result.returncode != 0
    assert "ZHAOXI_NOTIFY_STUCK_SECONDS must be longer than ZHAOXI_NOTIFY_SEND_TIME_LIMIT" in result.stderr
