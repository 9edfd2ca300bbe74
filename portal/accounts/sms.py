"""Pluggable SMS backends, chosen by ``settings.SMS_BACKEND`` (a dotted class path).

Every backend has ``send(*, phone, text, template_code="", params=None, out_id="") -> str`` returning the
provider's message id, and raises :class:`SMSError` on failure (``retryable`` tells a task whether to
try again later; ``unknown`` that the provider may have the message all the same). Chinese SMS providers
only deliver pre-approved templates (模板), so a backend that talks to a real provider uses
``template_code`` and ``params``; ``text`` is the rendered message, used by the development and test
backends and for the log. ``out_id`` is the outbox row's own id, stored by the provider with the message.

A backend that can say whether it has a message (``supports_query``) answers ``query_sent``: this is how
the outbox settles a send whose outcome is unknown (a read timeout, a worker killed mid-send) without
sending it twice (portal.notify.services.message_settle).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import hmac
import json
import logging
import sys
import threading
import uuid
from typing import ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from portal.accounts.phone import national_digits

logger = logging.getLogger("zhaoxi.sms")


SHANGHAI = ZoneInfo("Asia/Shanghai")


class SMSError(Exception):
    """Sending failed. ``retryable`` is True for throttling and network trouble, False for bad input.

    ``unknown`` is True when the request may have reached the provider before it failed (no answer in
    time, the connection dropped after the request went out, a server error): the message may be on its
    way, so it must not be sent again before the provider is asked (``query_sent``)."""

    def __init__(
        self, message: str, retryable: bool = False, *, code: str = "", unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.unknown = unknown

    def __str__(self) -> str:
        return self.message


@dataclasses.dataclass(frozen=True)
class SentRecord:
    """What a provider knows of one message it took: its id, its status and when it took it."""

    provider_id: str
    status: str = ""  # "waiting" (no receipt yet), "delivered", "failed"
    sent_at: datetime.datetime | None = None


class BaseSMSBackend:
    #: Whether ``query_sent`` can tell if the provider has a message (settles unknown outcomes).
    supports_query: ClassVar[bool] = False

    def send(
        self, *, phone: str, text: str, template_code: str = "", params: dict | None = None, out_id: str = ""
    ) -> str:
        raise NotImplementedError

    def query_sent(self, *, phone: str, out_id: str, sent_on: datetime.date) -> SentRecord | None:
        """The provider's record of the message sent to ``phone`` on ``sent_on`` (China time) with this
        ``out_id``, or None when it has none. Raises SMSError when the provider cannot be asked."""
        raise SMSError("This SMS backend cannot be asked what it sent.", code="NoQuery")


def _masked(phone: str) -> str:
    digits = str(phone)
    return digits[:-8] + "****" + digits[-4:] if len(digits) >= 11 else "****"


class ConsoleSMSBackend(BaseSMSBackend):
    """Development: the message goes to the log and to stdout, nothing is sent (so nothing is ever unknown)."""

    def send(
        self, *, phone: str, text: str, template_code: str = "", params: dict | None = None, out_id: str = ""
    ) -> str:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        line = f"[SMS to {phone}] {text}" + (
            f" (template {template_code} {json.dumps(params or {}, ensure_ascii=False)})"
            if template_code
            else ""
        )
        logger.info("%s", line)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return message_id


class LocmemSMSBackend(BaseSMSBackend):
    """Tests: messages are kept in the class-level ``outbox`` list (cleared by the test fixtures), and the
    query answers from it (``out_id`` and the time of each are kept alongside, in ``records``)."""

    outbox: ClassVar[list[dict]] = []
    records: ClassVar[list[tuple[dict, str, datetime.datetime]]] = []  # (outbox entry, out_id, sent at)
    _lock = threading.Lock()
    supports_query = True

    def send(
        self, *, phone: str, text: str, template_code: str = "", params: dict | None = None, out_id: str = ""
    ) -> str:
        with self._lock:
            sms = {
                "phone": str(phone),
                "text": text,
                "template_code": template_code,
                "params": dict(params or {}),
            }
            self.outbox.append(sms)
            self.records.append((sms, str(out_id or ""), datetime.datetime.now(datetime.UTC)))
            return f"locmem-{len(self.outbox)}"

    @classmethod
    def out_ids(cls) -> list[str]:
        """The ``out_id`` of every message still in the outbox, in order."""
        with cls._lock:
            return [out_id for sms, out_id, _at in cls.records if any(sms is kept for kept in cls.outbox)]

    def query_sent(self, *, phone: str, out_id: str, sent_on: datetime.date) -> SentRecord | None:
        with self._lock:
            for sms, sent_out_id, sent_at in self.records:
                in_outbox = [i for i, kept in enumerate(self.outbox, start=1) if kept is sms]
                if (
                    in_outbox
                    and out_id
                    and sent_out_id == str(out_id)
                    and national_digits(sms["phone"]) == national_digits(str(phone))
                    and sent_at.astimezone(SHANGHAI).date() == sent_on
                ):
                    return SentRecord(
                        provider_id=f"locmem-{in_outbox[0]}", status="delivered", sent_at=sent_at
                    )
        return None


# Aliyun error codes worth trying again later: flow control (限流) and transient provider trouble.
ALIYUN_RETRYABLE_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isp.SYSTEM_ERROR",
        "SignatureNonceUsed",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
    }
)


def aliyun_percent_encode(value: str) -> str:
    """Aliyun RPC percent-encoding: RFC 3986 unreserved characters stay, everything else is %XX (UTF-8).

    Spaces become ``%20`` (not ``+``), ``*`` becomes ``%2A`` and ``~`` stays as it is.
    """
    return quote(str(value), safe="-_.~")


def aliyun_string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in sorted(params.items())
    )
    return f"{method.upper()}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"


def aliyun_signature(method: str, params: dict[str, str], access_key_secret: str) -> str:
    """HMAC-SHA1 signature (SignatureVersion 1.0) of the request parameters, base64-encoded."""
    digest = hmac.new(
        (access_key_secret + "&").encode(), aliyun_string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


#: The status numbers of QuerySendDetails' SendStatus: 1 waiting for the receipt, 2 failed, 3 delivered.
ALIYUN_SEND_STATUS = {"1": "waiting", "2": "failed", "3": "delivered"}


def _sent_before_failing(exc: requests.RequestException) -> bool:
    """Whether the request may have reached the provider before ``exc``: a connection that was never made
    (refused, no route, connect timeout, DNS, TLS handshake) carried nothing; anything after that (a read
    timeout, a connection reset or dropped mid-answer) may have carried the whole request."""
    if isinstance(
        exc, requests.ConnectTimeout | requests.exceptions.SSLError | requests.exceptions.InvalidURL
    ):
        return False
    if isinstance(exc, requests.ConnectionError):
        seen, cause = set(), exc
        while cause is not None and id(cause) not in seen:
            seen.add(id(cause))
            name = type(cause).__name__
            if name in {"NewConnectionError", "NameResolutionError", "ConnectTimeoutError"}:
                return False
            if isinstance(cause, ConnectionRefusedError):
                return False
            reason = getattr(cause, "reason", None)
            cause = reason if isinstance(reason, BaseException) else (cause.__cause__ or cause.__context__)
        return True
    return isinstance(exc, requests.Timeout | requests.exceptions.ChunkedEncodingError)


class AliyunSMSBackend(BaseSMSBackend):
    """Alibaba Cloud SMS (阿里云短信, Dysmsapi ``SendSms`` and ``QuerySendDetails``, RPC-style API, signature
    v1.0). The outbox row's id goes with every message as ``OutId``, so that ``QuerySendDetails`` can tell
    whether a message whose answer never came was taken."""

    supports_query = True

    def __init__(self, config: dict | None = None, session: requests.Session | None = None) -> None:
        config = dict(config if config is not None else settings.ALIYUN_SMS)
        missing = [k for k in ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SIGN_NAME") if not config.get(k)]
        if missing:
            raise ImproperlyConfigured("ALIYUN_SMS is missing " + ", ".join(missing))
        self.endpoint = config.get("ENDPOINT") or "https://dysmsapi.aliyuncs.com/"
        self.access_key_id = config["ACCESS_KEY_ID"]
        self.access_key_secret = config["ACCESS_KEY_SECRET"]
        self.sign_name = config["SIGN_NAME"]
        self.default_template = config.get("TEMPLATE_CODE", "")
        self.timeout = float(config.get("TIMEOUT") or 10.0)
        self.region = config.get("REGION_ID") or "cn-hangzhou"
        self.session = session or requests.Session()

    def _signed(self, action: str, params: dict[str, str]) -> dict[str, str]:
        request_params = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            **params,
        }
        request_params["Signature"] = aliyun_signature("POST", request_params, self.access_key_secret)
        return request_params

    def build_params(
        self, *, phone: str, template_code: str, params: dict | None, out_id: str = ""
    ) -> dict[str, str]:
        request_params = {
            "PhoneNumbers": national_digits(str(phone)),
            "SignName": self.sign_name,
            "TemplateCode": template_code,
        }
        if params:
            request_params["TemplateParam"] = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
        if out_id:
            request_params["OutId"] = str(out_id)
        return self._signed("SendSms", request_params)

    def _post(self, body: dict[str, str], *, phone: str, what: str) -> tuple[requests.Response, dict]:
        """POST one signed call; returns (response, JSON payload). Raises SMSError, ``unknown`` when the
        request may have reached Aliyun (only a send cares)."""
        try:
            response = self.session.post(
                self.endpoint, data=body, timeout=self.timeout, headers={"Accept": "application/json"}
            )
        except requests.RequestException as exc:
            unknown = _sent_before_failing(exc)
            logger.warning(
                "Aliyun SMS %s for %s: network error %s (%s)",
                what,
                _masked(phone),
                exc,
                "may have arrived" if unknown else "never arrived",
            )
            raise SMSError(
                f"Network error talking to Aliyun SMS: {exc}",
                retryable=True,
                code="ReadTimeout" if isinstance(exc, requests.ReadTimeout) else "NetworkError",
                unknown=unknown,
            ) from exc
        try:
            payload = response.json()
        except ValueError:
            server_side = response.status_code >= 500
            raise SMSError(
                f"Aliyun SMS answered HTTP {response.status_code} without JSON.",
                retryable=server_side or response.status_code == 429,
                code=f"HTTP{response.status_code}",
                unknown=server_side,  # a gateway error says nothing of whether the request got through
            ) from None
        if not isinstance(payload, dict):
            raise SMSError(
                f"Aliyun SMS answered HTTP {response.status_code} with an unexpected body.",
                retryable=True,
                code=f"HTTP{response.status_code}",
                unknown=response.status_code >= 500 or response.status_code == 200,
            )
        return response, payload

    def send(
        self, *, phone: str, text: str, template_code: str = "", params: dict | None = None, out_id: str = ""
    ) -> str:
        template_code = template_code or self.default_template
        if not template_code:
            raise SMSError(
                "No Aliyun SMS template code given or configured.", retryable=False, code="NoTemplate"
            )
        body = self.build_params(phone=phone, template_code=template_code, params=params, out_id=out_id)
        response, payload = self._post(body, phone=phone, what="send")
        code = str(payload.get("Code", ""))
        if code == "OK":
            message_id = str(payload.get("BizId") or payload.get("RequestId") or "")
            logger.info("Aliyun SMS to %s sent: %s", _masked(phone), message_id)
            return message_id
        retryable = (
            code in ALIYUN_RETRYABLE_CODES or response.status_code >= 500 or response.status_code == 429
        )
        # Aliyun answered with its own error code: it refused the message (nothing is on its way), except
        # for its internal errors, after which it may have taken it all the same.
        unknown = code in {"isp.SYSTEM_ERROR", "InternalError", "ServiceUnavailable"}
        message = f"Aliyun SMS refused: {code or response.status_code} {payload.get('Message', '')}".strip()
        logger.warning("Aliyun SMS to %s failed: %s (retryable=%s)", _masked(phone), message, retryable)
        raise SMSError(message, retryable=retryable, code=code, unknown=unknown)

    def query_sent(self, *, phone: str, out_id: str, sent_on: datetime.date) -> SentRecord | None:
        """``QuerySendDetails`` for ``phone`` on ``sent_on``, page by page (50 a page), looking for the
        message whose ``OutId`` is ``out_id``."""
        if not out_id:
            return None
        page, seen = 1, 0
        while True:
            body = self._signed(
                "QuerySendDetails",
                {
                    "PhoneNumber": national_digits(str(phone)),
                    "SendDate": sent_on.strftime("%Y%m%d"),
                    "PageSize": "50",
                    "CurrentPage": str(page),
                },
            )
            response, payload = self._post(body, phone=phone, what="query")
            code = str(payload.get("Code", ""))
            if code != "OK":
                # Throttling or Aliyun's own trouble: ask again later. Anything else (the action not
                # allowed to this key, not supported) will not change: the provider cannot be asked.
                raise SMSError(
                    f"Aliyun SMS query refused: {code or response.status_code} {payload.get('Message', '')}",
                    retryable=(
                        code in ALIYUN_RETRYABLE_CODES
                        or response.status_code >= 500
                        or response.status_code == 429
                    ),
                    code=code or f"HTTP{response.status_code}",
                )
            dtos = (payload.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            if isinstance(dtos, dict):  # a single record may come as an object
                dtos = [dtos]
            for dto in dtos:
                if str(dto.get("OutId") or "") == str(out_id):
                    return SentRecord(
                        provider_id=str(dto.get("BizId") or f"OutId:{out_id}"),
                        status=ALIYUN_SEND_STATUS.get(str(dto.get("SendStatus", "")), ""),
                        sent_at=_aliyun_time(dto.get("SendDate")),
                    )
            seen += len(dtos)
            try:
                total = int(payload.get("TotalCount") or 0)
            except (TypeError, ValueError):
                total = 0
            if not dtos or seen >= total or page >= 200:
                return None
            page += 1


def _aliyun_time(value) -> datetime.datetime | None:
    """Aliyun's "2026-12-01 16:02:05" (China time) as an aware datetime."""
    try:
        return datetime.datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except (TypeError, ValueError):
        return None


def get_sms_backend(path: str | None = None) -> BaseSMSBackend:
    """An instance of the configured SMS backend (``settings.SMS_BACKEND`` unless ``path`` is given)."""
    return import_string(path or settings.SMS_BACKEND)()


def sms_send(
    *, phone: str, text: str, template_code: str = "", params: dict | None = None, out_id: str = ""
) -> str:
    """Send one SMS through the configured backend; returns the provider message id, raises SMSError.

    Only the outbox (portal.notify) sends: it records the hand-over first and settles unknown outcomes."""
    return get_sms_backend().send(
        phone=phone, text=text, template_code=template_code, params=params, out_id=out_id
    )
