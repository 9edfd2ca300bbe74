"""Faults put to the real thing (issue 8): gunicorn, a Celery worker and beat in production mode, a private
Redis, a database of their own, and a fake Aliyun that records every send on arrival (tests/faults/harness.py).

Exactly once: whatever happens to the worker, the provider or the database, every SMS reaches the provider
once, and its row ends ``sent``. No 500 while Redis is down. One module, small batches: a few minutes in all.
"""

import pytest

from tests.faults import harness

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _assert_once(result: dict) -> None:
    """Every message triggered reached the provider exactly once, and every row says it was sent."""
    details = {k: v for k, v in result.items() if k != "logs"}
    assert result["delivered_in_time"], (
        f"not delivered within a minute of recovery: {details}\n{result.get('logs', '')}"
    )
    assert result["duplicates"] == 0, details
    assert result["lost"] == 0, details
    assert result["statuses"] == {"sent": result["outbox_rows"]}, details
    assert result["late_receipts"] == 0, details


def test_worker_killed_while_sms_are_with_the_provider_sends_each_once():
    """kill -9 of the worker (main process and pool) while sends wait for the provider: the sends in
    flight are settled by asking the provider (it has them), not sent again; the rest go out once."""
    result = harness.kill_worker_mid_send(n=3, delay=3.0)
    assert result["outbox_rows"] == result["triggered"] == 3
    _assert_once(result)


def test_provider_slower_than_the_timeout_gets_one_request_and_the_row_ends_sent():
    """A read timeout is an unknown outcome, not a failure: QuerySendDetails shows the provider has the
    message, so it is not sent again and the row is marked sent."""
    result = harness.slow_provider(n=3)
    assert result["outbox_rows"] == result["triggered"] == 3
    assert result["receipts"] == 3
    _assert_once(result)


def test_provider_that_cannot_be_asked_gets_at_most_one_resend_and_the_row_says_so():
    result = harness.slow_provider_no_query(n=3)
    details = {k: v for k, v in result.items() if k != "logs"}
    assert result["delivered_in_time"], details
    assert result["lost"] == 0, details
    assert result["receipts"] <= 2 * result["outbox_rows"], details
    assert result["duplicates"] == result["blind_resends"], details  # every extra send is on its row
    assert all(status in harness.FINAL_STATUSES for status in result["statuses"]), details


def test_database_refusing_connections_during_a_batch_loses_and_duplicates_nothing():
    """PostgreSQL refuses the portal's connections for five seconds while a batch goes out: the tasks
    that meet the database error retry, the sends in flight are not repeated, the batch completes."""
    result = harness.postgres_blip_during_batch(n=40, outage=5.0)
    assert result["outbox_rows"] == 40
    assert 0 < result["receipts_at_fault"] < 40
    _assert_once(result)


def test_redis_down_sign_up_sign_in_cancel_and_staff_message_work_and_send_once_after():
    """Redis stopped: every page answers as it should (no 500), the writes are saved; once Redis is back
    every message (the code, the waitlist offer, the staff message) reaches the provider once."""
    result = harness.redis_down_mixed()
    details = {k: v for k, v in result.items() if k != "logs"}
    assert result["http_5xx"] == 0, details
    assert all(result["checks"].values()), result["checks"]
    assert result["outbox_rows"] >= 4, details  # three staff messages and the offer, by SMS
    _assert_once(result)
