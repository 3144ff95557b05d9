from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext, pgettext


def remember_unread_notifications(request: HttpRequest, count: int) -> None:
    """A view that read the bell's count with its own query (the thread page) saves ``site`` a query."""
    request._unread_notifications = count


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        from forum.notifications import unread_count

        # Once per request: a page that renders panels with request=request runs this again.
        if not hasattr(request, "_unread_notifications"):
            request._unread_notifications = unread_count(user)
        unread = request._unread_notifications
    return {
        "UNREAD_NOTIFICATIONS": unread,
        "SITE_NAME": "Barnraise",
        "SITE_URL": settings.SITE_URL,
        "LIST_TABS": [
            ("latest", gettext("Latest")),
            ("unanswered", gettext("Unanswered")),
            ("open", pgettext("thread list", "Open")),
            ("solved", pgettext("thread list", "Solved")),
        ],
        "LIST_SORT_TABS": [("activity", gettext("Recent activity")), ("votes", gettext("Most votes"))],
    }
