"""schemathesis against the live OpenAPI schema: no 500s, every response as documented."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from forum.actions import api as api_actions
from forum.actions import posts as post_actions
from forum.actions import threads as thread_actions

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


# Loaded at import: the schema needs no database. Calls later go through the same WSGI app.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Like Django's test client: the WSGI handler must not close the test database connection."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(db, customer, vendor, expert) -> str:
    thread = thread_actions.create_thread(
        author=customer, title="Printer offline after update", body="Ask @northwind please", tags="printer"
    )
    post_actions.reply(author=expert, thread=thread, body="Reinstall the driver.")
    _, raw = api_actions.create_token(user=customer, name="schemathesis")
    return raw


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_schema(db, case, token, settings_override):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@pytest.fixture
def settings_override(settings):
    settings.API_RATE_LIMIT = (100_000, 60)


@pytest.fixture
def vendor_key(db, customer, vendor, vendor_admin) -> str:
    """A vendor key, so the staff-only operations run their allowed paths too."""
    from swarm.actions import escalations

    thread = thread_actions.create_thread(author=customer, title="Dock loses display", body="After the update")
    escalations.escalate(user=customer, thread=thread, handle="northwind")
    _, raw = api_actions.create_vendor_key(admin=vendor_admin, vendor=vendor, name="schemathesis")
    return raw


@schema.include(tag="escalations").parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_escalation_operations_conform_for_a_vendor_key(db, case, vendor_key, settings_override):
    case.call_and_validate(headers={"Authorization": f"Bearer {vendor_key}"}, checks=CHECKS)
