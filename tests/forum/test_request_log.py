"""Request ids: taken from nginx's X-Request-ID, carried through the view, the action and its tasks."""

import contextvars
import json

import pytest
from django.tasks import task

from forum import requestlog
from forum.actions.follows import update_notification_settings
from tests.swarm.conftest import csrf_token, logged_in_client, start_daphne

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_request_with_x_request_id_logs_json_lines_carrying_it(thread, customer, expert):
    # The asker wants email about replies: the reply enqueues a notification email task.
    update_notification_settings(user=customer, new_thread_live=False, daily_digest=False, email_replies_mentions=True)
    server = start_daphne(LOG_FORMAT="json", LOG_LEVEL="INFO")
    try:
        client = logged_in_client(server, expert)
        token = csrf_token(client, thread.get_absolute_url())
        response = client.post(
            f"/t/{thread.pk}/reply/",
            data={"body": "Logged with the proxy's id", "csrfmiddlewaretoken": token},
            headers={"Referer": f"{server.http}{thread.get_absolute_url()}", "X-Request-ID": "nginx-4f2a9c"},
        )
        assert response.status_code == 302
        assert response.headers["X-Request-ID"] == "nginx-4f2a9c"
        # A bad id from outside is replaced, not logged as given.
        odd = client.get("/healthz", headers={"X-Request-ID": 'evil" {"level":"CRITICAL"}'})
        assert len(odd.headers["X-Request-ID"]) == 32
    finally:
        server.kill()
        log = server.process.stderr.read().decode()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["request_id"] == "nginx-4f2a9c"]
    loggers = {line["logger"] for line in ours}
    assert "barnraise.request" in loggers  # the view's request line
    assert "forum.timeline.record" in loggers  # the action's event
    assert "barnraise.tasks" in loggers  # the notification email task it enqueued
    request_line = next(line for line in ours if line["logger"] == "barnraise.request")
    assert request_line["status"] == 302
    assert {"time", "level", "message"} <= request_line.keys()
    assert not any("CRITICAL" in line.get("request_id", "") for line in lines)


@task
def noted() -> str:
    return requestlog.request_id.get()


def test_a_task_run_by_a_worker_later_carries_the_id_of_the_request_that_enqueued_it(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks.signals import task_finished, task_started

    def enqueue_in_a_request():
        requestlog.request_id.set("req-77")
        return noted.enqueue()

    result = contextvars.Context().run(enqueue_in_a_request)

    def run_as_a_worker():
        # What a worker does with a stored task: signal the start, run it, signal the end.
        assert requestlog.request_id.get() == requestlog.NONE
        task_started.send(sender=type(noted.get_backend()), task_result=result)
        seen = noted.call()
        task_finished.send(sender=type(noted.get_backend()), task_result=result)
        return seen, requestlog.request_id.get()

    seen, after = contextvars.Context().run(run_as_a_worker)
    assert seen == "req-77"
    assert after == requestlog.NONE
