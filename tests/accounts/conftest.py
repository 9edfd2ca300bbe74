import pytest

from portal.accounts.sms import LocmemSMSBackend


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    LocmemSMSBackend.outbox.clear()
    yield
    LocmemSMSBackend.outbox.clear()


@pytest.fixture
def sms_outbox():
    return LocmemSMSBackend.outbox


def last_code(outbox, phone: str | None = None) -> str:
    """The code in the last SMS (to ``phone`` when given)."""
    messages = [m for m in outbox if phone is None or m["phone"] == phone]
    assert messages, f"no SMS sent{' to ' + phone if phone else ''}: {outbox}"
    return messages[-1]["params"]["code"]
