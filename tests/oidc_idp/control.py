"""The tests' handle on the provider's directory: add, change or remove an employee.

Guarded by a token only the test process knows (IDP_CONTROL_TOKEN); this server only ever runs in tests.
"""

import functools
import hmac
import json
import os
from collections.abc import Callable

from django.contrib.auth.models import Group, User
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oidc_provider.models import Client, ResponseType


def control(view: Callable[[dict], JsonResponse]) -> Callable[[HttpRequest], JsonResponse]:
    """A POST with the test's token and a JSON body; anything else is refused."""

    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def guarded(request: HttpRequest) -> JsonResponse:
        token = os.environ.get("IDP_CONTROL_TOKEN", "")
        if not token or not hmac.compare_digest(request.headers.get("X-Control-Token", ""), token):
            return JsonResponse({"error": "forbidden"}, status=403)
        return view(json.loads(request.body))

    return guarded


@control
def clients(data: dict) -> JsonResponse:
    """Register (or update) a confidential client for the authorization code flow."""
    client, _ = Client.objects.update_or_create(
        client_id=data["client_id"],
        defaults={
            "name": data.get("name", "Barnraise"),
            "client_type": "confidential",
            "client_secret": data["client_secret"],
            "jwt_alg": "RS256",
            "require_consent": False,
            "_redirect_uris": "\n".join(data["redirect_uris"]),
            "_scope": "openid email profile",
        },
    )
    client.response_types.set([ResponseType.objects.get(value="code")])
    return JsonResponse({"client_id": client.client_id})


@control
def users(data: dict) -> JsonResponse:
    """Add, change (email, verified flag, active) or delete an employee."""
    if data.get("delete"):
        User.objects.filter(username=data["username"]).delete()
        return JsonResponse({"deleted": data["username"]})
    user, _ = User.objects.get_or_create(username=data["username"])
    user.email = data["email"]
    user.is_active = data.get("active", True)
    user.set_password(data["password"])
    user.save()
    unverified, _ = Group.objects.get_or_create(name="unverified")
    if data.get("email_verified", True):
        user.groups.remove(unverified)
    else:
        user.groups.add(unverified)
    return JsonResponse({"username": user.username})
