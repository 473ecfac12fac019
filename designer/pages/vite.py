"""Read the Vite build manifest and name the hashed files an entry point needs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_cache: dict[str, tuple[float, dict[str, Any]]] = {}


@dataclass(frozen=True)
class EntryAssets:
    """The script, its CSS files and the chunks to preload for one entry point."""

    script: str
    css: tuple[str, ...]
    preload: tuple[str, ...]


def load_manifest(path: Path | None = None) -> dict[str, Any]:
    """Return the parsed manifest, re-read when the file changes (a rebuild while serving)."""
    path = Path(path or settings.VITE_MANIFEST)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError as exc:
        raise ImproperlyConfigured(
            f"The front end is not built: {path} is missing. Run `make frontend`."
        ) from exc
    cached = _cache.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    manifest: dict[str, Any] = json.loads(path.read_text())
    _cache[str(path)] = (mtime, manifest)
    return manifest


def entry_assets(entry: str, manifest: dict[str, Any] | None = None) -> EntryAssets:
    """The files (relative to the build's base) an entry needs, following its static imports."""
    manifest = manifest if manifest is not None else load_manifest()
    if entry not in manifest:
        raise ImproperlyConfigured(f"{entry} is not an entry of the Vite manifest.")
    css: list[str] = []
    preload: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        chunk = manifest[key]
        for sheet in chunk.get("css", []):
            if sheet not in css:
                css.append(sheet)
        for imported in chunk.get("imports", []):
            visit(imported)
            preload.append(manifest[imported]["file"])

    visit(entry)
    return EntryAssets(script=manifest[entry]["file"], css=tuple(css), preload=tuple(preload))
