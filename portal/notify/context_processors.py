from .selectors import unread_count_for


def inbox(request):
    """Unread in-site messages for the navigation badge: one COUNT query (on the partial index of unread
    inbox messages), only for signed-in users, and at most once per request however many templates are
    rendered."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0}
    count = getattr(request, "_zhaoxi_unread_count", None)
    if count is None:
        count = request._zhaoxi_unread_count = unread_count_for(user=user)
    return {"unread_count": count}
