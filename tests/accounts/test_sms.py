"""SMS backends: the console and in-memory ones, and the Aliyun one against a local fake Aliyun server."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.accounts.sms import (
    AliyunSMSBackend,
    ConsoleSMSBackend,
    LocmemSMSBackend,
    SMSError,
    aliyun_percent_encode,
    aliyun_signature,
    get_sms_backend,
    sms_send,
)

SECRET = "fake-secret-Ümlaut"
KEY_ID = "LTAI-fake-id"


# --- the published Aliyun signature examples ------------------------------------------------------
def test_signature_matches_aliyuns_sendsms_example():
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_signature_matches_aliyuns_rpc_example():
    params = {
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Version": "2014-05-26",
        "Timestamp": "2016-02-23T12:46:24Z",
    }
    assert aliyun_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_rules():
    assert aliyun_percent_encode("a b") == "a%20b"
    assert aliyun_percent_encode("*") == "%2A"
    assert aliyun_percent_encode("~-_.") == "~-_."
    assert aliyun_percent_encode("/=&+") == "%2F%3D%26%2B"
    assert aliyun_percent_encode("社") == "%E7%A4%BE"


# --- a fake Aliyun --------------------------------------------------------------------------------
class FakeAliyun:
    """Checks every request the way Aliyun does (signature, parameters) and answers with ``self.reply``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.reply: tuple[int, dict | str] = (
            200,
            {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"},
        )
        self.nonces: set[str] = set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                params = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
                status, body = fake.check(params)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type",
                    "application/json;charset=utf-8" if not isinstance(body, str) else "text/html",
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def check(self, params: dict) -> tuple[int, dict | str]:
        self.requests.append(params)
        signature = params.pop("Signature", "")
        required = {
            "AccessKeyId",
            "Action",
            "Format",
            "PhoneNumbers",
            "SignName",
            "SignatureMethod",
            "SignatureNonce",
            "SignatureVersion",
            "TemplateCode",
            "Timestamp",
            "Version",
        }
        if missing := required - params.keys():
            return 400, {"Code": "MissingParameter", "Message": f"missing {sorted(missing)}"}
        if params["AccessKeyId"] != KEY_ID:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
            }
        if signature != aliyun_signature("POST", params, SECRET):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched."}
        if params["SignatureNonce"] in self.nonces:
            return 400, {"Code": "SignatureNonceUsed", "Message": "nonce used"}
        self.nonces.add(params["SignatureNonce"])
        if (params["Action"], params["Version"], params["SignatureMethod"], params["SignatureVersion"]) != (
            "SendSms",
            "2017-05-25",
            "HMAC-SHA1",
            "1.0",
        ):
            return 400, {"Code": "InvalidParameter", "Message": "bad protocol parameters"}
        ts = datetime.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.UTC
        )
        if abs((datetime.datetime.now(datetime.UTC) - ts).total_seconds()) > 900:
            return 400, {"Code": "InvalidTimeStamp.Expired", "Message": "timestamp expired"}
        return self.reply

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_aliyun():
    with FakeAliyun() as fake:
        yield fake


def _config(url, **extra):
    return {
        "ENDPOINT": url,
        "ACCESS_KEY_ID": KEY_ID,
        "ACCESS_KEY_SECRET": SECRET,
        "SIGN_NAME": "永兴社区",
        "TEMPLATE_CODE": "SMS_123456789",
        "TIMEOUT": 5,
        **extra,
    }


def test_aliyun_sends_a_correctly_signed_request(fake_aliyun):
    backend = AliyunSMSBackend(_config(fake_aliyun.url))
    message_id = backend.send(phone="+8613912345678", text="验证码 123456", params={"code": "123456"})
    assert message_id == "900619746936498440^0"
    (sent,) = fake_aliyun.requests
    assert sent["PhoneNumbers"] == "13912345678"
    assert sent["SignName"] == "永兴社区"
    assert sent["TemplateCode"] == "SMS_123456789"
    assert json.loads(sent["TemplateParam"]) == {"code": "123456"}
    assert sent["Format"] == "JSON"


def test_aliyun_uses_a_fresh_nonce_each_time(fake_aliyun):
    backend = AliyunSMSBackend(_config(fake_aliyun.url))
    backend.send(phone="+8613912345678", text="a", params={"code": "1"})
    backend.send(phone="+8613912345678", text="b", template_code="SMS_OTHER", params={"code": "2"})
    assert len({r["SignatureNonce"] for r in fake_aliyun.requests}) == 2
    assert fake_aliyun.requests[1]["TemplateCode"] == "SMS_OTHER"


def test_aliyun_wrong_secret_is_a_permanent_failure(fake_aliyun):
    backend = AliyunSMSBackend(_config(fake_aliyun.url, ACCESS_KEY_SECRET="not-the-secret"))
    with pytest.raises(SMSError) as excinfo:
        backend.send(phone="+8613912345678", text="x", params={"code": "1"})
    assert excinfo.value.code == "SignatureDoesNotMatch"
    assert excinfo.value.retryable is False


def test_aliyun_refused_number_is_not_retryable(fake_aliyun):
    fake_aliyun.reply = (
        200,
        {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "X"},
    )
    with pytest.raises(SMSError) as excinfo:
        AliyunSMSBackend(_config(fake_aliyun.url)).send(
            phone="+8613912345678", text="x", params={"code": "1"}
        )
    assert excinfo.value.retryable is False
    assert "isv.MOBILE_NUMBER_ILLEGAL" in str(excinfo.value)


@pytest.mark.parametrize("code", ["isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "isp.SYSTEM_ERROR"])
def test_aliyun_throttling_is_retryable(fake_aliyun, code):
    fake_aliyun.reply = (200, {"Code": code, "Message": "触发分钟级流控Permits:1", "RequestId": "X"})
    with pytest.raises(SMSError) as excinfo:
        AliyunSMSBackend(_config(fake_aliyun.url)).send(
            phone="+8613912345678", text="x", params={"code": "1"}
        )
    assert excinfo.value.retryable is True
    assert excinfo.value.code == code


def test_aliyun_server_error_without_json_is_retryable(fake_aliyun):
    fake_aliyun.reply = (503, "<html>Service Unavailable</html>")
    with pytest.raises(SMSError) as excinfo:
        AliyunSMSBackend(_config(fake_aliyun.url)).send(
            phone="+8613912345678", text="x", params={"code": "1"}
        )
    assert excinfo.value.retryable is True


def test_aliyun_network_error_is_retryable():
    with FakeAliyun() as fake:
        url = fake.url  # the server is gone after this block: nothing listens on the port any more
    with pytest.raises(SMSError) as excinfo:
        AliyunSMSBackend(_config(url, TIMEOUT=2)).send(phone="+8613912345678", text="x", params={"code": "1"})
    assert excinfo.value.retryable is True


def test_aliyun_refuses_to_start_without_credentials():
    with pytest.raises(ImproperlyConfigured):
        AliyunSMSBackend(
            {
                "ENDPOINT": "https://example.invalid/",
                "ACCESS_KEY_ID": "",
                "ACCESS_KEY_SECRET": "",
                "SIGN_NAME": "",
            }
        )


def test_aliyun_needs_a_template(fake_aliyun):
    with pytest.raises(SMSError) as excinfo:
        AliyunSMSBackend(_config(fake_aliyun.url, TEMPLATE_CODE="")).send(phone="+8613912345678", text="x")
    assert excinfo.value.retryable is False
    assert fake_aliyun.requests == []


def test_aliyun_selected_by_settings(settings, fake_aliyun):
    settings.SMS_BACKEND = "portal.accounts.sms.AliyunSMSBackend"
    settings.ALIYUN_SMS = _config(fake_aliyun.url)
    assert isinstance(get_sms_backend(), AliyunSMSBackend)
    assert sms_send(phone="+8613912345678", text="x", params={"code": "9"}) == "900619746936498440^0"


# --- development and test backends -----------------------------------------------------------------
def test_locmem_backend_keeps_messages(sms_outbox):
    assert isinstance(get_sms_backend(), LocmemSMSBackend)
    message_id = sms_send(phone="+8613912345678", text="hello", template_code="T1", params={"code": "1"})
    assert message_id
    assert sms_outbox == [
        {"phone": "+8613912345678", "text": "hello", "template_code": "T1", "params": {"code": "1"}}
    ]


def test_console_backend_prints_the_message(capsys):
    message_id = ConsoleSMSBackend().send(
        phone="+8613912345678", text="您的验证码 654321", params={"code": "654321"}
    )
    assert message_id.startswith("console-")
    assert "654321" in capsys.readouterr().out
