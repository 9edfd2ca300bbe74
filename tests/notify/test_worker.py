"""A real Celery worker, a real Redis broker, the test's own database: the message goes out once.

Run with Redis (and optionally PostgreSQL):
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python -m pytest tests/notify/test_worker.py
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from portal.notify.models import Message, MessageStatus
from portal.notify.services import message_enqueue
from tests.accounts.factories import UserFactory
from tests.notify.factories import MessageTemplateFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
TIMEOUT = 60
NUDGE_EVERY = 8


@pytest.fixture
def worker_database_url(transactional_db, tmp_path):
    """A DATABASE_URL at which a subprocess sees the very database this test uses.

    PostgreSQL: the test database itself. SQLite: the in-memory test database is copied into a file and
    the test's connection is pointed at that file for the duration of the test.
    """
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(s["USER"] or "", safe="")
        if s["PASSWORD"]:
            auth += ":" + quote(s["PASSWORD"], safe="")
        yield f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        return
    if not connection.is_in_memory_db():
        yield f"sqlite:///{s['NAME']}"
        return
    path = tmp_path / "worker.sqlite3"
    connection.ensure_connection()
    memory = connection.connection
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    saved_name = s["NAME"]
    connection.connection = None  # the in-memory database stays alive on the connection kept aside
    s["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        s["NAME"] = saved_name
        connection.connection = memory


@pytest.fixture
def celery_worker_process(worker_database_url, tmp_path):
    """Start ``celery -A portal worker`` on the test database; stop it (and only it) afterwards."""
    from portal.celery import app

    app.control.purge()  # leftovers of earlier runs on this Redis database
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url,
        "REDIS_URL": os.environ["REDIS_URL"],
        "DJANGO_DEBUG": "1",
        "SMS_BACKEND": "portal.accounts.sms.ConsoleSMSBackend",
        "EMAIL_URL": "consolemail://",
        "PYTHONUNBUFFERED": "1",
    }
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"notify-test-{uuid.uuid4().hex[:8]}@%h",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc, log_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _resend(message_ids):
    """Publish send tasks straight to the "celery" list (anonymous exchange: no binding table needed)."""
    from portal.notify.tasks import send_message

    for pk in message_ids:
        send_message.apply_async(args=[pk], exchange="", routing_key="celery")


def _wait_for(predicate, proc, log_path, what: str, nudge=None):
    """Poll until ``predicate()``; every NUDGE_EVERY seconds call ``nudge()`` (what the periodic scan does).

    The nudge is there because, under pytest-xdist, other tests' ``cache.clear()`` can FLUSHDB the Redis
    database the broker shares with the cache, taking queued tasks with it. Duplicate tasks are harmless
    by design: the claim lets one of them send.
    """
    deadline = time.monotonic() + TIMEOUT
    next_nudge = time.monotonic() + NUDGE_EVERY
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(
                f"the worker exited ({proc.returncode}) before {what}:\n{log_path.read_text(errors='replace')}"
            )
        if nudge is not None and time.monotonic() >= next_nudge:
            nudge()
            next_nudge = time.monotonic() + NUDGE_EVERY
        time.sleep(0.25)
    from portal.celery import app

    with app.connection_for_write() as conn:
        waiting = conn.default_channel.client.llen("celery")
    rows = list(Message.objects.values_list("pk", "status", "attempts"))
    pytest.fail(
        f"timed out waiting for {what} (tasks waiting in Redis: {waiting}; rows: {rows}):\n"
        f"{log_path.read_text(errors='replace')[-5000:]}"
    )


def test_a_real_worker_sends_the_message_once(celery_worker_process):
    from portal.notify.tasks import send_message

    proc, log_path = celery_worker_process
    user = UserFactory(email="worker@example.cn")
    # A transactional test may start from a flushed database, without the default templates.
    template = MessageTemplateFactory(code="test.worker")
    rows = message_enqueue(
        key=f"test.worker:user:{user.pk}",
        template=template.code,
        context={"title": "停水通知", "text": "明天上午停水"},
        user=user,
        channels=["sms", "email"],
    )  # the send tasks are published on commit, to the broker, for the worker
    ids = [r.pk for r in rows]
    assert len(ids) == 2

    def all_sent():
        return Message.objects.filter(pk__in=ids, status=MessageStatus.SENT).count() == len(ids)

    def resend_pending():
        _resend(Message.objects.filter(pk__in=ids, status=MessageStatus.PENDING).values_list("pk", flat=True))

    _wait_for(all_sent, proc, log_path, "the worker marks both messages sent", nudge=resend_pending)
    sms = Message.objects.get(pk__in=ids, channel="sms")
    assert sms.attempts == 1 and sms.provider_id.startswith("console-")

    # A duplicated task for the same row is a no-op: the claim fails, nothing is sent again.
    send_message.delay(sms.pk)
    _wait_for(
        lambda: "'skipped'" in log_path.read_text(errors="replace"),
        proc,
        log_path,
        "the duplicate task runs",
        nudge=lambda: _resend([sms.pk]),
    )
    log = log_path.read_text(errors="replace")
    # Exactly two sends (the SMS and the e-mail); every other task for these rows was skipped.
    assert log.count("'sent'") == 2
    assert log.count("'skipped'") >= 1
    assert "'retry'" not in log and "'failed'" not in log
    sms.refresh_from_db()
    assert sms.attempts == 1
