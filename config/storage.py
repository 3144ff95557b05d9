"""Static files storage: hashed, compressed names once ``collectstatic`` has run (docs/deploy.md)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage that still works before ``collectstatic``.

    Choosing the storage by whether the manifest exists at import time meant ``collectstatic`` itself ran
    with the plain storage and never wrote a manifest, so nothing was ever hashed or cached for long.
    Now the manifest storage is always chosen; only while no manifest has been collected (tests, a fresh
    checkout) do pages link the plain names, which the finders serve.
    """

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return super().stored_name(name)
