"""`{% vite_assets "src/main.tsx" %}`: the <link> and <script> tags of a Vite entry point."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from designer.pages.vite import entry_assets

register = template.Library()


def _url(file: str) -> str:
    return static(f"dist/{file}")


def _urls(files: tuple[str, ...]) -> list[tuple[str]]:
    return [(_url(f),) for f in files]


@register.simple_tag
def vite_assets(entry: str) -> SafeString:
    """Stylesheets, module preloads and the module script of the entry, through the manifest."""
    assets = entry_assets(entry)
    css = format_html_join("\n", '<link rel="stylesheet" href="{}">', _urls(assets.css))
    preload = format_html_join("\n", '<link rel="modulepreload" href="{}">', _urls(assets.preload))
    script = format_html('<script type="module" src="{}"></script>', _url(assets.script))
    return format_html("{}\n{}\n{}", css, preload, script)
