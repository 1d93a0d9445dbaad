"""Text analysis of the experience database: one analyzer per language, used for indexing and querying alike.

Each word becomes terms at one position: first the whole word's term, then its compound parts (parts
of parts included), then the fallback term of a lemma with å/ä/ö ("~" and the lemma folded: "~andra"
for ändra), last the word as written ("=ändrade"), so phrases still see one word per position. The
whole word's term is simplemma's lemma (its dictionary, then its rules) in lower case with å/ä/ö kept
(other diacritics folded): "ändra" and "andra" (annan) stay apart. A word typed without å/ä/ö that only
a spelling with them makes a word gets that word's lemma ("arendet" -> ärende); one that is a word
itself keeps its own ("andra" -> annan, "lag" -> lag) and finds the lettered ones through its fallback
terms (`KbAnalyzer.typed_fallbacks`: "andra" -> ~annan, ~andra), which a query uses only for a word
typed without å/ä/ö. A compound is split at its longest known head with a known modifier before it.
Whoosh's query parser asks without positions and gets whole-word terms only; kb's query builder asks
with positions and gets the parts as well (it ORs a word with the AND of its parts).

Figures from benchmarks/conflation.py on the full UD dev treebanks (word types; recall / precision of
"same first term" against "same gold lemma"; "typed" = share of words with å/ä/ö that, typed without
them, get the same first term, in brackets: or reach it by a fallback term; compounds = Finnish `#`
lemmas with all parts among the terms; the rows below the second were measured with folded lemma terms):

| variant | sv recall / precision | fi recall / precision | sv / fi typed | fi compounds |
| --- | --- | --- | --- | --- |
| Whoosh Snowball (`LanguageAnalyzer`) | 0.521 / 0.648 | 0.275 / 0.794 | – | – |
| PyStemmer alone | 0.555 / 0.642 | 0.290 / 0.791 | – | – |
| simplemma alone (not folded) | 0.911 / 0.904 | 0.790 / 0.953 | – | – |
| **this analyzer** | 0.916 / 0.904 | 0.789 / 0.955 | 0.810 / 0.793 (0.979 / 0.905 with fallbacks) | 0.774 |
| lemma terms folded (before the fallback terms) | 0.916 / 0.877 | 0.789 / 0.954 | 0.904 / 0.865 | 0.774 |
| + PyStemmer after the lemma | 0.963 / 0.619 | 0.818 / 0.839 | 0.948 / 0.905 | 0.777 |
| folding before lemmatizing | 0.839 / 0.811 | 0.741 / 0.944 | 1 / 1 | 0.765 |
| no å/ä/ö restoration | 0.916 / 0.877 | 0.789 / 0.952 | 0.484 / 0.468 | 0.774 |
| no compound splitting | 0.910 / 0.876 | 0.789 / 0.951 | 0.908 / 0.853 | 0 |
| simplemma greedy mode | 0.918 / 0.876 | 0.790 / 0.951 | 0.896 / 0.866 | 0.774 |

- No stemming: after lemmatizing it buys 3-5 points of recall for 11-26 points of precision.
- Å/ä/ö are kept in lemma terms: folding them cost Swedish 2.7 points of precision (0.877 folded) and
  Finnish 0.1. Folding merges 1,105 groups of 2,296 of the Swedish dictionary's 128,257 lemmas and 419
  groups of 841 of the Finnish 124,421 (låg/lag, väg/våg, vård/värd, bära/bara, sää/saa, jää/jaa); in the
  dev treebanks 9 Swedish groups (18 lemmas, 29 wrongly conflated form pairs) and 5 Finnish (10 lemmas, 11
  pairs). "typed" is the share of words with å/ä/ö whose first term, typed without them, is theirs: it
  fell from 0.904 / 0.865 because a word that is a word without its letters now keeps its own lemma
  ("lag" is lag, not låg); counting the fallback terms too, 0.979 / 0.905, and the only words it loses
  against folding are function words, which get no fallback ("när" typed "nar", Finnish "minä", "tämä").
  The fallback terms add 10% (sv) and 6% (fi) to the term occurrences of the relevance sets' documents.
- A word the dictionary does not know is looked up again with a/o turned into å/ä/ö
  (fewest changes first), and so are compound parts of such a word ("kayttaja|tunnuksen").
- Compounds: parts of 3+ letters, words of 6+; a modifier is a base form, a Finnish genitive
  ("viikon|loppu"), -s for a -nen word ("yleis|kuva"), or a Swedish stem before a link s/e/u/o
  ("leverantör|s", "löne", "hälso"); stop words are never parts. A word the dictionary knows is
  split through its lemma, whose head must itself be a lemma ("kaikissa" is not kai + kissa), so
  every form gets the same parts; in Swedish a 3-letter part of such a word needs a part of 5+ letters
  beside it ("bilaga", "betala", "kammarkollegium" stay whole; "lösen|ord" splits): 302 of 3,101 split
  Swedish dictionary lemmas of the relevance texts stay whole, all 3+3 cuts among them (kont|akt,
  prog|ram, per|son; also sjuk|hus). Finnish 3-letter parts are mostly words (työ, maa): the same rule on
  TDT took split precision of known words 0.741 -> 0.795 for compound recall 0.791 -> 0.763, so not there.
  Finnish head found 84.7%, all parts 77.4%, and 77% of the words
  split are gold compounds; a head of 4+ letters gave 74.6% / 81.5%, parts of 4+ 71.1% / 80.6%.
  On Swedish retrieval (below) splitting lifts SweFAQ MRR@10 0.641 -> 0.654, Turku 0.827 -> 0.829.
- An unknown compound's whole-word term is its modifier as written (typed without å/ä/ö, with them
  back: "semesterlone|skuld" -> semesterlöneskuld) and its head's lemma, also
  when simplemma's rules cut a base form down to its modifier ("käyttäjäryhmä" -> käyttäjä, while
  "käyttäjäryhmän" -> käyttäjäryhmä): with that, Finnish precision 0.951 -> 0.954 at recall 0.789
  (heads of 3 letters are left alone: mostly endings, "korva|ani"). The other rows above were
  measured before it.
- Two dictionary readings are overridden: a word with its own inflected forms never becomes a
  function word ("työ" is work, not dialect "sinä"), and a Swedish bare stem is never a form of an
  -ar verb ("avgift" is not "avgifta": no form of an -ar verb is its bare stem). Talbanken lemma
  accuracy 91.1% -> 91.7% and Finnish compounds 75.2% -> 77.4%, for 0.4 points of sv precision.
- Stop words are kept: with Whoosh's sv list removed, MRR@10 on Turku paraphrases fell 0.829 ->
  0.731 and on SweFAQ went 0.654 -> 0.646 (ranked OR queries over all documents, BM25F). There is
  nothing for `removestops` to remove.

Speed: each distinct lower-cased token is analysed once per process and cached (a plain dict,
cleared past 200k entries), so a known token costs a regex match and a dict lookup (about a million
words/s warm on one core; tens of thousands cold). The dictionaries are simplemma's, read from MARISA
tries (indexer/lexicon.py): 23 MB and milliseconds to open, where simplemma's own dicts take some
550 MB and 4 s; a lookup costs under a microsecond instead of a tenth of one.
"""
from __future__ import annotations

import itertools
import re
import unicodedata

import Stemmer
from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from whoosh.analysis import Token, Tokenizer
from whoosh.lang import stopwords_for_language

from kb.config import LANGUAGES

from .lexicon import LEXICON


# A word: letters/digits (with combining marks, so decomposed å stays one word) joined by . or -
# ("2024.1", "ISO-20022"), a comma only between digits ("12,50"), then an optional :suffix
# that Finnish and Swedish glue onto abbreviations ("ALV:n", "SAP:s").
_CHAR = r"(?:\w|[\u0300-\u036f])"
TOKEN = re.compile(rf"{_CHAR}+(?:(?:[.\-]|(?<=\d),(?=\d)){_CHAR}+)*(?::[^\W\d_]{{1,4}}(?!{_CHAR}))?")
JOINERS = re.compile(r"[.\-,]")

CACHE_LIMIT = 200_000
MAX_WORD = 40  # longer tokens are hashes or URLs: kept whole, and splitting them would be quadratic
MIN_COMPOUND = 6
MIN_PART = 3
MIN_HEAD = 3
MIN_CUT_HEAD = 4  # shortest head put back on a base form; shorter ones are mostly endings ("korva|ani")
MIN_STEM = 4  # shortest Swedish stem whose dropped -a/-e is restored: shorter ones match too many verbs
MAX_RESTORE = 64  # spellings tried for a word typed without å/ä/ö; more means a long word, rarely mistyped
# A word the dictionary knows is split with stricter parts: a part of fewer than MIN_KNOWN_PART letters
# needs a part of KNOWN_SHORT_PARTNER+ letters beside it (None: no stricter rule). Swedish 3-letter parts
# of known words are mostly fragments ("bil|aga", "bet|ala", "kam|mar"), Finnish ones whole words
# ("työ|kalu", "maa|ilma"; on TDT the rule cost 2.8 points of compound recall for 5.4 of precision).
MIN_KNOWN_PART = 4
KNOWN_SHORT_PARTNER = {"sv": 5, "fi": None}
# A word neither the dictionary nor its rules know, and no compound, is stemmed (Snowball): names and
# loanwords inflect too ("Belkon", "Belkoa" -> belko). nq-fi MRR@10 0.412 -> 0.430, dolly-fi-qa
# 0.613 -> 0.617 (1 000 dev queries each); conflation fi 0.789 -> 0.791 at precision 0.955 -> 0.954.
STEMMERS = {"sv": "swedish", "fi": "finnish"}
LINKS = {"sv": ("s", "e", "u", "o"), "fi": ()}
SV_S_LINKED = ("ning", "het", "tion", "nad", "else", "skap", "dom", "ande", "ende", "itet", "ism", "ion")
RESTORE = {"sv": {"a": "aåä", "o": "oö"}, "fi": {"a": "aä", "o": "oö"}}
# Letters NFKD does not decompose.
_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l", "đ": "d"})

# No rule cache here: each word is lemmatized once, then served from the analyzer's own cache.
_LEMMATIZER = Lemmatizer(cache_max_size=0, lemmatization_strategy=DefaultStrategy(dictionary_factory=LEXICON))
_STOP = {language: frozenset(stopwords_for_language(language)) for language in LANGUAGES}


def fold(text: str) -> str:
    """Lower-case and strip diacritics: 'Ärendet' -> 'arendet', 'päivitys' -> 'paivitys'."""
    text = text.lower()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in text if not unicodedata.combining(c))


_KEPT = frozenset("åäö")


def spelled(text: str) -> str:
    """An index term's spelling: lower case, å/ä/ö kept, other diacritics folded: 'Ändrade' -> 'ändrade',
    'Idé' -> 'ide'."""
    text = unicodedata.normalize("NFC", text.lower())
    if text.isascii():
        return text
    return "".join(c if c in _KEPT else fold(c) for c in text)


class _LanguageWords:
    """The terms of one lower-cased word in one language: lemma, compound parts, folded."""

    def __init__(self, language: str):
        self.language = language
        self.stop = _STOP[language]
        self.restore_table = RESTORE[language]
        self._dictionary = None

    @property
    def stemmer(self):
        if self._stemmer is None:
            self._stemmer = Stemmer.Stemmer(STEMMERS[self.language])
        return self._stemmer

    _stemmer = None

    @property
    def dictionary(self):
        # Loaded on first use: importing the schema must stay cheap for the web app and the CLI.
        if self._dictionary is None:
            self._dictionary = LEXICON.get_dictionary(self.language)
        return self._dictionary

    def terms(self, word: str) -> tuple[str, ...]:
        """Index terms of a lower-cased token, the whole word's first."""
        word = unicodedata.normalize("NFC", word.split(":", 1)[0])
        segments = JOINERS.split(word)
        if len(segments) > 1:
            return self.joined_terms(word, segments)
        if len(word) > MAX_WORD or not word.isalpha():
            return (spelled(word),)
        whole, parts = self.analyse(word)
        return _unique([whole, *parts])

    def joined_terms(self, word: str, segments: list[str]) -> tuple[str, ...]:
        """'ISO-20022' -> iso20022, iso, 20022; 'SEPA-betalningen' -> sepabetalning, sepa, betalning."""
        if not all(segments):
            return (spelled(word),)
        if "-" not in word:
            # Dots: "2024.1" and "t.ex" stay whole; "inte.Sedan" (a missing space) also gives its words.
            if all(len(s) > 1 and s.isalpha() for s in segments):
                return _unique([spelled(word), *(t for segment in segments for t in self.terms(segment))])
            return (spelled(word),)
        inner = [self.terms(segment) for segment in segments]
        joined = "".join(segments)
        whole = spelled(self.known_lemma(joined) or "".join(segments[:-1]) + inner[-1][0]) \
            if joined.isalpha() else spelled(joined)
        return _unique([whole, *(term for terms in inner for term in terms)])

    def analyse(self, word: str) -> tuple[str, list[str]]:
        """(whole-word term, folded part lemmas) of an alphabetic word."""
        written = word if self.lookup(word) is not None else self.restored(word) or word
        lemma = self.known_lemma(written)
        lemmas = _Splitter(self, restore=False, known=True)  # lemmas come from the dictionary, spelled right
        if lemma is not None:
            # Split the lemma, not the form, so that every form of a word gets the same parts.
            parts = lemmas.lemma_parts(lemma)
        else:
            # Parts of a word typed without å/ä/ö may need them back too: "kayttaja|tunnuksen".
            split = _Splitter(self, restore=written.isascii()).decompose(written) \
                if len(written) >= MIN_COMPOUND else None
            parts = [p for part in split[1] for p in (part, *lemmas.lemma_parts(part))] if split else []
            lemma = _LEMMATIZER.lemmatize(written, self.language).lower()
            head = split[1][-1] if split else ""
            if split and (lemma == written or (lemma in (written[:split[0]], *split[1][:-1])
                                               and written[split[0]:] == head and len(head) >= MIN_CUT_HEAD)):
                # An unknown compound ("leverantörsfakturan"): its modifier as written, its head's lemma.
                # Also when simplemma's rules cut a base form's head off ("käyttäjäryhmä" -> käyttäjä,
                # but "käyttäjäryhmän" -> käyttäjäryhmä).
                lemma = written[:split[0]] + head
            if split and written.isascii() and lemma.startswith(written[:split[0]]):
                # A modifier typed without å/ä/ö gets them back ("semesterlone|skuld" -> semesterlöneskuld,
                # "kayttaja|ryhmä" -> käyttäjäryhmä), so that both spellings have one whole-word term.
                lemma = self.shown_modifier(written[:split[0]]) + lemma[split[0]:]
            if not split and lemma == written:
                lemma = self.stemmer.stemWord(written)
        return spelled(lemma), [spelled(part) for part in parts]

    def lookup(self, word: str) -> str | None:
        return self.dictionary.get(word)

    def known_lemma(self, word: str) -> str | None:
        """The dictionary lemma of a word, or None when the dictionary does not know it."""
        lemma = self.lookup(word)
        if lemma is None:
            return None
        lemma = lemma.lower()
        if lemma in self.stop and word not in self.stop and self.has_own_forms(word):
            return word  # "työ" (work) is no dialect "sinä": a content word never becomes a function word
        if self.language == "sv" and lemma == word + "a" and word not in self.stop \
                and self.lookup(word + "ar") == lemma:
            return word  # a bare stem is no form of an -ar verb: "avgift" is not "avgifta"
        return lemma

    def has_own_forms(self, word: str) -> bool:
        """Whether the dictionary inflects the word as a lemma of its own (its -n or -t form)."""
        return self.lookup(word + "n") == word or self.lookup(word + "t") == word

    def fallbacks(self, word: str, terms: tuple[str, ...]) -> tuple[str, ...]:
        """The fallback terms of a token typed without å/ä/ö: its own lemma's and those of its spellings
        with å/ä/ö that the dictionary knows, folded; () when it has å/ä/ö. Its own lemma's fallback is
        kept when that lemma has å/ä/ö already ('arendet' -> ärende, ~arende): a restored spelling may be
        the wrong one ('gora' -> gorå, not göra), and the fallback still finds göra."""
        word = unicodedata.normalize("NFC", word.split(":", 1)[0])
        if fold(word) != word or not word.isalpha():
            return ()
        lemmas = [terms[0], *(self.known_lemma(s) for s in self.spellings(word)[1:] if self.lookup(s) is not None)]
        # Only terms an index holds: a lemma without å/ä/ö has no fallback term ("andra" -> ~andra of
        # ändra, not ~annan); asking for one cost a look-up per field, and its missing term weighed the
        # word at the highest idf in the share of the query a hit holds.
        return _unique(term for term in (fallback_term(lemma, self.language) for lemma in lemmas if lemma) if term)

    def restored(self, word: str) -> str | None:
        """The dictionary's spelling of a word typed without å/ä/ö ('arendet' -> 'ärendet'), or None."""
        return next((c for c in self.spellings(word)[1:] if self.lookup(c) is not None), None)

    def spellings(self, word: str) -> list[str]:
        """The word and its spellings with å/ä/ö for a and o, fewest changes first; [] past MAX_RESTORE."""
        if not word.isascii():
            return [word]
        slots = [self.restore_table.get(c, c) for c in word]
        count = 1
        for options in slots:
            count *= len(options)
        if count > MAX_RESTORE:
            return []
        return sorted(("".join(c) for c in itertools.product(*slots)), key=lambda c: sum(a != b for a, b in zip(c, word)))

    def shown(self, term: str) -> str:
        """A folded term as a word to show: the dictionary's lemma spelled so, else a compound of shown
        parts, else a form the dictionary knows, else the term."""
        if not term.isalpha():
            return term
        spellings = self.spellings(term)
        lemma = next((s for s in spellings if (self.lookup(s) or "").lower() == s), None)
        if lemma:
            return lemma
        split = _Splitter(self, restore=True).decompose(term) if len(term) >= MIN_COMPOUND else None
        if split:
            return self.shown_modifier(term[:split[0]]) + self.shown(term[split[0]:])
        return next((s for s in spellings if self.lookup(s) is not None), term)

    def shown_modifier(self, text: str) -> str:
        """A compound's first part as written in it: a shown word, or a shown stem and its link."""
        shown = self.shown(text)
        if shown != text:
            return shown
        for link in LINKS[self.language]:
            if text.endswith(link) and len(text) - len(link) >= MIN_PART:
                stem = self.shown(text[:-len(link)])
                if stem != text[:-len(link)]:
                    return stem + link
        return text


class _Splitter:
    """Compound splitting of one word: the longest known head, then a known modifier before it."""

    def __init__(self, words: _LanguageWords, restore: bool, known: bool = False):
        self.words = words
        self.language = words.language
        self.restore = restore  # whether parts may be typed without å/ä/ö
        # Whether the word is one the dictionary knows whole: then its parts must be clearly words.
        self.partner = KNOWN_SHORT_PARTNER[self.language] if known else None

    def lemma_parts(self, lemma: str) -> list[str]:
        """All parts of a lemma, parts of parts included, so a part's own terms are among the compound's."""
        split = self.decompose(lemma, base=True) if len(lemma) >= MIN_COMPOUND and lemma.isalpha() else None
        return [p for part in split[1] for p in (part, *self.lemma_parts(part))] if split else []

    def decompose(self, word: str, base: bool = False) -> tuple[int, list[str]] | None:
        """(where the head starts, [modifier lemmas..., head lemma]) with the longest known head."""
        for i in range(MIN_PART, len(word) - MIN_HEAD + 1):
            if self.language == "sv" and word[i] == "s" and word.endswith(SV_S_LINKED, 0, i) \
                    and i + 1 <= len(word) - MIN_HEAD:
                # These Swedish suffixes always link with -s-: "betalnings|villkor", not "betalning|svillkor".
                split = self.split_at(word, i + 1, base)
                if split:
                    return split
            split = self.split_at(word, i, base)
            if split:
                return split
        return None

    def split_at(self, word: str, i: int, base: bool) -> tuple[int, list[str]] | None:
        if self.partner and min(i, len(word) - i) < MIN_KNOWN_PART and max(i, len(word) - i) < self.partner:
            return None  # "bil|aga", "bet|ala", "kam|mar": a known word is not cut into two short fragments
        head = self.part(word[i:])
        # A lemma's head is a lemma too: "kaikki" is not kai + a form of kissa.
        if head is None or (base and head[1] != head[0]):
            return None
        modifiers = self.modifier(word[:i])
        return (i, [*modifiers, head[1]]) if modifiers else None

    def part(self, text: str) -> tuple[str, str] | None:
        """(dictionary spelling, lemma) of a string usable as a compound part, or None."""
        words = self.words
        if text in words.stop:
            return None
        spelled = text if words.lookup(text) is not None else self.restore and words.restored(text)
        lemma = words.known_lemma(spelled) if spelled else None
        if lemma is None or lemma in words.stop or not lemma.isalpha():
            return None
        return spelled, lemma

    def modifier(self, text: str) -> list[str] | None:
        """The lemmas of a compound's first part, or None when it is not one."""
        if len(text) < MIN_PART:
            return None
        lemma = self.base_form(text)
        if lemma:
            return [lemma]
        found = self.part(text)
        if self.language == "fi" and found and text.endswith("n") and _close(*found):
            return [found[1]]  # Finnish modifiers are also genitives: "viikon|loppu", "tilin|tarkastus"
        for link in LINKS[self.language]:
            stem = text[:-len(link)]
            lemma = self.linked_base(stem, link) if text.endswith(link) and len(stem) >= MIN_PART else None
            if lemma:
                return [lemma]
        if self.language == "fi" and text.endswith("s"):
            found = self.part(text[:-1] + "nen")  # "yleis|kuva": -nen words compound as -s
            if found:
                return [found[1]]
        split = self.decompose(text)
        return split[1] if split else None

    def base_form(self, text: str) -> str | None:
        """The text's lemma when the text is that lemma's base form, else None."""
        found = self.part(text)
        # Folded, so that a base form typed without å/ä/ö counts ("kayttaja" for käyttäjä).
        return found[1] if found and fold(found[1]) == fold(text) else None

    def linked_base(self, stem: str, link: str) -> str | None:
        """The lemma of a Swedish modifier's stem before its link: "löne" -> lön, "arbets" -> arbete, "hälso" -> hälsa."""
        lemma = self.base_form(stem)
        if lemma or len(stem) < MIN_STEM:
            return lemma
        # An -a or -e noun drops its vowel before the link.
        return self.base_form(stem + ("e" if link == "s" else "a"))


def _close(text: str, lemma: str) -> bool:
    """Whether a lemma can be the base of a modifier: about as long, same start (not an abbreviation)."""
    keep = min(len(text), len(lemma)) - 2
    return abs(len(text) - len(lemma)) <= 2 and text[:keep] == lemma[:keep]


def _unique(terms) -> tuple[str, ...]:
    return tuple(dict.fromkeys(term for term in terms if term))


def _surface(word: str) -> tuple[str, ...]:
    """A lower-cased token as written, folded, in its pieces: 'alv:n' -> alv, '2024.1' -> 2024, 1."""
    return _unique(fold(piece) for piece in JOINERS.split(word.split(":", 1)[0]))


_WORDS = {language: _LanguageWords(language) for language in LANGUAGES}
_CACHES: dict[str, dict[str, tuple[str, ...]]] = {language: {} for language in LANGUAGES}
_FALLBACK_CACHES: dict[str, dict[str, tuple[str, ...]]] = {language: {} for language in LANGUAGES}


class KbAnalyzer(Tokenizer):
    """Tokenizer and word analysis in one pass; each word's terms come from a per-process cache."""

    is_morph = True  # lemmas are not the words as written

    def __init__(self, language: str):
        self.language = language

    def __eq__(self, other):
        return type(other) is type(self) and other.language == self.language

    def __hash__(self):
        return hash((type(self), self.language))

    def __reduce__(self):
        # Pickles as its language only: a worker process rebuilds it and its caches itself.
        return (_analyzer_for, (self.language,))

    def typed_fallbacks(self, word: str) -> tuple[str, ...]:
        """The fallback terms ('~' + folded lemma) a lower-cased token typed without å/ä/ö may stand for,
        cached; () for a word typed with them. 'andra' -> ('~andra',) (ändra), 'lag' -> ('~lag',) (låg)."""
        cache = _FALLBACK_CACHES[self.language]
        terms = cache.get(word)
        if terms is None:
            terms = _WORDS[self.language].fallbacks(word, self.word_terms(word))
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[word] = terms
        return terms

    def words(self, value: str) -> list[str]:
        """The words of a text as written, in order: each is one position, its terms those of its
        lower-cased form (`word_terms`)."""
        return TOKEN.findall(value)

    def word_terms(self, word: str) -> tuple[str, ...]:
        """The terms of one lower-cased token, cached."""
        cache = _CACHES[self.language]
        terms = cache.get(word)
        if terms is None:
            terms = _WORDS[self.language].terms(word)
            folded = fallback_term(terms[0], self.language)
            if folded:
                terms += (folded,)
            form = surface_term(word, self.language)
            if form:
                terms += (form,)
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[word] = terms
        return terms

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", no_morph=False, **kwargs):
        assert isinstance(value, str), f"{value!r} is not str"
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        cache = _CACHES[self.language]
        # Compound parts only help a query built by position (kb's); Whoosh's parser, which asks
        # without positions, would AND them or put them into its phrases.
        whole_only = mode == "query" and not positions
        matches = TOKEN.finditer(value) if tokenize else [re.match(r".*", value, re.S)]
        pos = start_pos
        for match in matches:
            original = match.group()
            if not original:
                continue
            word = original.lower()
            # no_morph: Whoosh asks for the words as written (a spelling word list), folded here.
            terms = _surface(word) if no_morph else cache.get(word) or self.word_terms(word)
            for text in terms[:1] if whole_only else terms:
                token.text = text
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = original
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + match.start()
                    token.endchar = start_char + match.end()
                yield token
            pos += 1


# The title/problem/solution analyzer of Swedish tickets, for indexing and querying.
SWEDISH = KbAnalyzer("sv")
# The title/problem/solution analyzer of Finnish tickets, for indexing and querying.
FINNISH = KbAnalyzer("fi")

_ANALYZERS = {"sv": SWEDISH, "fi": FINNISH}


def _analyzer_for(language: str) -> KbAnalyzer:
    return _ANALYZERS[language]


def language_analyzer(language: str) -> KbAnalyzer:
    """The analyzer of a language's text fields (sv or fi): lemmas, compound parts, folded."""
    if language not in LANGUAGES:
        raise ValueError(f"no analyzer for language {language!r}")
    return _ANALYZERS[language]


def preload() -> None:
    """Open both lemma dictionaries now, e.g. before forking writer processes that would each open them."""
    for words in _WORDS.values():
        words.dictionary  # noqa: B018 (loads it)


def clear_caches() -> None:
    """Forget every cached word analysis (for cold-cache benchmarks)."""
    for cache in (*_CACHES.values(), *_FALLBACK_CACHES.values()):
        cache.clear()


def shown(term: str, language: str) -> str:
    """An index term as a word to show a user: a lemma term as it is ('ändra'), a fallback term or a
    folded word with its å/ä/ö back where the dictionary or its compound parts say so:
    '~semesterloneskuld' and 'semesterloneskuld' -> 'semesterlöneskuld'."""
    if is_fallback(term):
        term = term[len(FALLBACK):]
    return _WORDS[language].shown(term)


_FOLDED_STOP = {language: frozenset(fold(word) for word in words) for language, words in _STOP.items()}
SURFACE = "="  # marks the term of a word as written: "=fakturan" beside the lemma "faktura"
FALLBACK = "~"  # marks a lemma with å/ä/ö folded ("~andra" beside "ändra"), for words typed without them


def fallback_term(lemma: str, language: str) -> str | None:
    """The fallback term of a lemma term with å/ä/ö ('ändra' -> '~andra'), None for other lemmas and for
    function words: what a word typed without å/ä/ö (`KbAnalyzer.typed_fallbacks`) finds it by."""
    if lemma.isascii() or not lemma.isalpha() or lemma in _STOP[language]:
        return None
    folded = fold(lemma)
    return FALLBACK + folded if folded != lemma else None


def is_fallback(term: str) -> bool:
    return term.startswith(FALLBACK)


def surface_term(word: str, language: str) -> str | None:
    """The term of a lower-cased content word as written (å/ä/ö kept), or None for function words,
    numbers and codes: the same form in a document is stronger evidence than another form of its lemma."""
    word = unicodedata.normalize("NFC", word.split(":", 1)[0])
    if word in _STOP[language] or not any(c.isalpha() for c in word) or len(word) > MAX_WORD:
        return None
    return SURFACE + word


def is_surface(term: str) -> bool:
    return term.startswith(SURFACE)


# Function words that Whoosh's stop lists lack: Finnish question words (its Swedish list has hur, vad,
# när, vilken) and the Swedish modals "ska" and "måste" (it has kan, skulle, vill). In a question they
# say how it is asked, as the stop words do. Paired bootstrap on the dev queries: nq-fi MRR@10 +0.0020
# [+0.0010, +0.0032], dolly-fi-qa +0.0014 [+0.0004, +0.0026], tpc-fi +0.0000; SweFAQ +0.005
# [-0.003, +0.017], construction-faq-sv +0.0015 [0, +0.0045], Turku, swequad-mc-sv, squad2-sv-dev ±0.0001.
MORE_FUNCTION_WORDS = {"fi": frozenset({"kuinka", "miten", "milloin", "kumpi", "paljonko", "montako"}),
                       "sv": frozenset({"ska", "måste"})}


def is_function_word(word: str, term: str, language: str) -> bool:
    """Whether a query word is a function word (pronoun, auxiliary, conjunction, question word, ...): the
    word as typed or its index term is on the language's stop list ("mig" -> jag) or among
    MORE_FUNCTION_WORDS."""
    return word.lower() in _STOP[language] or term in _STOP[language] or term in _FOLDED_STOP[language] \
        or word.lower() in MORE_FUNCTION_WORDS[language]


def analyze(text: str, language: str) -> list[str]:
    """The index terms of a text in a language, in order."""
    return [token.text for token in language_analyzer(language)(text)]
