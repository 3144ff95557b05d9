"""Reputation granted by the site (trusted accounts, imports). Earned points come from votes and acceptance."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from forum import reputation
from forum.models import ReputationChange, User

MAX_GRANT = 10_000


def grant_reputation(*, by: User, user: User, amount: int, note: str) -> ReputationChange:
    """A site administrator adds (or removes, if negative) points, with the reason kept in the ledger."""
    if not (by.is_authenticated and by.is_active and by.is_superuser):
        raise PermissionDenied(gettext("Only site administrators can grant reputation."))
    if not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_GRANT:
        raise ValidationError(
            gettext("Grant a whole number of points between -%(max_grant)s and %(max_grant2)s, not 0.")
            % {"max_grant": MAX_GRANT, "max_grant2": MAX_GRANT}
        )
    note = (note or "").strip()
    if not note or len(note) > 200:
        raise ValidationError(gettext("Say why, in at most 200 characters."))
    with transaction.atomic():
        return reputation.granted(by=by, user=user, amount=amount, note=note)
