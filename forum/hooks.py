"""Signals other apps connect to, so that ``forum`` never imports them.

``event_recorded`` is sent by ``forum.timeline.record()`` inside the action's
transaction, after the Event row exists. Receivers may write (for example,
swarm escalates a thread when its author tags a vendor) and may record
further events; whatever they do commits or rolls back with the action.
"""

from django.dispatch import Signal

# Sent with ``event=<forum.models.Event>``.
event_recorded = Signal()

# Sent with ``duplicate=<Thread>, canonical=<Thread>, actor=<User>`` inside the
# transaction of forum's mark-duplicate action. Receivers must not move or
# change what belongs to the duplicate thread (a vendor's escalation keeps its
# state and history on its own thread; docs/escalations.md).
thread_marked_duplicate = Signal()

# Sent with ``membership=<Membership>`` inside the transaction of every forum action that
# grants or ends someone's staff status, so swarm can wake the vendor's open inboxes (which
# re-check access and close for whoever lost it).
staff_changed = Signal()

# Sent with ``user=<User>`` inside the transaction of forum.actions.accounts.delete_account, before
# the row is anonymised: other apps remove the person's own rows (swarm: me-toos stay, team seats go).
account_deleted = Signal()


# Page panels other apps add to forum's pages, without forum importing them.
# A panel is a function ``(request, obj) -> str`` returning safe HTML (rendered
# from a template); slots: "thread-head" and "thread-aside" (obj is the
# Thread), "composer" (inside the thread's reply form; obj is the Thread), "vendor"
# (obj is the Vendor), "nav" (obj is None).
_panels: dict[str, list] = {}


def register_panel(slot: str, render) -> None:
    if render not in _panels.setdefault(slot, []):
        _panels[slot].append(render)


def panels(slot: str) -> list:
    return list(_panels.get(slot, []))


# Actions other apps offer in place on the notification list ("Claim", "Confirm solved"): functions
# ``(request, notifications) -> {notification pk: safe HTML}`` that read what they need for the
# whole list in a fixed number of queries, and post to the app's own endpoints.
_notice_actions: list = []


def register_notice_actions(render) -> None:
    if render not in _notice_actions:
        _notice_actions.append(render)


def notice_actions() -> list:
    return list(_notice_actions)
