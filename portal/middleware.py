"""The portal's own middleware: elder mode (长辈版) and the audit trail's client address."""

from auditlog.middleware import AuditlogMiddleware as _AuditlogMiddleware
from django.conf import settings

from portal.accounts.ratelimits import client_ip


class ElderModeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        cookie = request.COOKIES.get(settings.ELDER_MODE_COOKIE)
        if cookie is not None:
            request.elder_mode = cookie == "1"
        else:
            request.elder_mode = bool(user is not None and user.is_authenticated and user.elder_mode)
        return self.get_response(request)


class AuditlogMiddleware(_AuditlogMiddleware):
    """django-auditlog's middleware, recording the client address the sign-in limits count.

    auditlog itself takes the first entry of ``X-Forwarded-For``, which any client can write; the portal
    trusts only ``ZHAOXI_TRUSTED_PROXY_COUNT`` proxies (``portal.accounts.ratelimits.client_ip``)."""

    @staticmethod
    def _get_remote_addr(request):
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_ip(request)
