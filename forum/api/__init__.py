"""The forum's part of the REST API (mounted by config/api.py; docs/api.md)."""
