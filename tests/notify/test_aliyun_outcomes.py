"""The Aliyun backend tells "not sent" from "unknown" and answers QuerySendDetails (issue 8).

A refused connection carried nothing: retryable, not unknown. A read timeout (the provider took the
request and did not answer in time) or a server error is unknown: the outbox asks the provider before it
sends again. The query pages through the day's records for the number and matches the row's OutId.
"""

import contextlib
import datetime
import json
import socket
import threading
import time

import pytest

from portal.accounts.sms import SHANGHAI, AliyunSMSBackend, SMSError, aliyun_signature

SECRET = "test-secret"


def _config(url, **extra):
    return {
        "ENDPOINT": url,
        "ACCESS_KEY_ID": "test-key",
        "ACCESS_KEY_SECRET": SECRET,
        "SIGN_NAME": "永兴社区",
        "TEMPLATE_CODE": "SMS_1",
        "TIMEOUT": 0.5,
        **extra,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_is_retryable_and_not_unknown():
    backend = AliyunSMSBackend(_config(f"http://127.0.0.1:{_free_port()}/"))
    with pytest.raises(SMSError) as excinfo:
        backend.send(phone="+8613912345678", text="x", params={"code": "1"}, out_id="7")
    assert (excinfo.value.retryable, excinfo.value.unknown) == (True, False)


@pytest.fixture
def silent_server():
    """A server that takes the request and never answers (the provider that answers after the timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    taken: list[bytes] = []
    stop = threading.Event()

    def serve():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _addr = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            data = b""
            with contextlib.suppress(OSError):
                while b"OutId" not in data and len(data) < 65536:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            taken.append(data)
            while not stop.is_set():
                time.sleep(0.05)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/", taken
    stop.set()
    thread.join(5)
    listener.close()


def test_a_read_timeout_is_unknown(silent_server):
    url, taken = silent_server
    backend = AliyunSMSBackend(_config(url))
    with pytest.raises(SMSError) as excinfo:
        backend.send(phone="+8613912345678", text="x", params={"code": "1"}, out_id="42")
    assert excinfo.value.unknown is True
    assert excinfo.value.code == "ReadTimeout"
    assert taken and b"OutId=42" in taken[0]


class FakeResponse:
    def __init__(self, payload, status=200):
        self.payload, self.status_code = payload, status

    def json(self):
        if isinstance(self.payload, Exception):
            raise self.payload
        return self.payload


class FakeSession:
    """Answers each call from ``answers`` and keeps the signed parameters it was sent."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent: list[dict] = []

    def post(self, url, data, timeout, headers):
        self.sent.append(dict(data))
        return self.answers.pop(0)


def _dto(out_id, status=3, when="2026-12-01 16:02:05"):
    return {
        "PhoneNum": "13912345678",
        "SendStatus": status,
        "ErrCode": "DELIVERED",
        "TemplateCode": "SMS_1",
        "Content": "【永兴社区】...",
        "SendDate": when,
        "ReceiveDate": when,
        "OutId": str(out_id),
    }


def _page(dtos, total):
    return FakeResponse(
        {
            "Code": "OK",
            "Message": "OK",
            "RequestId": "r",
            "TotalCount": total,
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos},
        }
    )


def test_a_server_error_is_unknown():
    backend = AliyunSMSBackend(
        _config("http://aliyun.invalid/"), session=FakeSession(FakeResponse(ValueError(), 502))
    )
    with pytest.raises(SMSError) as excinfo:
        backend.send(phone="+8613912345678", text="x", params={"code": "1"}, out_id="1")
    assert excinfo.value.unknown is True


def test_a_refusal_with_a_code_is_not_unknown():
    session = FakeSession(FakeResponse({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}))
    backend = AliyunSMSBackend(_config("http://aliyun.invalid/"), session=session)
    with pytest.raises(SMSError) as excinfo:
        backend.send(phone="+8613912345678", text="x", params={"code": "1"}, out_id="1")
    assert (excinfo.value.retryable, excinfo.value.unknown) == (True, False)


def test_the_send_carries_the_row_id_as_out_id():
    session = FakeSession(FakeResponse({"Code": "OK", "BizId": "900^0"}))
    AliyunSMSBackend(_config("http://aliyun.invalid/"), session=session).send(
        phone="+8613912345678", text="x", params={"code": "1"}, out_id="314"
    )
    assert session.sent[0]["OutId"] == "314"


def test_the_query_pages_through_the_day_and_matches_the_out_id():
    first = [_dto(n) for n in range(100, 150)]
    second = [_dto(n) for n in range(150, 160)] + [_dto(314, when="2026-12-01 16:02:05")]
    session = FakeSession(_page(first, 61), _page(second, 61))
    backend = AliyunSMSBackend(_config("http://aliyun.invalid/"), session=session)
    record = backend.query_sent(phone="+8613912345678", out_id="314", sent_on=datetime.date(2026, 12, 1))
    assert record is not None
    assert record.status == "delivered"
    assert record.sent_at == datetime.datetime(2026, 12, 1, 16, 2, 5, tzinfo=SHANGHAI)
    asked = session.sent
    assert [a["CurrentPage"] for a in asked] == ["1", "2"]
    assert {a["Action"] for a in asked} == {"QuerySendDetails"}
    assert asked[0]["PhoneNumber"] == "13912345678" and asked[0]["SendDate"] == "20261201"
    assert asked[0]["PageSize"] == "50"
    signed = dict(asked[0])
    signature = signed.pop("Signature")
    assert signature == aliyun_signature("POST", signed, SECRET)


def test_the_query_without_the_message_says_none():
    session = FakeSession(_page([_dto(1)], 1))
    backend = AliyunSMSBackend(_config("http://aliyun.invalid/"), session=session)
    assert backend.query_sent(phone="+8613912345678", out_id="2", sent_on=datetime.date(2026, 12, 1)) is None
    assert len(session.sent) == 1


def test_a_throttled_query_is_asked_again_later():
    session = FakeSession(FakeResponse({"Code": "Throttling.User", "Message": "slow down"}, 400))
    backend = AliyunSMSBackend(_config("http://aliyun.invalid/"), session=session)
    with pytest.raises(SMSError) as excinfo:
        backend.query_sent(phone="+8613912345678", out_id="2", sent_on=datetime.date(2026, 12, 1))
    assert excinfo.value.retryable is True


def test_a_query_the_key_may_not_make_says_it_cannot_be_asked():
    session = FakeSession(FakeResponse({"Code": "isv.NotSupported", "Message": "no"}, 400))
    backend = AliyunSMSBackend(_config("http://aliyun.invalid/"), session=session)
    with pytest.raises(SMSError) as excinfo:
        backend.query_sent(phone="+8613912345678", out_id="2", sent_on=datetime.date(2026, 12, 1))
    assert excinfo.value.retryable is False


def test_the_query_reads_a_failed_delivery():
    session = FakeSession(_page([_dto(9, status=2)], 1))
    record = AliyunSMSBackend(_config("http://aliyun.invalid/"), session=session).query_sent(
        phone="+8613912345678", out_id="9", sent_on=datetime.date(2026, 12, 1)
    )
    assert record.status == "failed"
    assert json.dumps(record.provider_id)
