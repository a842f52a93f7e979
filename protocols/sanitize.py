"""Protocol text is plain text or a small subset of Markdown.

It is cleaned twice: on the way in (no HTML tag is ever stored) and on the way out (the
rendered Markdown passes an nh3 allow-list), so neither a stored nor a rendered text can
carry a script or raw HTML, whichever channel wrote it.
"""
from __future__ import annotations

import html
import re

import markdown
import nh3

ALLOWED_TAGS = {"p", "br", "em", "strong", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_ROUNDS = 5


def clean_input(text: str | None) -> str:
    """Return the text without any HTML tag or control character.

    Entities are decoded after stripping so that the stored source stays readable Markdown; the
    loop repeats until nothing changes, so an escaped tag (``&lt;script&gt;``) cannot turn into
    a real one on a second pass.
    """
    value = _CONTROL.sub("", (text or "").replace("\r\n", "\n"))
    for _ in range(MAX_ROUNDS):
        stripped = html.unescape(nh3.clean(value, tags=set(), clean_content_tags={"script", "style"}))
        if stripped == value:
            break
        value = stripped
    else:
        value = html.escape(value, quote=False)
    return value.strip()


_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|1[.)])[ \t]+\S")
_FENCE = re.compile(r" {0,3}(?:```|~~~)")


def _lists_may_follow_a_line(text: str) -> str:
    """A list may start right under a line of text, as people type it ("Termine:" then "- Montag")
    and as CommonMark reads it; Python-Markdown wants an empty line first and would show the
    dashes as text. Adds that line before a list item that follows text, outside fenced code and
    outside a list already running; like CommonMark, only a numbered item "1." does so."""
    lines, fenced, in_list = [], False, False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            if not line.strip():
                in_list = False
            elif _LIST_ITEM.match(line):
                if not in_list and lines and lines[-1].strip():
                    lines.append("")
                in_list = True
        lines.append(line)
    return "\n".join(lines)


def render(text: str | None) -> str:
    """Render limited Markdown to HTML that passes the allow-list (safe to mark safe)."""
    raw = markdown.markdown(_lists_may_follow_a_line(text or ""), extensions=["sane_lists", "nl2br"],
                            output_format="html")
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer nofollow",
    )
