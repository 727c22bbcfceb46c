"""Author names: cleaning metadata values and reading bylines.

A byline is a short line near the headline: ``By A and B``, ``Commentary by A``, ``von A``,
``Автор: A``, ``نویسنده: A``, or an element whose class says ``author``/``byline``. A short line
that is only a name and comes back at the end of the article as a signature
(``Name, Head of ...``) is a byline too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.extract.blocks import Block
from scraper.extract.boilerplate import in_widget, is_boilerplate_text
from scraper.extract.query import distinct
from scraper.extract.text import collapse, normalize_words

__all__ = [
    "byline_authors",
    "clean_authors",
    "complete_names",
    "looks_like_name",
    "split_names",
    "uninvert",
]

_BY = re.compile(
    r"^(?:(?:commentary|newsletter|report|analysis|article|essay|interview|op-ed|blog post"
    r"|podcast|review|brief|paper|testimony|written|posted|reported|words|text|story"
    r"|compiled)\s+)?by\s*[:\-]?\s+"
    r"|^(?:text|texte|textes|words)\s*:\s*"
    r"|^(?:(?:text|texte|words|interview|ein\s+beitrag|ein\s+artikel|veröffentlicht|geschrieben"
    r"|verfasst|erstellt|publié|publicado|pubblicato|scritto)\s+)?"
    r"(?:von|par|por|di|da|door|av|af|przez)\s+|(?-i:^By(?=[A-Z]))"
    r"|^(?:author|authors|auteur|autor|autoren|autores|автор|авторы|نویسنده|نویسندگان|الكاتب"
    r"|بقلم|کاتب)\s*[:：]?\s*",
    re.I,
)
_SPLIT = re.compile(
    r"\s*(?:,|;|\||&|\band\b|\bund\b|\bet\b|\by\b|\bи\b|\bو\b|،|\s/\s|\bavec\b|\bwith\b|\bmit\b"
    r"|\bcon\b|\((?=\s*(?:avec|with|and|mit|con|et|und)\b))\s*",
    re.I,
)
_SUFFIX = re.compile(
    r"\s*(?:\||[-–—]\s|\bon\b\s+\w+\s+\d|\bupdated\b|\bpublished\b|\bposted\b|\b\d{1,2}[./]\d"
    r"|\s(?:under|in|at)\s+[A-Z]|\bedited\s+by\b|\bwith\s+photos?\b|\bphotos?\s+by\b"
    r"|\billustrations?\s+by\b|\bfor\s+(?:the|[A-Z])|\s(?:am|le|el|il|on)\s+\d"
    # a date after the name: "By GILLIAN MOHNEY March 11, 2015"
    r"|\s(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}\b).*$",
    re.I,
)
_ROLE_WORDS = re.compile(
    r"\b(?:senior|fellow|director|president|professor|editor|correspondent|reporter|staff"
    r"|chair|head|office|communications|analyst|researcher|associate|manager|program|center"
    r"|institute|university|department|ceo|founder|host|contributor|columnist|writer|vice"
    r"|visiting|nonresident|non-resident|adjunct|distinguished|assistant|deputy|executive|chief"
    r"|former|research|professor|lecturer|member|coordinator|officer|specialist|project"
    r"|technologist|engineer|journalist|economist|scientist|counsel|attorney|multimedia"
    r"|communications|digital|press)\b",
    re.I,
)
_NOT_NAME = re.compile(
    r"https?://|www\.|@\w+\.|\d{3,}|\b(?:admin|administrator|staff|editor|editors|team|newsroom"
    r"|redaktion|desk|agency|press|news|unknown|anonymous|guest|none|null|share|print|email"
    r"|facebook|twitter|read|min|comments?|update[sd]?|published|subscribe|menu|search|home)\b",
    re.I,
)


def _search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``pattern.search(text)``, for one of the lower-case re.I patterns of :data:`_ASCII_TWINS`."""
    if text.isascii():
        return _ASCII_TWINS[pattern].search(text.lower())
    return pattern.search(text)


def looks_like_name(text: str, *, relaxed: bool = False) -> bool:
    """A person's name: 1-6 words, letters, no URL or digits, not a stock word.

    ``relaxed`` (text from explicit author markup) also accepts a one-word user name.
    """
    t = text.strip()
    if not t or len(t) > 60 or _search(_NOT_NAME, t):
        return False
    parts = t.split()
    if not 1 <= len(parts) <= 6:
        return False
    if not any(ch.isalpha() for ch in t):
        return False
    if any(ch in t for ch in "@,()[]{}<>=+#*©|«»→←•"):
        return False
    if any(w.casefold().rstrip(",;:") in _STOP for w in parts) or is_boilerplate_text(t):
        return False
    if _search(_ROLE_WORDS, t):
        return False
    if any(ch.isdigit() for ch in t) or "/" in t or re.search(r"['’]s\b|\sby\s", t):
        return False
    if t.endswith(".") and not re.search(r"\b\w\.$", t):
        return False
    if len(parts) == 1 and t[:1].isascii() and not t[:1].isupper():
        return relaxed and len(t) >= 2 and t.isalnum()
    # Latin-script names are capitalised, except particles (van, de, al-, bin...)
    latin = [p for p in parts if p[:1].isalpha() and ord(p[0]) < 0x250]
    if (
        latin
        and len(parts) > 1
        and any(not p[:1].isupper() and p.casefold() not in _PARTICLES for p in latin)
    ):
        return False
    return not t.endswith(":")


_PAREN_JUNK = re.compile(r"\([^)]*(?:https?:|www\.|@|\.com)[^)]*\)")


# an academic degree after a name: "Brenda Goodman, MA", "Jim Roe, PhD" (after a comma only:
# "Yo-Yo Ma" keeps his name)
_DEGREE = re.compile(
    r",\s*(?:Ph\.?\s?D|M\.?D|M\.?A|M\.?S|M\.?Sc|MBA|MPH|M\.?Phil|D\.?Phil|J\.?D|LL\.?M|B\.?A"
    r"|B\.?Sc|R\.?N|FRCP|FACP)\.?(?=\s*(?:[,;&]|\band\b|$))"
)
_INITIAL = re.compile(r"^(?:[^\W\d_]\.)+$")  # "F.", "J.R."
_PLACE_INITIALS = frozenset({"D.C.", "U.S.", "U.K.", "N.Y.", "L.A.", "U.A.E.", "E.U."})
_SEPARATORS = re.compile(r"[;&|/]|\s(?:and|und|et|y|и)\s", re.I)


def _given(word: str) -> bool:
    """A given name or an initial: "Jane", "A.", "J.R." (not "AP", not a particle)."""
    if _INITIAL.match(word):
        return True
    return word[:1].isupper() and word[1:].islower() and word.isalpha() and len(word) >= 2


def uninvert(text: str) -> str:
    """``Doe, Jane`` (a catalogue's "surname, given names") as ``Jane Doe``.

    Only one comma, a surname alone on the left (with its particles: "de Jong"), given names or
    initials on the right ("John A.", "Michiel de"): "Jane Doe, John Smith" is two people and
    stays as it is.
    """
    if text.count(",") != 1 or _SEPARATORS.search(text):
        return text
    left, right = (p.strip() for p in text.split(","))
    lwords, rwords = left.split(), right.split()
    if not lwords or not 1 <= len(rwords) <= 3 or right.upper() in _PLACE_INITIALS:
        return text
    surnames = [w for w in lwords if w.casefold() not in _PARTICLES]
    if len(surnames) != 1 or not surnames[0][:1].isupper() or surnames[0].isupper():
        return text
    given = [w for w in rwords if w.casefold() not in _PARTICLES]
    if not given or not all(_given(w) for w in given) or _search(_ROLE_WORDS, right):
        return text
    return f"{right} {left}"


def split_names(text: str) -> list[str]:
    """``By A, B and C`` -> ``[A, B, C]`` (roles and dates after a separator dropped).

    A name written "surname, given names" is turned round (:func:`uninvert`), also in a list
    separated by semicolons; an academic degree after a comma is dropped.
    """
    t = _PAREN_JUNK.sub(" ", collapse(text))
    t = re.sub(r"\((?!\s*(?:avec|with|and|mit|con|et|und)\b)([^()]{1,40})\)", r"\1", t)
    t = t.replace("(", " ").replace(")", " ")
    t = _BY.sub("", t, count=1)
    t = _DEGREE.sub("", t) if "," in t else t
    if "," in t:
        t = "; ".join(uninvert(p.strip()) for p in t.split(";"))
    t = _SUFFIX.sub("", t)
    out: list[str] = []
    for raw in _SPLIT.split(t):
        part = _BY.sub("", raw.strip(" .:-–—·•")).strip(" .:-–—·•")
        role = _search(_ROLE_WORDS, part)
        if role and role.start() > 0:
            part = part[: role.start()].strip(" ,-–—")
        if part:
            out.append(part)
    return out


_DATE_LABEL = re.compile(
    r"^\W*(?:last\s+)?(?:updated|modified|published|posted\s+on|aktualisiert|geändert"
    r"|veröffentlicht|mis\s+à\s+jour|publié|actualizado|publicado)\b"
    r"(?!\s+(?:by|von|par|por|de|di)\b)",  # ("Veröffentlicht von Cem Basman" is a byline)
    re.I,
)


# a job title before the name ("Rechtsanwalt Sebastian Beispiel", "FOCUS-Online-Experte ..."),
# taken off when two words or more follow
_LEADING_ROLE = re.compile(
    r"^(?:[\w-]*-)?(?:experte|expertin|gastautor(?:in)?|autor(?:in)?|redakteur(?:in)?"
    r"|korrespondent(?:in)?|reporter(?:in)?|kolumnist(?:in)?|rechtsanwalt|rechtsanwältin"
    r"|fachanwalt|fachanwältin|staff\s+writer|correspondent|columnist|guest\s+author)"
    r"\s+(?=\S+\s+\S)",
    re.I,
)


def clean_authors(values: Iterable[str], *, relaxed: bool = False) -> list[str]:
    """Names from metadata values: split, URL/handle dropped, de-duplicated in order."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not value or value.strip().startswith(("http://", "https://", "/")):
            continue
        if _DATE_LABEL.match(value):
            continue  # "Last Updated: January 7, 2025" in the author box is no name
        accepted = 0
        for part in split_names(value):
            name = _LEADING_ROLE.sub("", part)  # "FOCUS-Online-Experte Robin T." -> "Robin T."
            if name.startswith("@") or not looks_like_name(name, relaxed=relaxed):
                if accepted:
                    break  # "Name, Senior Fellow, Program": the rest is the role
                continue
            accepted += 1
            key = normalize_words(name)
            if key and key not in seen:
                seen.add(key)
                out.append(name)
    return out


_BYLINE_HINT = re.compile(
    r"author|byline|writer|contributor|creator|byl\b|expert|people|person|speaker|scholar", re.I
)
_NAME_HINT = re.compile(r"author|byline|people|person|name|meta|contributor|expert", re.I)
_BIO_HINT = re.compile(r"bio|about|related|comment|footer|share|social", re.I)
# Case-sensitive twins of these lower-case re.I patterns, for lower-cased ASCII text: the same
# matches at the same places (an ASCII character matches no other under re.I than its other
# case), several times faster (re.I turns off the engine's quick first-character tests)
_ASCII_TWINS = {
    p: re.compile(p.pattern) for p in (_NOT_NAME, _ROLE_WORDS, _BYLINE_HINT, _NAME_HINT, _BIO_HINT)
}
_PARTICLE_WORDS = (
    "von van der den de da di du del della des la le bin bint ibn al el y e zu ter ten af av"
    " dos das do"
)
_PARTICLES = frozenset(_PARTICLE_WORDS.split())
_STOP_WORDS = (
    "the a an of on in for to with from at by is are was be listen read more min share "
    "related about home news podcast podcasts video watch print email follow subscribe "
    "menu search comments comment download pdf report commentary analysis article "
    "articles view views event events page new latest top story stories sign up log "
    "login research program policy foreign global world economy economic security "
    "institute center centre key takeaways summary highlights contents introduction "
    "conclusion background overview tech technology industry business politics sports "
    "science culture opinion health entertainment markets media life style travel food "
    "arts books insider editorial games gaming sport photos gallery live breaking mehr "
    "weitere beiträge zum thema artikel teilen vorlesen anmeldung unter für foto fotos "
    "bildquelle quelle kommentare kommentar anzeige ältere neuere ausgabe kaufen lesen "
    "zurück weiter pour sur aktuelles nachrichten startseite impressum datenschutz "
    "kontakt newsletter noch keine veröffentlicht veröffentlichung werbung reviews "
    "technik gadgets forum themenstarter moderator reactions liken lade interview text "
    "illustration bekanntmachung copyright wegweiser redaktion archiv archive blog "
)
_STOP = frozenset(_STOP_WORDS.split())
_TRAILING_AND = re.compile(r"[\s,;]*(?:\band\b|&|،|و)?[\s,;]*$", re.I)


def _bare_name(text: str) -> str | None:
    """A line that is only a person's name (``John W. McArthur, and``)."""
    if len(text) > 60:
        return None
    t = _TRAILING_AND.sub("", _BY.sub("", collapse(text)))
    if not looks_like_name(t) or not 2 <= len(t.split()) <= 5:
        return None
    if any(w.casefold().strip(".,") in _STOP for w in t.split()):
        return None
    return t


def _add_names(out: list[str], names: Iterable[str]) -> None:
    keys = [normalize_words(n) for n in out]
    for name in names:
        k = normalize_words(name)
        if not k or any(k == o or k.startswith(o + " ") for o in keys):
            continue
        out.append(name)
        keys.append(k)


def byline_authors(
    region: Sequence[Block], tail: Sequence[Block], date_ids: frozenset[int] = frozenset()
) -> tuple[list[str], list[Block]]:
    """Authors from the lines near the headline, and the blocks they came from.

    ``region`` are the blocks just after (then before) the headline, ``tail`` the last blocks of
    the body (where a signature line confirms a bare-name byline), ``date_ids`` the date line.
    """
    # 1. an explicit "By ..." line
    for b in region:
        if len(b.text) > 200:
            continue
        if _BY.match(b.text) and not re.match(
            r"^(?:[Ff]rom|[Bb]y|BY)\s+(?:the|our|a|an)\s", b.text
        ):
            names = clean_authors([b.text])
            if names:
                return strip_roles(names), [b]
    # 2. name lines and author-classed elements next to each other under the headline
    found_names: list[str] = []
    used: list[Block] = []
    hinted = False
    near_date = False
    bares: dict[int, str | None] = {}  # _bare_name of region[i], for step 3 too
    for i, b in enumerate(region[:24]):
        if len(b.text) > 250:
            break
        if b.kind in {"img", "h1", "h2", "h3", "h4"} or _search(_BIO_HINT, b.hints[:80]):
            continue
        bare = bares[i] = _bare_name(b.text)
        if bare is not None:
            _add_names(found_names, [bare])
            used.append(b)
            hinted = hinted or bool(_search(_NAME_HINT, b.hints))
            window = region[max(0, i - 3) : i + 4]
            near_date = near_date or any(x.node_id in date_ids for x in window)
        elif _search(_BYLINE_HINT, b.hints) and len(b.text) <= 200:
            found = strip_roles(clean_authors([b.text]))
            if found:
                _add_names(found_names, found)
                used.append(b)
                hinted = True
    if found_names and (hinted or near_date) and len(found_names) <= 8:
        return found_names, used
    # 3. a bare name that comes back as the signature at the end
    tail_keys = [normalize_words(t.text) for t in tail if t.text and len(t.text) <= 200]
    if not tail_keys:
        return [], []
    for i, b in enumerate(region):
        bare = bares[i] if i in bares else _bare_name(b.text)
        if bare is None:
            continue
        key = normalize_words(bare)
        if any(t == key or t.startswith(key + " ") for t in tail_keys):
            return [bare], [b]
    return [], []


_AUTHOR_CLASS = re.compile(
    r"^(?:by-?)?(?:authors?|byline|bylines|auteur|autor|author-?name|authorname|by-?author"
    r"|post-?author|article-?author|entry-?author|blog-?author|[\w-]*byline[\w-]*)$",
    re.I,
)
_EXPLICIT = (
    '[itemprop~="author" i]',
    '[class*="byline" i]',
    '[id*="byline" i]',
    '[class*="author" i]',
    '[rel~="author" i]',
)


# _EXPLICIT as (attribute, word, whole token?) tests on one element: `[a~="w" i]` is a token of
# the value split at ASCII whitespace, `[a*="w" i]` a substring, both ASCII case-insensitive
# (what lexbor does), so one query for all five finds every candidate and each selector's
# elements are picked out of it in document order
_EXPLICIT_TESTS = (
    ("itemprop", "author", True),
    ("class", "byline", False),
    ("id", "byline", False),
    ("class", "author", False),
    ("rel", "author", True),
)
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_CSS_SPACE = re.compile("[ \t\n\f\r]+")


def _matches(attrs: dict[str, str | None], test: tuple[str, str, bool]) -> bool:
    name, word, token = test
    value = attrs.get(name)
    if not value:
        return False
    low = value.lower() if value.isascii() else value.translate(_ASCII_LOWER)
    return word in _CSS_SPACE.split(low) if token else word in low


def _explicit_candidates(tree: LexborHTMLParser) -> list[list[LexborNode]]:
    """The elements each selector of :data:`_EXPLICIT` finds, with one query."""
    try:
        union = tree.css(", ".join(_EXPLICIT))
    except Exception:  # a selector lexbor cannot evaluate: one by one (an error finds nothing)
        out: list[list[LexborNode]] = []
        for selector in _EXPLICIT:
            try:
                out.append(tree.css(selector))
            except Exception:
                out.append([])
        return out
    with_attrs = [(node, node.attributes) for node in distinct(union)]
    return [[n for n, a in with_attrs if _matches(a, test)] for test in _EXPLICIT_TESTS]


def _in_teaser(node: LexborNode) -> bool:
    """Whether ``node`` sits in a list item or an ``<article>`` card inside an aside, footer or
    nav (a teaser of another story in the page's furniture)."""
    in_card = False
    parent = node.parent
    while parent is not None and parent.tag != "body":
        if parent.tag in {"li", "article"}:
            in_card = True
        elif parent.tag in {"aside", "footer", "nav"}:
            return in_card
        parent = parent.parent
    return False


def explicit_byline(tree: LexborHTMLParser) -> list[str]:
    """Names from microdata ``itemprop=author`` or byline/author-classed elements anywhere
    outside widgets (comments, related stories...)."""
    for selector, nodes in zip(_EXPLICIT, _explicit_candidates(tree), strict=True):
        found: list[str] = []
        per_node = 0
        # microdata says what it is: an itemprop=author in the post's <aside> or <footer> (a
        # blog's meta column) is the author, unless it sits in a list item or a story card
        # there (another story's teaser); a classed byline there may be another story's
        microdata = selector.startswith("[itemprop")
        for node in nodes:
            if node.tag in {"body", "html", "meta", "link"}:
                continue
            if in_widget(node, by_tag=not microdata) or (microdata and _in_teaser(node)):
                continue
            if "class" in selector and not any(
                _AUTHOR_CLASS.search(tok) for tok in (node.attributes.get("class") or "").split()
            ):
                continue
            name_node = node.css_first('[itemprop~="name" i]') or node
            text = name_node.attributes.get("content") or name_node.text(deep=True, separator=" ")
            text = collapse(text or "")
            if not text or len(text) > 200:
                continue
            names = strip_roles(clean_authors([text], relaxed=True))
            if names:
                per_node += 1
                if per_node == 1:
                    first = list(names)
                _add_names(found, names)
        if found:
            return first if len(found) > 4 else found
    return []


def strip_roles(names: Sequence[str]) -> list[str]:
    """Drop trailing job titles glued to a name (``Alison Burke Office of Communications``)."""
    out: list[str] = []
    for name in names:
        m = _search(_ROLE_WORDS, name)
        head = name[: m.start()].strip(" ,-–") if m and m.start() > 0 else ""
        out.append(head if looks_like_name(head) and len(head.split()) >= 2 else name)
    return out


_FULL_MAX = 300  # characters of a block that may spell an author's full name
_FULL_HINT = re.compile(r"author|byline|name|person|contributor", re.I)


def complete_names(names: Sequence[str], blocks: Sequence[Block]) -> list[str]:
    """``names`` with a lone first name ("Todd": a CMS display name) completed by the surname
    the page's author box or byline spells after it ("Todd Bates", "Eine Kolumne von Nils
    Pickert", "Stefanus Stahl - Maschinenbauer ...").

    Only short blocks marked as author/byline/name elements (not comments), or that say
    "by"/"von"... right before the name, are read; the completed name must still look like a
    name, and "Name says:" is a comment header, not a surname.
    """
    out: list[str] = []
    for name in names:
        full = None
        if name and " " not in name.strip() and len(name) >= 3 and name[0].isupper():
            # (not "Name says:", a comment's header)
            after = re.compile(rf"(?<![\w-]){re.escape(name)}\s+([^\W\d_][\w'’-]+)(?!\s*:)")
            led = re.compile(
                rf"\b(?:by|von|par|por|di|door|av|af)\s+{re.escape(name)}\s+[^\W\d_]", re.I
            )
            for block in blocks:
                text = block.text
                if len(text) > _FULL_MAX or name not in text:
                    continue
                m = after.search(text)
                if m is None or not m.group(1)[0].isupper():
                    continue
                hints = block.hints
                if "comment" in hints or not (_FULL_HINT.search(hints) or led.search(text)):
                    continue
                candidate = f"{name} {m.group(1)}"
                if looks_like_name(candidate) and not _ROLE_WORDS.search(m.group(1)):
                    full = candidate
                    break
        out.append(full or name)
    return out
