"""Markdown as plain text: the shortcut for prose must give what the converter gives."""
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.text import _markdown, has_markup, plain_text, render_markdown

PROSE = st.text(alphabet=st.sampled_from(list("abcåäöÅ019 .,:;?()'\"/-=+%\t\n\r\x0b\x0c\x1c\u0085\u2028\u00a0")), max_size=200)
MARKDOWN = st.text(alphabet=st.sampled_from(list("ab1 .-=+*_`#>[]()!<&|~\\\t\n")), max_size=60)


def converted(text: str) -> str:
    """plain_text's slow path, always through Markdown."""
    import html
    import re

    import nh3
    rendered = re.sub(r"</(p|li|h\d|tr|pre|blockquote)>|<br\s*/?>", " \n", _markdown(text))
    return re.sub(r"\s+", " ", html.unescape(nh3.clean(rendered, tags=set()))).strip()


@settings(max_examples=400, deadline=None)
@given(PROSE)
def test_prose_shortcut_equals_markdown(text):
    assert plain_text(text) == converted(text)


@settings(max_examples=300, deadline=None)
@given(MARKDOWN)
def test_markup_always_goes_through_markdown(text):
    assert plain_text(text) == converted(text)


def test_markup_is_recognised():
    for text in ("**fet**", "- punkt", "1. steg", "Rubrik\n===", "    kod", "> citat", "a &amp; b", "<b>x</b>",
                 "[länk](http://x)", "a | b\n--|--", "~~~\nkod\n~~~", "# Rubrik"):
        assert has_markup(text), text
    assert not has_markup("Fakturan 2024-01 skickades inte (version 5.2), se steg 3.")
    assert plain_text("Första raden\nandra  raden\n\nNytt stycke.") == "Första raden andra raden Nytt stycke."
    assert plain_text("**Obs:** välj *Spara*") == "Obs: välj Spara"
    assert "<script>" not in render_markdown("<script>alert(1)</script>")
