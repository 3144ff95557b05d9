"""Servers for the cluster tests: the swarm tests' Redis, started per test."""

from tests.swarm.conftest import redis, redis_url  # noqa: F401  (fixtures)
