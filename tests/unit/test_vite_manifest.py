"""The page template finds the hashed front-end files through the Vite manifest."""

import json
import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from designer.pages.vite import entry_assets, load_manifest

MANIFEST = {
    "src/main.tsx": {
        "file": "assets/main-abc.js",
        "isEntry": True,
        "css": ["assets/main-abc.css"],
        "imports": ["_vendor.js"],
    },
    "_vendor.js": {"file": "assets/vendor-def.js", "css": ["assets/vendor-def.css"]},
}


def test_entry_lists_its_script_styles_and_preloads_following_imports() -> None:
    assets = entry_assets("src/main.tsx", MANIFEST)
    assert assets.script == "assets/main-abc.js"
    assert assets.css == ("assets/main-abc.css", "assets/vendor-def.css")
    assert assets.preload == ("assets/vendor-def.js",)


def test_unknown_entry_is_a_clear_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"src/other\.tsx"):
        entry_assets("src/other.tsx", MANIFEST)


def test_missing_build_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="make frontend"):
        load_manifest(tmp_path / "manifest.json")


def test_a_rebuild_is_picked_up_while_serving(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MANIFEST))
    assert load_manifest(path)["src/main.tsx"]["file"] == "assets/main-abc.js"
    rebuilt = {
        **MANIFEST,
        "src/main.tsx": {**MANIFEST["src/main.tsx"], "file": "assets/main-new.js"},
    }
    path.write_text(json.dumps(rebuilt))
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    assert load_manifest(path)["src/main.tsx"]["file"] == "assets/main-new.js"
