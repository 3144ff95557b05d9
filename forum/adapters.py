"""allauth adapter: site behaviour for accounts lives here, not in overridden views."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext

from forum.proxies import client_address

RESERVED_USERNAMES = {"admin", "api", "accounts", "static", "media", "staff", "moderator", "support", "ws"}


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits (login, signup, reset) count against."""
        return client_address(request)

    def clean_username(self, username: str, shallow: bool = False) -> str:
        username = super().clean_username(username, shallow=shallow)
        if username.lower() in RESERVED_USERNAMES:
            raise ValidationError(gettext("That username is reserved; please choose another."))
        from forum.actions.accounts import is_username_reserved
        from forum.models import Vendor

        if is_username_reserved(username):
            raise ValidationError(gettext("That username is reserved; please choose another."))

        if Vendor.objects.filter(handle=username.lower()).exists():
            raise ValidationError(gettext("That name is a vendor's @handle; please choose another."))
        return username
