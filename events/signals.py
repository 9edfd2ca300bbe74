"""Keep the pools' counters true whatever writes a registration one row at a time.

A registration saved or deleted through the ORM (a service's ``save()``, an admin action, a factory in
the tests) has its pool recounted in the same transaction, under the pool's lock. The booking service
moves the counters itself (``_pool.pool_claim``) and writes its registrations with ``bulk_create``, which
sends no signal; the services that change registrations with ``update()`` (or move one to another
session) recount their pools themselves.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from .models import Registration


def registration_post_save(sender, instance: Registration, raw=False, **kwargs):
    if raw:
        return
    from .services._pool import pool_recount_for

    pool_recount_for(activity_id=instance.activity_id, session_id=instance.session_id)


def registration_post_delete(sender, instance: Registration, **kwargs):
    from .services._pool import pool_recount_for

    pool_recount_for(activity_id=instance.activity_id, session_id=instance.session_id)


def connect() -> None:
    uid = "events.pool_counters"
    post_save.connect(registration_post_save, sender=Registration, dispatch_uid=uid)
    post_delete.connect(registration_post_delete, sender=Registration, dispatch_uid=uid)
