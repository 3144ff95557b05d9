"""Links from an escalation to the ticket in the vendor's own system (docs/vendors.md)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from forum import timeline
from forum.models import User
from forum.validation import normalise_text
from swarm import access
from swarm.actions.common import vendor_data
from swarm.kinds import SwarmKind
from swarm.models import Escalation, TicketLink

KEY_MAX = 40
URL_MAX = 500
STATUS_MAX = 40
STAFF_ONLY = "Only verified staff of {vendor} can link its tickets."


def _clean(*, key: str, url: str, status: str, visibility: str) -> tuple[str, str, str, str]:
    """Checked and normalised input, or a ValidationError naming what is wrong (nothing is saved)."""
    key = normalise_text(str(key or "")).strip()
    url = normalise_text(str(url or "")).strip()
    status = " ".join(normalise_text(str(status or "")).split())  # free text from another system: one line
    if not key:
        raise ValidationError(gettext("Give the ticket's key, like NW-1234."), code="no_key")
    if len(key) > KEY_MAX:
        raise ValidationError(
            gettext("Keep the ticket key under %(key_max)s characters.") % {"key_max": KEY_MAX}, code="too_long"
        )
    if len(url) > URL_MAX:
        raise ValidationError(
            gettext("Keep the ticket URL under %(url_max)s characters.") % {"url_max": URL_MAX}, code="too_long"
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError(gettext("The ticket URL must start with http:// or https://."), code="bad_url")
    if len(status) > STATUS_MAX:
        raise ValidationError(
            gettext("Keep the ticket status under %(status_max)s characters.") % {"status_max": STATUS_MAX},
            code="too_long",
        )
    if visibility not in TicketLink.Visibility.values:
        raise ValidationError(gettext("Choose whether the link is public or staff only."), code="bad_visibility")
    return key, url, status, visibility


def link_ticket(
    *, staff: User, escalation: Escalation, key: str, url: str, status: str = "", visibility: str = "public"
) -> TicketLink:
    """Link (or update the link of) an escalation to the vendor's ticket; one event per visible change.

    A new link, or a new key, URL or visibility, records TICKET_LINKED; only a new status records
    TICKET_STATUS. Staff-only links record on the vendor's private stream.
    """
    key, url, status, visibility = _clean(key=key, url=url, status=status, visibility=visibility)
    with transaction.atomic():
        escalation = access.access_escalation_for_update(
            staff, escalation.pk, check=access.can_work_on, message=STAFF_ONLY
        )
        link = TicketLink.objects.select_for_update().filter(escalation=escalation).first()
        previous = None
        if link is None:
            link = TicketLink(escalation=escalation)
            kind = SwarmKind.TICKET_LINKED
        else:
            previous = link.status
            if (link.key, link.url, link.visibility) != (key, url, visibility):
                kind = SwarmKind.TICKET_LINKED
            elif link.status != status:
                kind = SwarmKind.TICKET_STATUS
            else:
                raise ValidationError(gettext("The ticket link already says that."), code="unchanged")
        link.key, link.url, link.status, link.visibility = key, url, status, visibility
        link.updated_by = staff
        link.updated_at = timezone.now()
        if link.pk is None:
            link.save()
        else:
            link.save(update_fields=["key", "url", "status", "visibility", "updated_by", "updated_at"])
        data = vendor_data(escalation) | {
            "key": key,
            "url": url,
            "status": status,
            "previous_status": previous,
            "visibility": visibility,
        }
        timeline.record(
            thread=escalation.thread,
            kind=kind,
            actor=staff,
            vendor=None if link.is_public else escalation.vendor,
            data=data,
        )
    return link
