"""The account pages' SMS leave through the outbox's fast lane (portal.notify.services.message_send_code):
a row queued on commit, sent by the ``send_message`` task. Here every request made with Django's test client
runs its on-commit callbacks once it has answered (the test's transaction never commits) and Celery runs
tasks inline, so ``sms_outbox`` holds the SMS as soon as the request that asked for it returns, and a
provider call made while the request was being answered would show (``on_commit.calls_in_request``).
"""

from __future__ import annotations

import pytest
from django.test import TestCase

from portal.accounts.sms import LocmemSMSBackend


class OnCommit:
    """What the test client does with the on-commit callbacks of a request.

    ``run`` (default True): run them once the request has answered. Set it to False to keep them in
    ``pending`` (the request has answered, the send is queued but the worker has not run yet);
    ``run_pending()`` runs them later. ``in_request`` is True while the test client's request is being
    answered."""

    def __init__(self) -> None:
        self.run = True
        self.pending: list = []
        self.in_request = False

    def run_pending(self) -> None:
        callbacks, self.pending = self.pending, []
        with TestCase.captureOnCommitCallbacks(execute=True):
            for callback in callbacks:
                callback()


@pytest.fixture(autouse=True)
def on_commit(monkeypatch):
    from django.test import Client

    from portal.celery import app

    controller = OnCommit()
    original = Client.request

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
            controller.in_request = True
            try:
                response = original(self, **kwargs)
            finally:
                controller.in_request = False
        controller.pending.extend(callbacks)
        if controller.run:
            controller.run_pending()
        return response

    monkeypatch.setattr(Client, "request", request)
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    LocmemSMSBackend.outbox.clear()
    yield controller
    LocmemSMSBackend.outbox.clear()
    app.conf.task_always_eager = was_eager


@pytest.fixture
def sms_outbox():
    return LocmemSMSBackend.outbox


def last_code(outbox, phone: str | None = None) -> str:
    """The code in the last SMS (to ``phone`` when given)."""
    messages = [m for m in outbox if phone is None or m["phone"] == phone]
    assert messages, f"no SMS sent{' to ' + phone if phone else ''}: {outbox}"
    return messages[-1]["params"]["code"]
