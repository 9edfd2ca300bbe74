"""``set_actor`` for the services: django-auditlog's, made safe to nest inside the request's own.

auditlog's middleware opens an audit context for every request (the signed-in user, the client address)
and a service opens another one for its writes (``with set_actor(actor)``). auditlog's context manager
connects a ``pre_save`` receiver for each context and, when it ends, disconnects the receiver of the
context stored in its context variable, which it never restores: after a nested context ends, the outer
one disconnects the inner one's receiver a second time and its own stays connected for good. A worker
process thus gained one receiver per request that wrote through a service, each called on every later
audit entry, so writing one entry cost more with every request the worker had served (and the memory
was never given back). This one puts the outer context back when the inner one ends, and lets the inner
one keep the client address the request recorded.
"""

from __future__ import annotations

import contextlib

from auditlog.context import auditlog_value
from auditlog.context import set_actor as _auditlog_set_actor


@contextlib.contextmanager
def set_actor(actor, remote_addr=None, remote_port=None):
    """Record ``actor`` on the audit entries written inside (the client address from the request's
    context unless given)."""
    try:
        outer = auditlog_value.get()
    except LookupError:
        outer = None
    if outer:
        remote_addr = remote_addr if remote_addr is not None else outer.get("remote_addr")
        remote_port = remote_port if remote_port is not None else outer.get("remote_port")
    try:
        with _auditlog_set_actor(actor, remote_addr=remote_addr, remote_port=remote_port):
            yield
    finally:
        if outer:
            auditlog_value.set(outer)
