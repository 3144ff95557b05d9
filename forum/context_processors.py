from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "SITE_NAME": "Barnraise",
        "SITE_URL": settings.SITE_URL,
        "LIST_TABS": [("latest", "Latest"), ("unanswered", "Unanswered"), ("open", "Open"), ("solved", "Solved")],
    }
