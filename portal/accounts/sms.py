"""Pluggable SMS backends, chosen by ``settings.SMS_BACKEND`` (a dotted class path).

Every backend has ``send(*, phone, text, template_code="", params=None) -> str`` returning the
provider's message id, and raises :class:`SMSError` on failure (``retryable`` tells a task whether to
try again later). Chinese SMS providers only deliver pre-approved templates (模板), so a backend that
talks to a real provider uses ``template_code`` and ``params``; ``text`` is the rendered message, used by
the development and test backends and for the log.
"""

from __future__ import annotations

import base64
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

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from portal.accounts.phone import national_digits

logger = logging.getLogger("zhaoxi.sms")


class SMSError(Exception):
    """Sending failed. ``retryable`` is True for throttling and network trouble, False for bad input."""

    def __init__(self, message: str, retryable: bool = False, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code

    def __str__(self) -> str:
        return self.message


class BaseSMSBackend:
    def send(self, *, phone: str, text: str, template_code: str = "", params: dict | None = None) -> str:
        raise NotImplementedError


def _masked(phone: str) -> str:
    digits = str(phone)
    return digits[:-8] + "****" + digits[-4:] if len(digits) >= 11 else "****"


class ConsoleSMSBackend(BaseSMSBackend):
    """Development: the message goes to the log and to stdout, nothing is sent."""

    def send(self, *, phone: str, text: str, template_code: str = "", params: dict | None = None) -> str:
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
    """Tests: messages are kept in the class-level ``outbox`` list (cleared by the test fixtures)."""

    outbox: ClassVar[list[dict]] = []
    _lock = threading.Lock()

    def send(self, *, phone: str, text: str, template_code: str = "", params: dict | None = None) -> str:
        with self._lock:
            self.outbox.append(
                {
                    "phone": str(phone),
                    "text": text,
                    "template_code": template_code,
                    "params": dict(params or {}),
                }
            )
            return f"locmem-{len(self.outbox)}"


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


class AliyunSMSBackend(BaseSMSBackend):
    """Alibaba Cloud SMS (阿里云短信, Dysmsapi ``SendSms``, RPC-style API, signature v1.0)."""

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

    def build_params(self, *, phone: str, template_code: str, params: dict | None) -> dict[str, str]:
        request_params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": national_digits(str(phone)),
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "Timestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        if params:
            request_params["TemplateParam"] = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
        request_params["Signature"] = aliyun_signature("POST", request_params, self.access_key_secret)
        return request_params

    def send(self, *, phone: str, text: str, template_code: str = "", params: dict | None = None) -> str:
        template_code = template_code or self.default_template
        if not template_code:
            raise SMSError(
                "No Aliyun SMS template code given or configured.", retryable=False, code="NoTemplate"
            )
        body = self.build_params(phone=phone, template_code=template_code, params=params)
        try:
            response = self.session.post(
                self.endpoint,
                data=body,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as exc:
            logger.warning("Aliyun SMS to %s: network error %s", _masked(phone), exc)
            raise SMSError(
                f"Network error talking to Aliyun SMS: {exc}", retryable=True, code="NetworkError"
            ) from exc
        try:
            payload = response.json()
        except ValueError:
            retryable = response.status_code >= 500 or response.status_code == 429
            raise SMSError(
                f"Aliyun SMS answered HTTP {response.status_code} without JSON.",
                retryable=retryable,
                code=f"HTTP{response.status_code}",
            ) from None
        code = str(payload.get("Code", ""))
        if code == "OK":
            message_id = str(payload.get("BizId") or payload.get("RequestId") or "")
            logger.info("Aliyun SMS to %s sent: %s", _masked(phone), message_id)
            return message_id
        retryable = (
            code in ALIYUN_RETRYABLE_CODES or response.status_code >= 500 or response.status_code == 429
        )
        message = f"Aliyun SMS refused: {code or response.status_code} {payload.get('Message', '')}".strip()
        logger.warning("Aliyun SMS to %s failed: %s (retryable=%s)", _masked(phone), message, retryable)
        raise SMSError(message, retryable=retryable, code=code)


def get_sms_backend(path: str | None = None) -> BaseSMSBackend:
    """An instance of the configured SMS backend (``settings.SMS_BACKEND`` unless ``path`` is given)."""
    return import_string(path or settings.SMS_BACKEND)()


def sms_send(*, phone: str, text: str, template_code: str = "", params: dict | None = None) -> str:
    """Send one SMS through the configured backend; returns the provider message id, raises SMSError."""
    return get_sms_backend().send(phone=phone, text=text, template_code=template_code, params=params)
