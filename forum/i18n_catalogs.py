"""Compiling the translation catalogs (locale/*/LC_MESSAGES/*.po) to the .mo files Django reads.

Pure Python (polib), so a fresh machine needs no GNU gettext: ``make run`` and ``make test`` call
``manage.py compile_catalogs``; the .mo files are build output, not in git. ``stale`` is what the
test suite checks, so a catalog edited without compiling cannot pass unnoticed (docs/i18n.md).
"""

from pathlib import Path

import polib
from django.conf import settings


def catalogs() -> list[Path]:
    """Every .po file under LOCALE_PATHS."""
    return sorted(po for base in settings.LOCALE_PATHS for po in Path(base).glob("*/LC_MESSAGES/*.po"))


def _entries(catalog: polib._BaseFile) -> dict[tuple[str, str], tuple[str, ...]]:
    """What a compiled catalog carries: translated, non-fuzzy entries (as msgfmt compiles them)."""
    found = {}
    for entry in catalog:
        # A .mo entry is compiled, so translated by definition; a .po entry must be translated and not fuzzy.
        translated = entry.translated() if hasattr(entry, "translated") else True
        if getattr(entry, "obsolete", False) or "fuzzy" in getattr(entry, "flags", ()) or not translated:
            continue
        forms = tuple(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)) if entry.msgid_plural else ()
        found[(entry.msgctxt or "", entry.msgid)] = forms or (entry.msgstr,)
    return found


def stale(po_path: Path) -> str:
    """Why the .mo beside ``po_path`` does not match it ("" when it does)."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return f"{mo_path} is missing"
    if _entries(polib.pofile(str(po_path))) != _entries(polib.mofile(str(mo_path))):
        return f"{mo_path} does not match {po_path.name}"
    return ""


def compile_all() -> list[Path]:
    """Write every stale .mo; returns the ones written."""
    written = []
    for po_path in catalogs():
        if stale(po_path):
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            written.append(po_path.with_suffix(".mo"))
    return written
