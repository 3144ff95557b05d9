"""Escalations belong to their vendor: one lock order, duplicates, hand-offs between vendors."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from swarm import access
from swarm.actions import claims, escalations
from swarm.models import Escalation

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalation(thread, customer, vendor, staff) -> Escalation:
    return escalations.escalate(user=customer, thread=thread, handle="@northwind")


def test_access_helper_refuses_with_a_readable_message(escalation, other_staff):
    with transaction.atomic(), pytest.raises(PermissionDenied, match="Only verified staff of Northwind Devices"):
        access.access_escalation_for_update(
            other_staff, escalation.pk, check=access.can_work_on, message=claims.STAFF_ONLY
        )


def test_access_helper_says_when_the_escalation_is_gone(staff):
    with transaction.atomic(), pytest.raises(ValidationError, match="no longer exists"):
        access.access_escalation_for_update(staff, 987654, check=access.can_work_on, message=claims.STAFF_ONLY)


def _locked_tables(queries: list[dict]) -> list[str]:
    """The tables each FOR UPDATE query locks, in order (PostgreSQL writes FOR UPDATE; SQLite ignores it)."""
    tables = []
    for query in queries:
        sql = query["sql"]
        if "FOR UPDATE" in sql:
            tables.append(sql.split(" FROM ", 1)[1].split()[0].strip('"'))
    return tables


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are visible on PostgreSQL only")
@pytest.mark.parametrize("step", ["claim", "release", "resolve", "colleague", "vendor", "confirm", "rate"])
def test_every_escalation_action_locks_the_thread_before_the_escalation(
    step, escalation, staff, customer, vendor, other_vendor
):
    from tests.conftest import make_staff

    make_staff("lena", vendor)
    if step in ("release", "colleague"):
        claims.claim(staff=staff, escalation=escalation)
    if step in ("confirm", "rate"):
        claims.resolve(staff=staff, escalation=escalation)
    if step == "rate":
        claims.confirm(user=customer, escalation=escalation, solved=True)
    run = {
        "claim": lambda: claims.claim(staff=staff, escalation=escalation),
        "release": lambda: claims.release(staff=staff, escalation=escalation),
        "resolve": lambda: claims.resolve(staff=staff, escalation=escalation),
        "colleague": lambda: claims.hand_off(staff=staff, escalation=escalation, to_username="lena"),
        "vendor": lambda: claims.hand_off(staff=staff, escalation=escalation, to_handle="bluewave"),
        "confirm": lambda: claims.confirm(user=customer, escalation=escalation, solved=False),
        "rate": lambda: claims.rate(user=customer, escalation=escalation, rating=4),
    }[step]
    with CaptureQueriesContext(connection) as queries:
        run()
    locked = _locked_tables(queries.captured_queries)
    assert locked[0] == "forum_thread"
    assert locked.index("swarm_escalation") > 0
