"""Production settings, the Content Security Policy, the health endpoint and the development defaults.

Settings are read once per process, so the tests that need a different environment run ``manage.py`` or
``python -c`` in a subprocess with that environment (and without pytest's PYTEST_VERSION, which would put
the settings in test mode).
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


def _settings(tmp_path, code, **values):
    prog = (
        "import json, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); "
        "django.setup(); from django.conf import settings; " + code
    )
    result = _run(["-c", prog], _env(tmp_path, **values))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_passes_with_production_environment(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _env(tmp_path, **PRODUCTION))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _run(["manage.py", "check"], _env(tmp_path, DJANGO_ALLOWED_HOSTS="portal.example.cn"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = _run(["manage.py", "check"], _env(tmp_path, DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"]))
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must list" in result.stderr


def test_production_refuses_to_start_without_a_database_url(tmp_path):
    """No silent SQLite file in production: the process stops and says what to set."""
    for way in (["manage.py", "check"], ["-c", "import django; django.setup()"]):
        result = _run(
            way,
            _env(tmp_path, **{**PRODUCTION, "DATABASE_URL": None}, DJANGO_SETTINGS_MODULE="portal.settings"),
        )
        assert result.returncode != 0
        assert "ImproperlyConfigured: DATABASE_URL is not set" in result.stderr
        assert "DATABASE_URL=postgres://" in result.stderr
    assert not list(tmp_path.glob("*.sqlite3"))


def test_production_refuses_to_start_without_a_shared_cache_and_broker(tmp_path):
    """Rate limits counted per process are no limits: production needs Redis for the cache and Celery."""
    for way in (["manage.py", "check"], ["-c", "import django; django.setup()"]):
        result = _run(
            way, _env(tmp_path, **{**PRODUCTION, "REDIS_URL": ""}, DJANGO_SETTINGS_MODULE="portal.settings")
        )
        assert result.returncode != 0
        assert "ImproperlyConfigured: REDIS_URL is not set" in result.stderr
        assert "REDIS_URL=redis://" in result.stderr
    assert not (tmp_path / "celery-broker").exists()


def test_development_needs_neither_database_url_nor_redis(tmp_path):
    got = _settings(
        tmp_path,
        "print(json.dumps([settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND']]))",
        DJANGO_DEBUG="true",
        DATABASE_URL=None,
        REDIS_URL=None,
    )
    assert got == ["django.db.backends.sqlite3", "django.core.cache.backends.locmem.LocMemCache"]


def test_debug_is_off_unless_asked_for(tmp_path):
    got = _settings(
        tmp_path, "print(json.dumps([settings.DEBUG, settings.SESSION_COOKIE_SECURE]))", **PRODUCTION
    )
    assert got == [False, True]
    got = _settings(tmp_path, "print(json.dumps(settings.DEBUG))", DJANGO_DEBUG="true")
    assert got is True


def test_development_default_broker_is_the_filesystem_and_needs_no_server(tmp_path):
    got = _settings(
        tmp_path,
        "print(json.dumps([settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS]))",
        DJANGO_DEBUG="true",
        REDIS_URL=None,
    )
    url, options = got
    assert url == "filesystem://"
    # Every folder of the broker under ZHAOXI_VAR_DIR: kombu's default control folder is ./control, which
    # once put the exchange tables into the checkout.
    for folder in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert options[folder].startswith(str(tmp_path)), folder


def test_redis_url_switches_broker_and_cache_to_redis(tmp_path):
    got = _settings(
        tmp_path,
        "print(json.dumps([settings.CELERY_BROKER_URL, settings.CACHES['default']['BACKEND']]))",
        DJANGO_DEBUG="true",
        REDIS_URL="redis://127.0.0.1:6379/4",
    )
    assert got == ["redis://127.0.0.1:6379/4", "portal.cache.FailoverCache"]


def test_sqlite_default_takes_the_write_lock_when_a_transaction_begins(tmp_path):
    """transaction_mode=IMMEDIATE: even a transaction that has only read holds the write lock."""
    code = (
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
    got = _settings(tmp_path, code, DJANGO_DEBUG="true", DATABASE_URL=None)
    assert got == ["IMMEDIATE", True]
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


def test_the_outbox_scan_follows_its_setting_and_a_stuck_limit_below_the_send_limit_is_refused(tmp_path):
    schedule = _settings(
        tmp_path,
        "print(json.dumps(settings.CELERY_BEAT_SCHEDULE['notify-send-due']['schedule']))",
        DJANGO_DEBUG="true",
        ZHAOXI_NOTIFY_SCAN_SECONDS="7",
    )
    assert schedule == 7.0
    result = _run(
        ["manage.py", "check"],
        _env(
            tmp_path,
            DJANGO_DEBUG="true",
            ZHAOXI_NOTIFY_STUCK_SECONDS="30",
            ZHAOXI_NOTIFY_SEND_TIME_LIMIT="60",
        ),
    )
    assert result.returncode != 0
    assert "ZHAOXI_NOTIFY_STUCK_SECONDS must be longer than ZHAOXI_NOTIFY_SEND_TIME_LIMIT" in result.stderr
