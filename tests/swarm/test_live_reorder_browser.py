"""Live frames that overtake each other (two processes publish): the page holds the early one.

Frames are published from this test process through the servers' Redis, in the order the
test chooses, for events that are in the database. The page (static/js/live.js) must apply
every event once and in order; a gap closed by the frame on its way sends no ``resume``,
and a gap that stays open does, after the wait.
"""

import importlib
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.swarm.conftest import start_daphne
from tests.swarm.test_live_reorder import unpublished_replies

# forum.timeline exports the function record(); the module is what publish lives in.
timeline_record = importlib.import_module("forum.timeline.record")

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# Records every frame the page sends and receives (with the time), and every event it applies.
# Its pings are not sent: a pong names the latest seq, and the test decides when the page hears of it.
SPY = """
window.__sent = []; window.__received = []; window.__applied = [];
const Real = window.WebSocket;
function Spied(url, protocols) {
  const socket = new Real(url, protocols);
  socket.addEventListener("message", function (m) { window.__received.push([performance.now(), JSON.parse(m.data)]); });
  return socket;
}
Spied.prototype = Real.prototype;
["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { Spied[k] = Real[k]; });
window.WebSocket = Spied;
const send = Real.prototype.send;
Real.prototype.send = function (data) {
  const frame = JSON.parse(data);
  if (frame.type === "ping") return;
  window.__sent.push([performance.now(), frame]);
  return send.call(this, data);
};
document.addEventListener("barnraise:event", function (e) { window.__applied.push(e.detail.seq); });
"""


@pytest.fixture
def server(redis_url, redis_layer, transactional_db):
    daphne = start_daphne(redis_url)
    yield daphne
    daphne.kill()


def off_this_thread(function, *args):
    # Playwright's loop runs in this thread, and publishing (live frames, notification wake-ups)
    # uses async_to_sync, which refuses to run here: another thread does it.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


def publish(event) -> None:
    off_this_thread(timeline_record.publish, event)


def until(page, expression: str, timeout: float = 5.0) -> None:
    """Poll the page (its CSP forbids the eval that Playwright's wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(20)


def resumes(page) -> list[dict]:
    return [frame for _t, frame in page.evaluate("window.__sent") if frame["type"] == "resume"]


def test_frames_out_of_order_are_applied_in_order_and_only_a_gap_that_stays_open_resumes(
    browser, server, thread, expert, monkeypatch
):
    page = browser.new_page()
    page.add_init_script(SPY)
    page.goto(f"{server.http}{thread.get_absolute_url()}")
    page.wait_for_selector(".live-status[data-state=live]")
    until(page, "window.__received.some(([_t, f]) => f.type === 'replay')")  # the first resume answered
    assert resumes(page) == [{"type": "resume", "after": {"public": 1}}]

    # seq 3 overtakes seq 2 (as when two processes publish): held, then both applied, no resume.
    second, third = off_this_thread(unpublished_replies, monkeypatch, thread, expert, ["Second", "Third"])
    assert (second.seq, third.seq) == (2, 3)
    publish(third)
    until(page, "window.__received.some(([_t, f]) => f.type === 'event' && f.event.seq === 3)")
    publish(second)
    until(page, "window.__applied.includes(3)")
    page.wait_for_timeout(800)  # well past the wait: a resume would have gone by now
    assert page.evaluate("window.__applied") == [2, 3]
    assert len(resumes(page)) == 1

    # seq 5 arrives and seq 4's frame never does: after the wait, and only then, the page resumes.
    _fourth, fifth = off_this_thread(unpublished_replies, monkeypatch, thread, expert, ["Fourth", "Fifth"])
    publish(fifth)
    until(page, "window.__applied.includes(5)")
    assert page.evaluate("window.__applied") == [2, 3, 4, 5]
    sent = [(t, f) for t, f in page.evaluate("window.__sent") if f["type"] == "resume"]
    assert [f for _t, f in sent] == [
        {"type": "resume", "after": {"public": 1}},
        {"type": "resume", "after": {"public": 3}},
    ]
    arrived = next(t for t, f in page.evaluate("window.__received") if f["type"] == "event" and f["event"]["seq"] == 5)
    assert sent[1][0] - arrived >= 200  # it waited for seq 4's frame before asking
    page.close()
