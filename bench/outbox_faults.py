"""The outbox under faults (issue 8): per fault, messages triggered, provider receipts, duplicates, lost,
5xx answers and seconds to full delivery after recovery.

    DATABASE_URL=postgres://... python bench/outbox_faults.py        # PostgreSQL only (scratch databases)
    BENCH_FAULTS=kill_worker_mid_send,slow_provider python bench/outbox_faults.py
    BENCH_FAULT_MESSAGES=10 BENCH_FAULT_BATCH=142 python bench/outbox_faults.py

Each fault runs the real thing in production mode through tests/faults/harness.py: a private redis-server,
a database copied from a migrated template on the DATABASE_URL server (dropped afterwards), gunicorn (2 sync
workers), a Celery worker (``-Q urgent,celery``, prefork, 2 processes) and beat, the Aliyun backend pointed
at a fake provider that records every send the moment it arrives and answers QuerySendDetails.

- ``kill_worker_mid_send``: kill -9 of the worker (main process and pool) while sends are with the
  provider (it answers after 3 s); a new worker is started at once.
- ``sigterm_worker_mid_send``: SIGTERM to the pool processes doing the sends (the worker loses them);
  ``sigterm_worker_mid_send_main``: SIGTERM to the worker's main process (a warm shutdown).
- ``slow_provider``: the provider answers one second after the client's timeout;
  ``slow_provider_no_query``: the same with QuerySendDetails switched off (at most one blind resend
  per message is the expected figure, and the row says so in ``blind_resends``).
- ``postgres_blip_during_batch``: a staff message to BENCH_FAULT_BATCH people; a quarter in, the database
  refuses every connection for 5 s (ALLOW_CONNECTIONS false, its backends cut; the server keeps running).
- ``redis_down_mixed``: Redis stopped during a sign-up, sign-ins (right and wrong password), a
  cancellation that offers the seat to the next on the waitlist and a staff message; then started again.
- ``slow_provider_signup``: the provider takes 9 s and two people sign up at once; the home page is timed
  meanwhile, ``ratio`` against its time before in the same run.
- ``publish``: what a request waits for when it publishes a task after commit, with the broker up and down
  (``ratio`` = down / up).

The last line of output is one JSON object: {"faults": [...], "publish": {...}, "machine": {...}}. The
bench does not fail on a bad figure (it is a measurement): read ``duplicates``, ``lost``, ``http_5xx`` and
``seconds_to_delivery_after_recovery`` (null: not delivered within the deadline).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MESSAGES = int(os.environ.get("BENCH_FAULT_MESSAGES", "10"))
BATCH = int(os.environ.get("BENCH_FAULT_BATCH", "142"))
FAULTS = [f for f in os.environ.get("BENCH_FAULTS", "").split(",") if f]

if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    # The harness makes databases on a PostgreSQL server and cuts their connections (make bench goes on).
    print("outbox_faults.py needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
    print(json.dumps({"skipped": "needs PostgreSQL"}))
    sys.exit(0)

from tests.faults import harness  # noqa: E402


def plan() -> list[tuple[str, callable]]:
    return [
        ("kill_worker_mid_send", lambda: harness.kill_worker_mid_send(n=MESSAGES, delay=3.0)),
        ("sigterm_worker_mid_send", lambda: harness.sigterm_worker_mid_send(n=MESSAGES, target="child")),
        ("sigterm_worker_mid_send_main", lambda: harness.sigterm_worker_mid_send(n=MESSAGES, target="main")),
        ("slow_provider", lambda: harness.slow_provider(n=max(3, MESSAGES // 2))),
        ("slow_provider_no_query", lambda: harness.slow_provider_no_query(n=max(3, MESSAGES // 2))),
        ("postgres_blip_during_batch", lambda: harness.postgres_blip_during_batch(n=BATCH, outage=5.0)),
        ("redis_down_mixed", lambda: harness.redis_down_mixed(signups=2)),
        ("slow_provider_signup", lambda: harness.slow_provider_signup(delay=9.0, signups=2)),
    ]


def main() -> dict:
    results = []
    for name, run in plan():
        if FAULTS and name not in FAULTS:
            continue
        start = time.perf_counter()
        try:
            result = run()
        except Exception as exc:  # a fault that could not be staged is reported, the others still run
            traceback.print_exc()
            result = {"fault": name, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        result.pop("logs", None)
        result["seconds"] = round(time.perf_counter() - start, 1)
        print(f"{name}: {json.dumps(result, ensure_ascii=False)}", file=sys.stderr)
        results.append(result)
    publish = {}
    if not FAULTS or "publish" in FAULTS:
        try:
            publish = harness.publish_wait()
        except Exception as exc:
            publish = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    harness.cleanup()
    return {
        "faults": results,
        "publish": publish,
        "total_duplicates": sum(r.get("duplicates", 0) for r in results),
        "total_lost": sum(r.get("lost", 0) for r in results),
        "total_http_5xx": sum(r.get("http_5xx", 0) for r in results),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, default=str))
