"""A fake Aliyun SMS provider (Dysmsapi, RPC style) that records every send the moment it arrives.

    fake = FakeAliyun().start()          # 127.0.0.1, a free port, a daemon thread
    fake.url                             # ALIYUN_SMS_ENDPOINT for the portal
    fake.set(delay=3)                    # answer three seconds after the request arrived
    fake.set(fail="drop")                # record the send, then close the connection without an answer
    fake.set(query=False)                # QuerySendDetails answers isv.NotSupported (a provider that cannot be asked)
    fake.receipts                        # every SendSms it accepted, in order of arrival
    fake.receipts_for(out_id)            # those carrying that OutId
    fake.stop()

It speaks the API as ``portal.accounts.sms.AliyunSMSBackend`` calls it: a POST form body, a JSON answer,
the request signed with signature v1.0 (HMAC-SHA1, checked here with ``aliyun_signature`` and
:data:`ACCESS_KEY_SECRET`: a request signed otherwise is answered ``SignatureDoesNotMatch``).

- ``Action=SendSms``: a receipt (phone, TemplateCode, TemplateParam, OutId, time) is recorded as soon as the
  request is read, before the delay: a client that times out has still reached the provider. Then it
  waits ``delay`` seconds and answers ``{"Code": "OK", "BizId": "<unique>^0", ...}``, or, when a fault is
  set: ``http500`` (HTTP 500, ``isp.SYSTEM_ERROR``, nothing sent), ``throttle``
  (``isv.BUSINESS_LIMIT_CONTROL``, nothing sent), ``drop`` (the send is recorded, the connection closed
  without an answer: the outcome is unknown to the client). ``fail_times=n`` applies the fault to the next
  n sends only.
- ``Action=QuerySendDetails`` (PhoneNumber, SendDate yyyyMMdd in Asia/Shanghai, PageSize <= 50, CurrentPage
  from 1): the receipts of that phone on that day, paged, each as a ``SmsSendDetailDTO`` with ``OutId``.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: The credentials the portal under test must be configured with (ALIYUN_SMS_ACCESS_KEY_*).
ACCESS_KEY_ID = "LTAIfakeZhaoxiFaults"
ACCESS_KEY_SECRET = "fake-aliyun-secret-for-tests"
SIGN_NAME = "朝夕社区"
TEMPLATE_CODE = "SMS_000000001"

FAULTS = (None, "http500", "throttle", "drop")
MAX_PAGE_SIZE = 50
_KEEP = object()  # FakeAliyun.set: "leave this as it is"


@dataclass(frozen=True)
class Receipt:
    """One SendSms the provider accepted (it would deliver it), recorded when the request arrived."""

    phone: str  # PhoneNumbers as sent: national digits
    template_code: str
    template_param: str
    out_id: str
    sign_name: str
    biz_id: str
    at: float  # time.time() on arrival
    request_id: str

    @property
    def params(self) -> dict:
        try:
            return json.loads(self.template_param) if self.template_param else {}
        except ValueError:
            return {}

    def as_dict(self) -> dict:
        return asdict(self)


class FakeAliyun:
    def __init__(self, *, access_key_id: str = ACCESS_KEY_ID, access_key_secret: str = ACCESS_KEY_SECRET):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self._lock = threading.Lock()
        self._receipts: list[Receipt] = []
        self._requests: list[dict] = []
        self._stopping = threading.Event()
        self._arrived = threading.Condition(self._lock)
        self.delay = 0.0
        self.fail: str | None = None
        self.fail_times: int | None = None
        self.query = True
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ------------------------------------------------------------------------------------

    def start(self) -> FakeAliyun:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-aliyun", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeAliyun is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def set(
        self,
        *,
        delay: float | None = None,
        fail=_KEEP,
        fail_times=_KEEP,
        query: bool | None = None,
    ) -> FakeAliyun:
        """Change the behaviour at runtime (the next request sees it). Arguments left out keep their value."""
        with self._lock:
            if delay is not None:
                self.delay = float(delay)
            if fail is not _KEEP:
                if fail not in FAULTS:
                    raise ValueError(f"fail must be one of {FAULTS}")
                self.fail = fail
            if fail_times is not _KEEP:
                self.fail_times = fail_times
            if query is not None:
                self.query = bool(query)
        return self

    def reset(self) -> FakeAliyun:
        """Forget every receipt and request; back to answering at once, no fault, query on."""
        with self._lock:
            self._receipts.clear()
            self._requests.clear()
            self.delay, self.fail, self.fail_times, self.query = 0.0, None, None, True
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeAliyun:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what it saw ---------------------------------------------------------------------------------

    @property
    def receipts(self) -> list[Receipt]:
        """A copy of every accepted send, in order of arrival."""
        with self._lock:
            return list(self._receipts)

    @property
    def requests(self) -> list[dict]:
        """Every request, accepted or not: {"action", "phone", "out_id", "answer", "at"}."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def receipts_for(self, out_id) -> list[Receipt]:
        return [r for r in self.receipts if r.out_id == str(out_id)]

    def receipts_to(self, phone: str) -> list[Receipt]:
        """The receipts of one phone (E.164 or national digits)."""
        digits = _national(phone)
        return [r for r in self.receipts if r.phone == digits]

    def wait_for_receipts(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` receipts arrived (True) or ``timeout`` seconds passed (False)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._receipts) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
            return True

    # --- inside the handler --------------------------------------------------------------------------

    def _record_request(self, **entry) -> None:
        with self._lock:
            self._requests.append({**entry, "at": time.time()})

    def _take_fault(self) -> tuple[str | None, float]:
        with self._lock:
            fault = self.fail
            if fault is not None and self.fail_times is not None:
                if self.fail_times <= 0:
                    fault = None
                else:
                    self.fail_times -= 1
            return fault, self.delay

    def _add_receipt(self, receipt: Receipt) -> None:
        with self._arrived:
            self._receipts.append(receipt)
            self._arrived.notify_all()

    def _details(self, *, phone: str, send_date: str) -> list[dict]:
        with self._lock:
            mine = [r for r in self._receipts if r.phone == phone]
        details = []
        for r in mine:
            sent = datetime.datetime.fromtimestamp(r.at, tz=SHANGHAI)
            if sent.strftime("%Y%m%d") != send_date:
                continue
            details.append(
                {
                    "PhoneNum": r.phone,
                    "SendStatus": 3,
                    "ErrCode": "DELIVERED",
                    "TemplateCode": r.template_code,
                    "Content": f"【{r.sign_name}】{r.template_param}",
                    "SendDate": sent.strftime("%Y-%m-%d %H:%M:%S"),
                    "ReceiveDate": (sent + datetime.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S"),
                    "OutId": r.out_id,
                }
            )
        return details


def _national(phone: str) -> str:
    digits = "".join(ch for ch in str(phone) if ch.isdigit())
    if str(phone).startswith("+86") or (digits.startswith("86") and len(digits) == 13):
        digits = digits[2:]
    return digits


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAliyun
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # quiet: the receipts are the log

    def do_GET(self):  # noqa: N802 - http.server's name
        self._answer(405, {"Code": "MethodNotAllowed", "Message": "POST only"})

    def do_POST(self):  # noqa: N802 - http.server's name
        from portal.accounts.sms import aliyun_signature

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        params = dict(parse_qsl(body, keep_blank_values=True))
        action = params.get("Action", "")
        signature = params.pop("Signature", "")
        expected = aliyun_signature("POST", params, self.fake.access_key_secret)
        if params.get("AccessKeyId") != self.fake.access_key_id:
            self.fake._record_request(
                action=action, phone="", out_id="", answer="InvalidAccessKeyId.NotFound"
            )
            return self._answer(
                404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
            )
        if signature != expected:
            self.fake._record_request(action=action, phone="", out_id="", answer="SignatureDoesNotMatch")
            return self._answer(
                400,
                {
                    "Code": "SignatureDoesNotMatch",
                    "Message": "Specified signature is not matched with our calculation.",
                },
            )
        if action == "SendSms":
            return self._send_sms(params)
        if action == "QuerySendDetails":
            return self._query(params)
        self.fake._record_request(action=action, phone="", out_id="", answer="InvalidAction")
        return self._answer(400, {"Code": "InvalidAction.NotFound", "Message": f"{action} is not supported"})

    def _send_sms(self, params: dict) -> None:
        phone = params.get("PhoneNumbers", "")
        out_id = params.get("OutId", "")
        if not phone or not params.get("TemplateCode") or not params.get("SignName"):
            self.fake._record_request(action="SendSms", phone=phone, out_id=out_id, answer="MissingParameter")
            return self._answer(400, {"Code": "isv.INVALID_PARAMETERS", "Message": "missing parameter"})
        fault, delay = self.fake._take_fault()
        if fault == "http500":
            self.fake._record_request(action="SendSms", phone=phone, out_id=out_id, answer="http500")
            return self._answer(500, {"Code": "isp.SYSTEM_ERROR", "Message": "system error"})
        if fault == "throttle":
            self.fake._record_request(action="SendSms", phone=phone, out_id=out_id, answer="throttle")
            return self._answer(
                200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1"}
            )
        biz_id = f"{uuid.uuid4().int % 10**18:018d}^0"
        request_id = _request_id()
        self.fake._add_receipt(
            Receipt(
                phone=phone,
                template_code=params.get("TemplateCode", ""),
                template_param=params.get("TemplateParam", ""),
                out_id=out_id,
                sign_name=params.get("SignName", ""),
                biz_id=biz_id,
                at=time.time(),
                request_id=request_id,
            )
        )
        self.fake._record_request(action="SendSms", phone=phone, out_id=out_id, answer=fault or "OK")
        if delay > 0 and self.fake._stopping.wait(delay):
            return  # the fake is stopping: no answer
        if fault == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._answer(200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id})

    def _query(self, params: dict) -> None:
        phone = params.get("PhoneNumber", "")
        self.fake._record_request(action="QuerySendDetails", phone=phone, out_id="", answer="")
        if not self.fake.query:
            return self._answer(
                400, {"Code": "isv.NotSupported", "Message": "QuerySendDetails is not available"}
            )
        try:
            page_size = int(params.get("PageSize", "10"))
            page = int(params.get("CurrentPage", "1"))
        except ValueError:
            page_size = page = 0
        send_date = params.get("SendDate", "")
        if not phone or len(send_date) != 8 or not 1 <= page_size <= MAX_PAGE_SIZE or page < 1:
            return self._answer(400, {"Code": "isv.INVALID_PARAMETERS", "Message": "invalid parameters"})
        details = self.fake._details(phone=phone, send_date=send_date)
        chunk = details[(page - 1) * page_size : page * page_size]
        self._answer(
            200,
            {
                "Code": "OK",
                "Message": "OK",
                "RequestId": _request_id(),
                "TotalCount": len(details),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": chunk},
            },
        )

    def _answer(self, status: int, payload: dict) -> None:
        payload = {"RequestId": _request_id(), **payload}
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timed out, or its worker was killed): the send stands
