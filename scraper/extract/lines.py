"""What is not the article, line by line: the standing lines that survive inside the article
column (view counters, standing disclaimers, signature and bio lines repeating the author,
comment-box labels, text in another script than the article). :mod:`scraper.extract.boilerplate`
removes the page furniture by element.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from scraper.extract.bios import drop_bios
from scraper.extract.blockdata import Block
from scraper.extract.text import normalize_words

__all__ = ["is_boilerplate_text", "script_of", "trim_blocks"]


_VIEWS = re.compile(
    r"^(?:(?:views?|visits?|hits?|reads?|seen|بازدید|تعداد بازدید|مشاهده|просмотр\w*"
    r"|aufrufe|vues|visualizaciones)\s*[:：]?\s*[\d,.\s\u06f0-\u06f9\u0660-\u0669]+"
    r"|[\d,.\s\u06f0-\u06f9\u0660-\u0669]+\s*(?:views?|visits?|hits?|reads?|بازدید|просмотр\w*"
    r"|aufrufe|vues))$",
    re.I,
)
_DISCLAIMER = re.compile(
    r"(?:opinions?|views?)\s+expressed\s+(?:in\s+this\s+\w+\s+|here(?:in)?\s+)?"
    r"(?:are|is)\s+(?:those|solely|entirely|the\s+author)"
    r"|(?:do|does)\s+not\s+(?:purport\s+to\s+|necessarily\s+)?(?:reflect|represent)"
    r"\s+the\s+(?:opinions?|views?|position|policy|policies)"
    r"|is\s+committed\s+to\s+quality,\s+independence,?\s+and\s+impact"
    r"|does\s+not\s+take\s+(?:specific\s+)?(?:policy\s+)?positions"
    r"|gibt\s+(?:nur\s+)?die\s+meinung\s+de[rs]\s+autor(?:s|in|en)?\s+wieder"
    r"|(?:spiegel|entsprech)t\s+nicht\s+(?:unbedingt|notwendigerweise)\s+die\s+meinung"
    r"|n'engagent\s+que\s+leurs?\s+auteurs?|no\s+(?:necesariamente\s+)?refleja[n]?\s+(?:la|las)\s+"
    r"(?:opini[oó]n|posici[oó]n)"
    r"|(?:commentary|this\s+\w+)\s+is\s+produced\s+by\s+the\b"
    r"|all\s+rights\s+reserved|©\s*\d{4}|copyright\s+(?:©\s*)?\d{4}"
    r"|is\s+not\s+responsible\s+for\s+the\s+(?:opinions|content)"
    r"|мнение\s+(?:автора|авторов)\s+может\s+не\s+совпадать"
    r"|(?:لزوما|لزوماً)\s+(?:بیانگر|منعکس[\s\u200c]*کننده)\s+(?:دیدگاه|نظر|مواضع)"
    r"|آراء\s+(?:الكتاب|الكاتب)\s+لا\s+تعبر",
    re.I,
)
_COMMENT_LABELS = re.compile(
    r"^(?:متن دیدگاه|نظرات کاربران|نظرات|دیدگاه(?:ها)?|ارسال نظر|ارسال دیدگاه|نظر شما"
    r"|تاکنون نظری ثبت نشده است|هنوز نظری ثبت نشده|التعليقات|أضف تعليق(?:ا|ً)?"
    r"|comments?|\d+\s+comments?|leave a (?:comment|reply)|post a comment|add (?:a |new )?comment"
    r"|no comments(?: yet)?\.?|be the first to comment\.?|join the (?:discussion|conversation)"
    r"|kommentare?|kommentar schreiben|комментари[ийя]|оставить комментарий"
    r"|commentaires?|laisser un commentaire|comentarios?|deja un comentario)[:.!]?$",
    re.I,
)
_SHARE = re.compile(
    r"^(?:share(?: this(?: article| post| page)?)?(?: on)?|tweet|print|email|e-mail"
    r"|facebook|twitter|linkedin|whatsapp|telegram|copy link|read more|continue reading"
    r"|follow us|subscribe|sign up|back to top|download pdf|download|advertisement|loading\.*"
    r"|kommentieren|keine kommentare|schlagwörter|schlagworte|beitragsbild|kontakt|pdf"
    r"|credit|bewerten|aktualisiert|release date|originalartikel|teilen|drucken|merken"
    r"|zurück|nach oben|weiterlesen|mehr lesen|mehr erfahren|lire la suite|leer más|partager"
    r"|schon gelesen\??|weitere informationen|(?:\w+ - )?tag cloud|audios? et vidéos sur le sujet"
    r"|(?:aktuellste|neueste|empfohlene|beliebteste|meistgelesene) (?:beiträge|artikel|news)"
    r"|[|·•\s]+)[:.!]?$",
    re.I,
)


_PROMO = re.compile(
    r"^(?:sign up (?:for|to)\b|subscribe (?:to|for)\b|more (?:about|from|by)\s|get the latest\b"
    r"|follow us\b|related(?: content| articles| posts)?:|read (?:more|also|next):|see also:"
    r"|this (?:article|story|post) (?:was|is) (?:originally|first) published"
    r"|image(?:s)? (?:credit|source):|photo(?: credit)?:"
    r"|lesen sie (?:auch|mehr|hier)\b|verwandte (?:themen|artikel|beiträge)"
    r"|war (?:der|dieser) artikel|möchten sie (?:den|diesen) artikel|entdecken sie\b"
    r"|\(?noch keine bewertungen|meist-?(?:diskutiert|gelesen)"
    r"|(?:category|kategorie|rubrik|schlagworte?|tags?)\s*:|(?:bild|foto|quelle|credit)\s*:"
    r"|do you want to be informed|auch auf \S+\.\w+|weitere infos unter|hier geht es zu"
    r"|reklama\b|zapraszamy\b|czytaj (?:też|także|więcej)|leggi anche|lire aussi|à lire aussi"
    r"|lea también|vea también|read also|you may also like|recommended for you|advertisement\b"
    r"|anzeige\b|werbung\b|publicité\b|publicidad\b|-\s*anzeige\s*-"
    r"|über (?:den|die) autor(?:in)?\b|about the author\b|if you enjoyed (?:reading )?this"
    r"|stay up[- ]to[- ]date\b|subscribe now\b|for the latest stories\b|dieses? \w+ als pdf"
    r"|besuchen sie unseren\b|kennt ihr schon\b|alle (?:blog)?beiträge zu\b"
    r"|unless otherwise stated,? the content|\w+ gefällt das\b|(?:um|to) (?:kommentare|comment)"
    r"|sie müssen (?:angemeldet|eingeloggt)|bitte registrieren sie sich|you must be logged in"
    r"|(?:weitere|ähnliche|verwandte) (?:artikel|beiträge|themen|nachrichten)\b"
    r"|mehr zum thema\b|das könnte sie auch interessieren|kommentierte artikel|explore further"
    r"|diese seite teilen|teilen sie (?:dies|diesen beitrag)|photo credits?\b|image credits?\b"
    # paywalls, memberships, follow-us lines, "you may be interested in" labels
    r"|pour (?:lire la suite|accéder|continuer à lire)|(?:hazte|hágase) (?:miembro|socio)"
    r"|suscr[ií]bete\b|s[ií]guenos en\b|suivez-nous\b|folg(?:e|en sie) uns\b|never miss\b"
    r"|werden sie mitglied\b|become a (?:member|subscriber)\b|related topics"
    r"|(?:también )?(?:le|te) puede interesar|te recomendamos\b|permalien\b|permalink\b"
    r"|keine kommentare\b|our standards:|suggested citation\b|cite this (?:article|post|as)\b"
    # a post's standing footer: "Der Beitrag wurde am ... veröffentlicht und unter ... abgelegt"
    r"|(?:der|dieser) (?:beitrag|artikel|eintrag) wurde (?:am|unter|in)\b|this entry was posted\b"
    r"|(?:der|dieser) (?:beitrag|artikel|text) (?:stammt aus|erschien (?:zuerst|ursprünglich))"
    r"|sie sind (?:aktuell |derzeit |noch )?nicht (?:eingeloggt|angemeldet)"
    r"|you are not logged in|du musst (?:eingeloggt|angemeldet)|sie müssen sich anmelden"
    r"|mit diesem button\b"
    # a stamp: "Last Updated: January 7, 2025", "Aktualisiert: 11.04.2020, 10:27"
    r"|(?:last\s+)?(?:updated|modified|(?:zuletzt\s+)?aktualisiert)(?:\s+(?:on|am))?\s*:"
    # a credit line on its own: "© Oli Scarff/Getty Images", "(Foto: ...)", "Copyright: ..."
    r"|[(\[]\s*(?:bild|foto|fotos|photo|credit|quelle)\s*:|©|copyright\s*:)",
    re.I,
)
# furniture wherever it sits in a short line: comment-login prompts, cookie notices, consent
# boxes of embedded posts, "cancel anytime", "showing 1 to 10 of 19", file-size link lines,
# "| categories: ..." post-meta lines
_FURNITURE = re.compile(
    r"\bum (?:einen )?kommentare? zu (?:schreiben|verfassen)\b"
    r"|\bto (?:post|leave|write) a comment\b"
    r"|\b(?:korzystamy z|używamy|we use|wir (?:verwenden|nutzen)|diese (?:website|seite)"
    r" (?:verwendet|nutzt)|this (?:website|site) uses|nous utilisons|utilizamos|usamos)\b"
    r"[^.]{0,60}\bcookies?\b"
    r"|\bohne (?:dein|ihr)e?\s+(?:einverständnis|zustimmung)\b"
    r"|\bcancela cuando quieras\b|\bcancel (?:at )?any ?time\b|\bjederzeit kündbar\b"
    r"|\b(?:es werden|showing|zeige)\b.{0,40}?\b\d+\s*(?:bis|to|–|-)\s*\d+\s*(?:von|of)\s*"
    r"(?:insgesamt\s*)?\d+"
    r"|\b(?:pdf|docx?|xlsx?|pptx?|zip)\s*\|\s*\d+(?:[.,]\d+)?\s*[kmg]i?b\b"
    r"|\|\s*(?:categories|category|tags|kategorien?|schlagworte?)\s*:|\|\s*view comments$"
    r"|\bnichts mehr (?:versäumen|verpassen)\b|\bverpassen sie keine\b"
    r"|\babonnieren[!.]?$|\beinfach hier klicken\b"
    r"|\bclick here to (?:subscribe|register|sign up)\b",
    re.I,
)
_FURNITURE_MAX = 250
# a fixed piece of each _FURNITURE branch (see _may_match): most lines are spared the search,
# which tries every position of the line
_FURNITURE_WORDS = (
    "kommentar",
    "comment",
    "cookie",
    "ohne",
    "cancel",
    "kündbar",
    "showing",
    "es werden",
    "zeige",
    "|",
    "versäumen",
    "verpassen",
    "abonnieren",
    "klicken",
    "click here",
)
_ROLE = re.compile(
    r"\b(?:senior|fellow|director|president|professor|editor|correspondent|reporter|chair|head"
    r"|office|communications|analyst|researcher|associate|manager|program|project|center|centre"
    r"|institute|university|department|founder|host|intern|visiting|nonresident|adjunct"
    r"|lecturer|member|coordinator|officer|specialist|group|studies|team|lead)\b",
    re.I,
)


# one fixed word of each Latin-script _DISCLAIMER branch (see _may_match)
_DISCLAIMER_WORDS = (
    "expressed",
    "reflect",
    "represent",
    "committed",
    "positions",
    "meinung",
    "engagent",
    "refleja",
    "produced",
    "reserved",
    "\u00a9",
    "copyright",
    "responsible",
)
_NOT_PLAIN_LATIN = re.compile("[\u0130\u0131\u017f\u212a\u0250-\u1fff\u2070-\U0010ffff]")


def _may_match(fixed: tuple[str, ...], low: str, t: str) -> bool:
    """Whether a pattern whose every branch holds one of the ``fixed`` lower-case pieces may
    match the line ``t`` (``low``: it lower-cased): one of them is in it, or ``t`` has a
    character outside Latin letters and punctuation (or one re.I equates with an ASCII
    letter), which the quick test cannot judge."""
    for w in fixed:
        if w in low:
            return True
    return not t.isascii() and _NOT_PLAIN_LATIN.search(t) is not None


_LINE_PATTERNS = (_PROMO, _VIEWS, _COMMENT_LABELS, _SHARE, _DISCLAIMER, _FURNITURE)
# their case-sensitive twins for lower-cased ASCII lines: the patterns are lower case, so the
# same matches (an ASCII character matches no other under re.I than its other case), faster
_ASCII_LINE_PATTERNS = tuple(re.compile(p.pattern) for p in _LINE_PATTERNS)


def is_boilerplate_text(text: str) -> bool:
    """A line that is page furniture whatever element holds it."""
    t = text.strip()
    if not t:
        return True
    if t.isascii():
        line = low = t.lower()
        promo, views, comments, share, disclaimer, furniture = _ASCII_LINE_PATTERNS
    else:
        line, low = t, t.lower()
        promo, views, comments, share, disclaimer, furniture = _LINE_PATTERNS
    if len(t) <= 200 and promo.match(line):
        return True
    if len(t) <= _FURNITURE_MAX and _may_match(_FURNITURE_WORDS, low, t) and furniture.search(line):
        return True
    if len(t) <= 80 and (views.match(line) or comments.match(line) or share.match(line)):
        return True
    return (
        len(t) <= 400
        and _may_match(_DISCLAIMER_WORDS, low, t)
        and disclaimer.search(line) is not None
    )


# letters below U+0250 (what script_of counts as latin), as one class built from str.isalpha
_LATIN_LETTER = re.compile(
    "[" + "".join(re.escape(chr(o)) for o in range(0x250) if chr(o).isalpha()) + "]"
)
_ABOVE_LATIN = re.compile("[^\x00-\u024f]+")
_LATIN_ABOVE_ASCII = re.compile("[\x80-\u024f]+")
_ASCII_NOT_LETTERS = bytes(c for c in range(128) if not chr(c).isalpha())


def _latin_letters(text: str) -> int:
    """How many letters below U+0250 ``text`` holds (what :data:`_LATIN_LETTER` matches)."""
    # the ASCII ones with bytes.translate, the few others with the class
    ascii_letters = len(text.encode("ascii", "ignore").translate(None, _ASCII_NOT_LETTERS))
    if text.isascii():
        return ascii_letters
    others = "".join(_LATIN_ABOVE_ASCII.findall(text))
    return ascii_letters + len(others) - len(_LATIN_LETTER.sub("", others))


_SCRIPT_SAMPLE = 3000  # script_of reads this many characters


def script_of(text: str) -> str:
    """The dominant script of ``text`` (``latin``, ``arabic``, ``cyrillic``, ``cjk``...)."""
    text = text[:_SCRIPT_SAMPLE]
    # latin letters are counted in C; only the characters above U+0250 (few in a Latin text:
    # typographic quotes and dashes) go through the Python loop
    latin = _latin_letters(text)
    counts = {"latin": latin, "cyrillic": 0, "arabic": 0, "cjk": 0, "other": 0}
    for ch in "".join(_ABOVE_LATIN.findall(text)):
        o = ord(ch)
        if 0x400 <= o < 0x530:
            counts["cyrillic"] += 1
        elif 0x590 <= o < 0x900 or 0xFB1D <= o < 0xFF00:
            if ch.isalpha():
                counts["arabic"] += 1
        elif 0x3000 <= o < 0xA000 or 0xAC00 <= o < 0xD7B0:
            counts["cjk"] += 1
        elif ch.isalpha():
            counts["other"] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else "other"


# the characters of the scripts script_of() weighs against Latin (Arabic ones count only when
# letters): a text with none of them is "latin" or "other" to it
_NON_LATIN_SCRIPT = re.compile(
    "[\u0400-\u052f\u0590-\u08ff\ufb1d-\ufeff\u3000-\u9fff\uac00-\ud7af]"
)


def _fits_script(text: str, script: str) -> bool:
    """``script_of(text) in {script, "other"}``, without counting when the answer is sure."""
    if script == "latin" and (text.isascii() or _NON_LATIN_SCRIPT.search(text, 0, 3000) is None):
        return True
    return script_of(text) in {script, "other"}


_FIRST_WORD = re.compile(r"\w+")


def _is_signature(text: str, authors: Sequence[tuple[str, str]], firsts: frozenset[str]) -> bool:
    """``Name, Head of ...`` or just ``Name``: a short line opening with an author's name
    (``authors``: each name and its :func:`normalize_words`; ``firsts``: the first words of
    those)."""
    if len(text) > 200:
        return False
    if text.isascii():
        # the line's key opens with the name's key, so with its first word: the first word of
        # an ASCII text's key is its first word lower-cased (NFKC keeps ASCII as it is)
        first = _FIRST_WORD.search(text)
        if first is None or first.group().lower() not in firsts:
            return False
    key = normalize_words(text)
    for name, n in authors:
        if n and (key == n or key.startswith(n + " ")) and len(text) <= max(len(name) * 4, 160):
            return True
    return False


def _opening(texts: Iterable[str]) -> str:
    """The start of ``" ".join(texts)`` that :func:`script_of` reads (joined only that far)."""
    parts: list[str] = []
    length = -1
    for text in texts:
        parts.append(text)
        length += len(text) + 1
        if length >= _SCRIPT_SAMPLE:
            break
    return " ".join(parts)[:_SCRIPT_SAMPLE]


def trim_blocks(blocks: list[Block], authors: Sequence[str]) -> list[Block]:
    """Drop standing lines, signature lines, comment boxes and foreign-script tails."""
    kept: list[Block] = [b for b in blocks if b.kind == "img" or not is_boilerplate_text(b.text)]
    # a comment section (its label) in the second half ends the article
    text_blocks = [b for b in kept if b.text]
    total = sum(len(b.text) for b in text_blocks) or 1
    seen = 0
    for i, b in enumerate(kept):
        if b.text:
            seen += len(b.text)
        if b.text and seen > total * 0.5 and _COMMENT_LABELS.match(b.text.strip()):
            kept = kept[:i]
            break
    # paragraphs in another script than the article (an RTL comment form under English text)
    body_script = script_of(_opening(b.text for b in kept if len(b.text) > 80))
    if body_script != "other":
        kept = [
            b for b in kept if not b.text or len(b.text) > 300 or _fits_script(b.text, body_script)
        ]
    # signature / bio lines: an author's name followed by a role, and the role line after it
    if authors:
        keyed = [(name, normalize_words(name)) for name in authors]
        firsts = frozenset(n.split(" ", 1)[0] for _, n in keyed if n)
        tail_start = max(0, len(kept) - 4)
        out: list[Block] = []
        drop_next_role = False
        for i, b in enumerate(kept):
            t = b.text
            if drop_next_role and t and len(t) <= 160 and _ROLE.search(t) and not t.endswith("."):
                drop_next_role = False
                continue
            drop_next_role = False
            if (
                t
                and _is_signature(t, keyed, firsts)
                and (i >= tail_start or _is_role_line(t, authors))
            ):
                drop_next_role = True
                continue
            out.append(b)
        kept = out
    return drop_bios(kept, authors)


def _is_role_line(text: str, authors: Sequence[str]) -> bool:
    """``Name Senior Fellow - Program`` (a bio line), not a sentence about the person."""
    if len(text) > 200 or text.rstrip().endswith((".", "!", "?", ":")):
        return False
    key = normalize_words(text)
    for name in authors:
        n = normalize_words(name)
        if n and (key == n or (key.startswith(n + " ") and _ROLE.search(text))):
            return True
    return False
