"""Idempotency keys: a double click, a retry after a lost response, or an API client's
repeat with the same ``Idempotency-Key`` creates one thing and answers with the first.

A creating action calls ``earlier_result()`` inside its transaction, after taking the
locks it always takes and before it creates anything. The key's row is inserted there:
a concurrent request with the same key blocks on the unique index (PostgreSQL) or on
the write lock (SQLite) until the first commits, then finds the first one's result.
If the first request fails, its transaction rolls back the key with it, so the
repeat is tried afresh.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from forum.models import IdempotencyKey, User

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-:.]{8,64}$")
KEEP_FOR = timedelta(days=1)


def new_key() -> str:
    return uuid.uuid4().hex


def clean_key(key: str | None) -> str | None:
    """A usable key, or None (no key: the request is not deduplicated). Bad keys are refused."""
    if key is None or key == "":
        return None
    key = key.strip()
    if not KEY_PATTERN.match(key):
        raise ValidationError(
            gettext("The idempotency key must be 8 to 64 letters, digits or - _ : . characters."),
            code="bad_idempotency_key",
        )
    return key


def earlier_result(*, user: User, key: str | None, scope: str) -> int | None:
    """The id of what this key already created, or None after reserving the key for this request.

    Must run inside the action's transaction. A key used for something else is refused.
    """
    key = clean_key(key)
    if key is None:
        return None
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("earlier_result() must run inside the action's transaction")
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=user, key=key, scope=scope)
    except IntegrityError:
        earlier = IdempotencyKey.objects.get(user=user, key=key)
        if earlier.scope != scope or earlier.result_id is None:
            raise ValidationError(
                gettext("This form was already sent for something else. Reload the page and try again."),
                code="idempotency_key_reused",
            ) from None
        return earlier.result_id
    return None


def existing[M: Model](queryset: QuerySet[M], result_id: int) -> M:
    """What an earlier request with the same key created; refused if it is gone since."""
    found = queryset.filter(pk=result_id).first()
    if found is None:
        raise ValidationError(
            gettext("This form was already sent. Reload the page to see the result."), code="already_sent"
        )
    return found


def remember_result(*, user: User, key: str | None, result_id: int) -> None:
    """Record what the reserved key created, in the same transaction."""
    key = clean_key(key)
    if key is not None:
        IdempotencyKey.objects.filter(user=user, key=key).update(result_id=result_id)


def forget_old(*, now=None) -> int:
    """Drop keys older than a day (a retry comes within seconds or minutes)."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
