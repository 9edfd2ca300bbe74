"""The fake provider speaks Aliyun's API as our backend calls it (signature, SendSms, QuerySendDetails), so
the fault tests measure the portal, not the fake. In process, no services needed."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.accounts.sms import AliyunSMSBackend, SMSError
from tests.fakes import aliyun

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def fake():
    server = aliyun.FakeAliyun().start()
    yield server
    server.stop()


def _backend(fake, **overrides) -> AliyunSMSBackend:
    config = {
        "ENDPOINT": fake.url,
        "ACCESS_KEY_ID": aliyun.ACCESS_KEY_ID,
        "ACCESS_KEY_SECRET": aliyun.ACCESS_KEY_SECRET,
        "SIGN_NAME": aliyun.SIGN_NAME,
        "TEMPLATE_CODE": aliyun.TEMPLATE_CODE,
        "TIMEOUT": 1.0,
        **overrides,
    }
    return AliyunSMSBackend(config)


def _today():
    return datetime.datetime.now(SHANGHAI).date()


def test_a_signed_send_is_recorded_with_its_out_id_and_answered_with_a_biz_id(fake):
    biz_id = _backend(fake).send(phone="+8613912345678", text="code", params={"code": "123456"}, out_id="42")
    [receipt] = fake.receipts_for("42")
    assert receipt.phone == "13912345678"
    assert receipt.params == {"code": "123456"}
    assert receipt.template_code == aliyun.TEMPLATE_CODE
    assert biz_id == receipt.biz_id and biz_id.endswith("^0")


def test_a_request_signed_with_another_secret_is_refused_and_sends_nothing(fake):
    with pytest.raises(SMSError) as info:
        _backend(fake, ACCESS_KEY_SECRET="not-the-secret").send(phone="+8613912345678", text="x", out_id="1")
    assert info.value.code == "SignatureDoesNotMatch"
    assert fake.receipts == []


def test_a_send_whose_answer_comes_too_late_is_still_recorded_and_found_by_the_query(fake):
    """The receipt is taken on arrival: the client timed out, the provider has the message."""
    backend = _backend(fake, TIMEOUT=0.3)
    fake.set(delay=1.0)
    with pytest.raises(SMSError) as info:
        backend.send(phone="+8613912345678", text="x", out_id="7")
    assert info.value.unknown
    assert len(fake.receipts_for("7")) == 1
    fake.set(delay=0)
    record = backend.query_sent(phone="+8613912345678", out_id="7", sent_on=_today())
    assert record is not None and record.status


def test_the_query_pages_through_more_than_fifty_sends_to_one_phone(fake):
    backend = _backend(fake)
    for i in range(55):
        backend.send(phone="+8613912345678", text="x", out_id=str(i))
    assert backend.query_sent(phone="+8613912345678", out_id="53", sent_on=_today()) is not None
    assert backend.query_sent(phone="+8613912345678", out_id="99", sent_on=_today()) is None
    assert backend.query_sent(phone="+8613912345679", out_id="53", sent_on=_today()) is None


def test_faults_throttle_drop_and_a_provider_that_cannot_be_asked(fake):
    backend = _backend(fake)
    fake.set(fail="throttle", fail_times=1)
    with pytest.raises(SMSError) as info:
        backend.send(phone="+8613912345678", text="x", out_id="1")
    assert info.value.retryable and fake.receipts == []
    fake.set(fail="drop", fail_times=1)
    with pytest.raises(SMSError) as info:
        backend.send(phone="+8613912345678", text="x", out_id="2")
    assert info.value.unknown and len(fake.receipts_for("2")) == 1
    assert backend.send(phone="+8613912345678", text="x", out_id="3")  # the faults were for one send each
    fake.set(query=False)
    with pytest.raises(SMSError):
        backend.query_sent(phone="+8613912345678", out_id="2", sent_on=_today())
