"""The community's own face on every page: name, logo, favicon, accent, links."""

import functools
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import URLValidator
from django.templatetags.static import static

HEX_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# WCAG AA for normal text on the white page: the accent colours every link.
MIN_CONTRAST = 4.5


def contrast_on_white(color: str) -> float:
    """WCAG contrast ratio of a #rrggbb colour against white."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def parse_links(text: str) -> list[tuple[str, str]]:
    """COMMUNITY_LINKS ("Label=https://url; Other=https://url") as (label, url)."""
    check = URLValidator(schemes=["http", "https"])
    links = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        label, _sep, url = part.partition("=")
        label, url = label.strip(), url.strip()
        try:
            check(url)
        except Exception:
            raise ImproperlyConfigured(
                f"COMMUNITY_LINKS: “{part.strip()}” is not Label=https://address."
            ) from None
        if not label:
            raise ImproperlyConfigured(f"COMMUNITY_LINKS: “{url}” has no label.")
        links.append((label, url))
    return links


def community_face() -> dict:
    """The configured identity (checked once per set of settings)."""
    return _face(
        settings.COMMUNITY_NAME,
        settings.COMMUNITY_TAGLINE,
        settings.COMMUNITY_LOGO_URL,
        settings.COMMUNITY_FAVICON_URL,
        settings.COMMUNITY_ACCENT_COLOR,
        settings.COMMUNITY_LINKS,
    )


@functools.lru_cache(maxsize=8)
def _face(name, tagline, logo_url, favicon_url, accent, links) -> dict:
    if not HEX_COLOR_RE.match(accent):
        raise ImproperlyConfigured(
            f"COMMUNITY_ACCENT_COLOR must be #rrggbb, not “{accent}”."
        )
    if contrast_on_white(accent) < MIN_CONTRAST:
        raise ImproperlyConfigured(
            f"COMMUNITY_ACCENT_COLOR {accent} is too light for links on white "
            f"(contrast {contrast_on_white(accent):.1f}, at least {MIN_CONTRAST})."
        )
    for setting, value in (
        ("COMMUNITY_LOGO_URL", logo_url),
        ("COMMUNITY_FAVICON_URL", favicon_url),
    ):
        if value and not value.startswith(("https://", "/")):
            raise ImproperlyConfigured(
                f"{setting} must be an https:// address or a /path on this site."
            )
    return {
        "name": name,
        "tagline": tagline,
        "logo_url": logo_url,
        "favicon_url": favicon_url or static("img/favicon.svg"),
        "accent": accent.lower(),
        "links": parse_links(links),
    }


def community(request) -> dict:
    return {"community": community_face()}
