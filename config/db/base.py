"""Django's PostgreSQL backend with a psycopg_pool ConnectionPool tuned for restarts.

Django builds a plain ``psycopg_pool.ConnectionPool`` and offers no setting for the class,
so this backend builds the subclass below instead; everything else is Django's. Measured
with the plain pool in the multi-host rehearsal (docs/deploy.md), a PostgreSQL restart
cost tens of seconds of 503s after the database was back:

- a lost connection is replaced by a slot that retries with a backoff doubling from 1 s
  (1, 2, 4, 8, 16 s...), so the first try after the database returned came late;
- ``getconn`` sleeps 1, 2, 4 s between idle connections that fail their health check,
  and after a restart every idle connection fails it;
- a request waits for a connection up to the pool's timeout, even while every
  connection attempt is refused.

The subclass retries every ``RETRY_DELAY`` seconds, checks idle connections without
sleeping, and fails the requests waiting for a connection with the connection error as
soon as an attempt fails: they answer the app's 503 (forum/views/errors.py) at once.
It overrides two private methods of psycopg_pool 3.3 (``_connect``, ``_add_connection``);
tests/cluster/test_pool.py restarts PostgreSQL under load to hold it to this.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

import psycopg
import psycopg_pool
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool.base import AttemptWithBackoff

# How often a lost connection is tried again while the database is away: the longest a
# request waits before its 503 during an outage, and the longest after it is back.
RETRY_DELAY = 0.5


class SteadyRetry(AttemptWithBackoff):
    """Try again every ``RETRY_DELAY`` seconds (±10%) instead of doubling the wait each time."""

    INITIAL_DELAY = RETRY_DELAY
    DELAY_BACKOFF = 1.0


class ConnectionPool(psycopg_pool.ConnectionPool):
    """A pool whose clients fail fast while the database is down and recover as soon as it is up."""

    def __init__(self, *args: Any, check: Any = None, **kwargs: Any) -> None:
        # The check runs in getconn() below, without psycopg_pool's sleeps between failures.
        self._check_on_get = check
        super().__init__(*args, **kwargs)

    def getconn(self, timeout: float | None = None) -> Any:
        """A healthy connection: idle ones that fail the check are closed and replaced, with no pause."""
        if timeout is None:
            timeout = self.timeout
        deadline = monotonic() + timeout
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise psycopg_pool.PoolTimeout(f"couldn't get a connection after {timeout:.2f} sec")
            conn = super().getconn(remaining)
            if self._check_on_get is None:
                return conn
            try:
                self._check_on_get(conn)
            except Exception:  # noqa: BLE001 (any failure: the connection is not used again)
                # Closed, the returned connection is discarded and a new one opened in the background.
                conn.close()
                self.putconn(conn)
                continue
            return conn

    def _connect(self, timeout: float | None = None) -> Any:
        try:
            return super()._connect(timeout)
        except Exception as error:
            # The database refuses or is away: the requests waiting would wait for nothing.
            self._fail_waiting(error)
            raise

    def _fail_waiting(self, error: Exception) -> None:
        with self._lock:
            waiting = list(self._waiting)
            self._waiting.clear()
        for position in waiting:
            # One exception each: the waiting threads raise it side by side.
            position.fail(psycopg.OperationalError(f"cannot connect to the database: {error}"))

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        super()._add_connection(attempt or SteadyRetry(timeout=self.reconnect_timeout), growing=growing)


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> ConnectionPool | None:
        options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias != NO_DB_ALIAS and options and self.alias not in self._connection_pools:
            # As Django's own property does, with this module's class.
            pool = ConnectionPool(
                kwargs={**self.get_connection_params(), "autocommit": True},
                open=False,
                configure=self._configure_connection,
                **{
                    "check": ConnectionPool.check_connection if self.settings_dict["CONN_HEALTH_CHECKS"] else None,
                    **(options if isinstance(options, dict) else {}),
                },
            )
            self._connection_pools.setdefault(self.alias, pool)
        return super().pool
