import pytest

from portal.accounts.sms import LocmemSMSBackend


@pytest.fixture(autouse=True)
def _eager_celery_and_empty_outboxes(request):
    """Unit tests run tasks inline (nothing reaches a broker) and start with an empty SMS outbox.

    The real-worker tests (marked ``redis``) keep the broker.
    """
    from portal.celery import app

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = not request.node.get_closest_marker("redis")
    LocmemSMSBackend.outbox.clear()
    yield
    LocmemSMSBackend.outbox.clear()
    app.conf.task_always_eager = was_eager


@pytest.fixture
def sms_outbox():
    return LocmemSMSBackend.outbox
