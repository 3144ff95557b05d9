"""Swarm models: escalations, claims, presence (built on forum's threads and vendors)."""
