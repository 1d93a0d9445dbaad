"""Markdown as users write it: rendered to sanitised HTML, or reduced to plain text."""
from __future__ import annotations

import html
import re
import threading

import markdown as md
import nh3

EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]
TAGS = {"p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del", "img"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
# What could make Markdown more than paragraphs and line breaks: inline markup, HTML, entities, escapes,
# and at a line's start a list, heading underline, quote or code indent (STX/ETX are Markdown's own
# placeholders). Text without any of it is its own plain text, whitespace aside. Two searches: one
# alternation of both takes twice as long.
MARKUP_CHARS = re.compile(r"[*_`\[\]!<>&|~\\#\x02\x03]")
MARKUP_LINES = re.compile(r"^[ \t]*(?:[-+=]|\d+[.)])|^(?: {4}|\t)", re.M)
_local = threading.local()


def _markdown(text: str) -> str:
    """Markdown to raw HTML with this thread's converter: building one costs more than converting."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(extensions=EXTENSIONS, output_format="html")
    try:
        return converter.convert(text)
    finally:
        converter.reset()


def render_markdown(text: str | None) -> str:
    """Markdown to HTML that is safe to show: raw HTML, scripts and javascript: links are removed."""
    rendered = _markdown(text or "")
    return nh3.clean(rendered, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


def plain_text(text: str | None) -> str:
    """Markdown reduced to its words, for snippets, e-mail previews and the index."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")  # Markdown's line ends too, so ^ sees every line
    if not has_markup(text):
        return _spaced(text)  # most tickets are plain prose: the converter would take ~0.15 ms a text
    rendered = _markdown(text)
    rendered = re.sub(r"</(p|li|h\d|tr|pre|blockquote)>|<br\s*/?>", " \n", rendered)
    return _spaced(html.unescape(nh3.clean(rendered, tags=set())))


def has_markup(text: str) -> bool:
    """Whether Markdown could make the text more than paragraphs and line breaks (its line ends \\n)."""
    return bool(MARKUP_CHARS.search(text) or MARKUP_LINES.search(text))


def _spaced(text: str) -> str:
    """Every run of whitespace one space, none at the ends (as re's \\s+, three times as fast)."""
    return " ".join(text.split())


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def spreadsheet_cell(value) -> object:
    """A value for a CSV cell that a spreadsheet opens as text, never as a formula (OWASP's rule): a text
    starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe. Numbers, a negative one
    too, stay numbers."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START) or PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def spreadsheet_rows(rows) -> list[list]:
    """Every cell of `rows` made safe with spreadsheet_cell: what every CSV file kb writes goes through."""
    return [[spreadsheet_cell(cell) for cell in row] for row in rows]
