"""What turns a change into something people see.

- ``record``: every visible change is one Event, numbered gap-free per stream,
  written in the action's transaction, published after commit.
- ``kinds``: the registry of event kinds each app fills at startup.
- ``presenter``: the one audience-aware place that decides how a thread, post,
  note, event or attachment appears to a given viewer (shown, masked, not found).

See docs/architecture.md and docs/events.md.
"""

from forum.timeline.record import publish, record, thread_group

__all__ = ["publish", "record", "thread_group"]
