"""Elder mode (长辈版): large type and large targets, chosen by cookie or by the signed-in user's setting."""

from django.conf import settings


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
