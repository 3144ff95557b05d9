"""Who is calling the API: a personal access token, a vendor key, the browser session, or nobody.

Bearer credentials are looked up by the SHA-256 of the presented value. The
browser session needs a CSRF token for unsafe methods, like the web. A vendor
key acts as the vendor's service account (never as the admin who made it).
Callers are rate limited per user and per vendor, whatever the number of
tokens or keys (per address for anonymous readers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from forum import access, metrics, ratelimit
from forum.access import AnyUser
from forum.actions.api import KEY_PREFIX, TOKEN_PREFIX, hash_secret
from forum.models import Membership, PersonalAccessToken, Vendor, VendorApiKey
from forum.models.api import Scope
from forum.proxies import client_address

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class RateLimitedError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests.")
        self.retry_after = retry_after


class UnauthorizedError(AuthenticationError):
    def __init__(self, message: str) -> None:
        super().__init__(401, message)
        self.message = message


@dataclass
class Principal:
    """The caller of one request."""

    user: AnyUser
    via: str  # "token", "key", "session" or "anonymous"
    scope: str = Scope.WRITE
    key: VendorApiKey | None = None
    rate_key: str = ""
    _private: list[int] | None = field(default=None, repr=False)

    @property
    def key_vendor(self) -> Vendor | None:
        return self.key.vendor if self.key else None

    def private_vendor_ids(self) -> list[int]:
        """Vendors whose private (staff) streams this caller may read."""
        if self._private is None:
            if self.key is not None:
                self._private = [self.key.vendor_id]
            elif self.user.is_authenticated:
                self._private = list(
                    Membership.objects.filter(user=self.user, status=Membership.Status.VERIFIED).values_list(
                        "vendor_id", flat=True
                    )
                )
            else:
                self._private = []
        return self._private

    def require_person(self, message: str) -> None:
        """Things only a person does (post, read their notifications); a vendor key is not one."""
        if self.key is not None:
            raise PermissionDenied(message)

    def require_vendor_scope(self, vendor: Vendor) -> None:
        """A vendor key acts for its own vendor only."""
        if self.key is not None and self.key.vendor_id != vendor.pk:
            raise PermissionDenied(f"This API key belongs to another vendor; it cannot act for @{vendor.handle}.")


def _rate_limit(identity: str) -> None:
    limit, window = settings.API_RATE_LIMIT
    now = int(timezone.now().timestamp())
    bucket = now // window
    count = ratelimit.count_in_window(f"api-rate:{identity}:{bucket}", window)
    if count is not None and count > limit:
        metrics.RATE_LIMITED.labels("api").inc()
        raise RateLimitedError(retry_after=max(1, (bucket + 1) * window - now))


class ApiAuth(HttpBearer):
    """Bearer token or key; else the session (CSRF on unsafe methods); else anonymous reads."""

    def __call__(self, request: HttpRequest) -> Principal:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise UnauthorizedError('Send "Authorization: Bearer <token>".')
            principal = self.authenticate(request, raw.strip())
        else:
            principal = self._session(request)
        if request.method not in SAFE_METHODS and principal.scope != Scope.WRITE:
            raise PermissionDenied("This token is read-only.")
        _rate_limit(principal.rate_key)
        return principal

    def _session(self, request: HttpRequest) -> Principal:
        user = getattr(request, "user", None) or AnonymousUser()
        if not user.is_authenticated:
            if request.method not in SAFE_METHODS:
                raise UnauthorizedError("Log in, or send a personal access token or an API key.")
            return Principal(user=user, via="anonymous", rate_key=f"anon:{client_address(request)}")
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise PermissionDenied("CSRF check failed: send the X-CSRFToken header with the csrftoken cookie.")
        return Principal(user=user, via="session", rate_key=f"user:{user.pk}")

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        digest = hash_secret(token)
        now = timezone.now()
        if token.startswith(TOKEN_PREFIX):
            pat = PersonalAccessToken.objects.select_related("user").filter(token_hash=digest).first()
            if pat is None or pat.revoked_at is not None or not pat.user.is_active:
                raise UnauthorizedError("This token is not valid or has been revoked.")
            PersonalAccessToken.objects.filter(pk=pat.pk).update(last_used_at=now)
            # Counted per user: more tokens give no more requests.
            return Principal(user=pat.user, via="token", scope=pat.scope, rate_key=f"user:{pat.user_id}")
        if token.startswith(KEY_PREFIX):
            key = (
                VendorApiKey.objects.select_related("vendor__service_account", "created_by")
                .filter(token_hash=digest)
                .first()
            )
            if key is None or key.revoked_at is not None:
                raise UnauthorizedError("This API key is not valid or has been revoked.")
            # A key lives only while the admin who made it still is one (a leaver's copy stops working).
            if not key.created_by.is_active or not access.is_vendor_admin(key.created_by, key.vendor):
                raise UnauthorizedError("The admin who created this key is no longer an admin of the vendor.")
            service = getattr(key.vendor, "service_account", None)
            if service is None or not service.is_active:
                raise UnauthorizedError("This vendor's API identity is disabled; ask a site admin.")
            VendorApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            # It acts as the vendor's service account, never as the admin; counted per vendor.
            return Principal(user=service, via="key", scope=key.scope, key=key, rate_key=f"vendor:{key.vendor_id}")
        raise UnauthorizedError("This token is not valid or has been revoked.")
