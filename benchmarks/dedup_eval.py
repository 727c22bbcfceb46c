"""A labelled near-duplicate set built from ../shared/corpus, and SimHash/MinHash precision/recall.

    python benchmarks/dedup_eval.py [CORPUS_DIR] [--max-distance 12] [--json] [--overlap]

Article texts never come from our extractor (written in parallel): the readability set's full
truth ``body``; for thinktanks pages, every ``<p>`` of the saved page with at least 12 words (a
crude extraction that keeps the site's real template paragraphs -- disclaimers, bios, promos --
so same-site pairs share real boilerplate), used when it contains at least half of the truth
``body_with`` snippets, else the snippets; the trafilatura-dev ``body_with`` snippets (one
paragraph each). Texts under ``MIN_WORDS`` words get no fingerprint by design and are left out.

Two strata are reported: **article** (the unedited text has >= ``ARTICLE_WORDS`` words: real
article bodies) and **short** (30 to ``ARTICLE_WORDS`` words: blurbs and snippet sets).

Positives (the same piece, two renderings):
    boilerplate  nav, share and footer lines added around the body
    reorder      one paragraph moved elsewhere (sentences when there are < 3 paragraphs)
    trim         the last paragraph dropped (a partner site cutting the author bio or outro)
    chrome       both copies wrapped in *different* site chrome (home site vs partner site)
    title        the headline as the first line, edited (a word changed) on one side
Negatives (different pieces):
    same-site    two different articles of one think tank, both inside the same real site chrome
                 (the thinktanks set's own ``body_without`` boilerplate lines)
    same-set     random pairs within readability, within trafilatura-dev (same domain first)
    random       random pairs across all sets, both in the same generic chrome

Everything is deterministic (seeded). ``evaluate`` reports precision and recall of
"Hamming distance <= d" for every d; ``evaluate_combined`` those of what ``decide`` does:
"Hamming distance <= MAX_DISTANCE, or both texts have a short-text MinHash signature
(``short_signature``: 12-149 words, one of them >= 30) with estimated Jaccard >= t" for
several t.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from selectolax.lexbor import LexborHTMLParser  # noqa: E402

from scraper.dedup import (  # noqa: E402
    MAX_DISTANCE,
    MIN_WORDS,
    content_hash,
    hamming,
    jaccard_estimate,
    short_signature,
    simhash,
    words,
)
from scraper.dedup.minhash import THRESHOLD  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
POSITIVE_KINDS = ("boilerplate", "reorder", "trim", "chrome", "title")
NEGATIVE_KINDS = ("same-site", "same-set", "random")

NAV = (
    "Home About Research Experts Events Publications Podcasts Contact Search Donate",
    "Skip to main content Menu Topics Regions Programs Newsroom",
)
SHARE = (
    "Share this article on Facebook, Twitter, LinkedIn or by email. Print this page.",
    "Share Tweet Email Print Copy link",
)
FOOTER = (
    "Subscribe to our newsletter to get the latest analysis in your inbox every week.",
    "© 2025 All rights reserved. Privacy Policy. Terms of Use. Cookie settings. Accessibility.",
    "Follow us on X, LinkedIn, Instagram and YouTube.",
)
PARTNER = (
    "This article was originally published by the institute and is republished here with "
    "permission.",
    "The views expressed are those of the author and do not necessarily reflect the position "
    "of this organisation.",
)
ARTICLE_WORDS = 150
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Doc:
    """One article text from the corpus."""

    key: str  # "<set>/<case>"
    corpus_set: str
    site: str  # registrable-ish host, or the case key when unknown
    title: str
    paragraphs: tuple[str, ...]
    chrome: tuple[str, ...]  # the site's own boilerplate lines, when the corpus lists them

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def stratum(self) -> str:
        return "article" if len(words(self.text)) >= ARTICLE_WORDS else "short"


@dataclass(frozen=True, slots=True)
class Pair:
    """Two texts and whether they are the same piece."""

    kind: str
    duplicate: bool
    a: str
    b: str
    doc: str
    stratum: str = "article"


@dataclass(frozen=True, slots=True)
class Row:
    """Precision and recall of "distance <= threshold" (or "similarity >= threshold")."""

    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _site(url: str | None, fallback: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    host = host.removeprefix("www.")
    return host or fallback


def page_paragraphs(case: Path) -> tuple[str, ...]:
    """Every ``<p>`` of a saved page with at least 12 words (whitespace collapsed)."""
    path = case / "page.html"
    raw = (
        path.read_bytes()
        if path.exists()
        else gzip.decompress((case / "page.html.gz").read_bytes())
    )
    tree = LexborHTMLParser(raw.decode("utf-8", "replace"))
    paragraphs = (_SPACES.sub(" ", node.text(separator=" ")).strip() for node in tree.css("p"))
    return tuple(p for p in paragraphs if len(p.split()) >= 12)


def load_docs(corpus: Path) -> list[Doc]:
    """Every corpus article whose truth text has at least ``MIN_WORDS`` words."""
    docs: list[Doc] = []
    chrome_by_site: dict[str, list[str]] = {}
    seen: set[str] = set()
    for corpus_set in ("readability", "thinktanks", "trafilatura-dev"):
        for truth_path in sorted((corpus / corpus_set).glob("*/truth.json")):
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            key = f"{corpus_set}/{truth_path.parent.name}"
            if truth.get("kind") == "blocked":
                continue
            body = truth.get("body")
            if body:
                paragraphs = tuple(p.strip() for p in body.split("\n\n") if p.strip())
            else:
                snippets = [s.strip() for s in truth.get("body_with") or () if s.strip()]
                paragraphs = tuple(snippets)
                if corpus_set == "thinktanks":
                    page = page_paragraphs(truth_path.parent)
                    joined = " ".join(page)
                    if 2 * sum(snippet in joined for snippet in snippets) >= len(snippets):
                        paragraphs = page
            if len(words(" ".join(paragraphs))) < MIN_WORDS:
                continue
            identity = content_hash(" ".join(paragraphs))
            if identity in seen:  # the corpus holds one page twice (lifehacker-*): one doc
                continue
            seen.add(identity)
            site = _site(truth.get("url"), key)
            chrome = tuple(truth.get("body_without") or ())
            if corpus_set == "thinktanks":
                chrome_by_site.setdefault(site, []).extend(chrome)
            docs.append(Doc(key, corpus_set, site, truth.get("title") or "", paragraphs, chrome))
    # thinktanks: a site's chrome is the union of its pages' boilerplate (one template)
    return [
        Doc(d.key, d.corpus_set, d.site, d.title, d.paragraphs, tuple(chrome_by_site[d.site]))
        if d.site in chrome_by_site
        else d
        for d in docs
    ]


def _rng(*parts: str) -> random.Random:
    return random.Random(zlib.crc32("|".join(parts).encode()))


def _units(doc: Doc) -> list[str]:
    if len(doc.paragraphs) >= 3:
        return list(doc.paragraphs)
    return [s for p in doc.paragraphs for s in _SENTENCE.split(p) if s]


def _wrap(text: str, top: Sequence[str], bottom: Sequence[str]) -> str:
    return "\n\n".join([*top, text, *bottom])


def _home_chrome(doc: Doc, rng: random.Random) -> tuple[list[str], list[str]]:
    if doc.chrome:
        lines = rng.sample(list(doc.chrome), min(3, len(doc.chrome)))
        return lines[:1], lines[1:]
    return [rng.choice(NAV)], [rng.choice(FOOTER)]


def positives(doc: Doc) -> list[Pair]:
    """The five renderings of one piece, each paired with the plain text."""
    rng = _rng("positive", doc.key, doc.stratum)
    text = doc.text
    pairs: list[Pair] = []
    boiler = _wrap(text, [rng.choice(NAV)], [rng.choice(SHARE), rng.choice(FOOTER)])
    pairs.append(Pair("boilerplate", True, text, boiler, doc.key, doc.stratum))
    units = _units(doc)
    moved = units.copy()
    unit = moved.pop(rng.randrange(len(moved)))
    moved.insert(rng.randrange(len(moved) + 1), unit)
    if moved == units:  # make sure something moved
        moved = units[1:] + units[:1]
    pairs.append(Pair("reorder", True, text, "\n\n".join(moved), doc.key, doc.stratum))
    pairs.append(Pair("trim", True, text, "\n\n".join(units[:-1]), doc.key, doc.stratum))
    top, bottom = _home_chrome(doc, rng)
    partner = _wrap(text, [rng.choice(PARTNER)], [rng.choice(SHARE), rng.choice(FOOTER)])
    pairs.append(Pair("chrome", True, _wrap(text, top, bottom), partner, doc.key, doc.stratum))
    title = doc.title or units[0][:80]
    title_words = title.split()
    edited = title_words.copy()
    edited[rng.randrange(len(edited))] = rng.choice(("new", "updated", "revised", "analysis"))
    pairs.append(
        Pair(
            "title",
            True,
            f"{title}\n\n{text}",
            f"{' '.join(edited)}\n\n{text}",
            doc.key,
            doc.stratum,
        )
    )
    return pairs


def _stratum(a: Doc, b: Doc) -> str:
    return "article" if a.stratum == b.stratum == "article" else "short"


def negatives(docs: Sequence[Doc], *, random_pairs: int = 400, same_set: int = 300) -> list[Pair]:
    """Pairs of different pieces (see the module docstring)."""
    rng = _rng("negative")
    pairs: list[Pair] = []
    by_site: dict[str, list[Doc]] = {}
    for doc in docs:
        if doc.corpus_set == "thinktanks":
            by_site.setdefault(doc.site, []).append(doc)
    for site_docs in by_site.values():
        for a, b in itertools.combinations(site_docs, 2):
            top, bottom = _home_chrome(a, _rng("site", a.site))
            pairs.append(
                Pair(
                    "same-site",
                    False,
                    _wrap(a.text, top, bottom),
                    _wrap(b.text, top, bottom),
                    a.key,
                    _stratum(a, b),
                )
            )
    for corpus_set in ("readability", "trafilatura-dev"):
        members = [d for d in docs if d.corpus_set == corpus_set]
        domain: dict[str, list[Doc]] = {}
        for doc in members:
            domain.setdefault(doc.site, []).append(doc)
        for group in domain.values():
            pairs.extend(
                Pair("same-set", False, a.text, b.text, a.key, _stratum(a, b))
                for a, b in itertools.combinations(group, 2)
            )
        for _ in range(same_set // 2):
            a, b = rng.sample(members, 2)
            pairs.append(Pair("same-set", False, a.text, b.text, a.key, _stratum(a, b)))
    for _ in range(random_pairs):
        a, b = rng.sample(list(docs), 2)
        top, bottom = [rng.choice(NAV)], [rng.choice(SHARE), rng.choice(FOOTER)]
        pairs.append(
            Pair(
                "random",
                False,
                _wrap(a.text, top, bottom),
                _wrap(b.text, top, bottom),
                a.key,
                _stratum(a, b),
            )
        )
    return pairs


def build_pairs(corpus: Path = DEFAULT_CORPUS) -> list[Pair]:
    """The whole labelled set (positives first)."""
    docs = load_docs(corpus)
    return [p for doc in docs for p in positives(doc)] + negatives(docs)


def distances(
    pairs: Iterable[Pair], fingerprint: Callable[[str], int | None] = simhash
) -> list[tuple[Pair, int | None]]:
    """Each pair with the Hamming distance of its fingerprints (``None``: one is too short)."""
    out: list[tuple[Pair, int | None]] = []
    for pair in pairs:
        a, b = fingerprint(pair.a), fingerprint(pair.b)
        out.append((pair, None if a is None or b is None else hamming(a, b)))
    return out


Combined = tuple[Pair, int | None, float | None]  # (pair, Hamming distance, MinHash estimate)


def similarities(pairs: Iterable[Pair]) -> list[Combined]:
    """Each pair with its SimHash distance and its short-text MinHash estimate, as ``decide``
    sees them: the distance is ``None`` when a side has no fingerprint; the estimate when a
    side has no short-text signature, or *neither* side has a SimHash fingerprint (texts under
    30 words are looked up but never stored: the pair counts as found assuming the longer copy
    was stored first, which is how a partner's trimmed copy arrives)."""
    cache: dict[str, tuple[int | None, tuple[int, ...] | None]] = {}

    def both(text: str) -> tuple[int | None, tuple[int, ...] | None]:
        if text not in cache:
            cache[text] = (simhash(text), short_signature(text))
        return cache[text]

    out: list[Combined] = []
    for pair in pairs:
        (ha, sa), (hb, sb) = both(pair.a), both(pair.b)
        distance = None if ha is None or hb is None else hamming(ha, hb)
        kept = ha is not None or hb is not None
        estimate = None if sa is None or sb is None or not kept else jaccard_estimate(sa, sb)
        out.append((pair, distance, estimate))
    return out


def evaluate_combined(
    scored: Sequence[Combined],
    thresholds: Sequence[float] = (0.25, 0.28, 0.3, 0.32, 0.35, 0.4),
    max_distance: int = MAX_DISTANCE,
) -> list[Row]:
    """Precision/recall of "distance <= max_distance or MinHash estimate >= t" for each t."""
    return [
        _row(
            threshold,
            (
                (
                    pair.duplicate,
                    (distance is not None and distance <= max_distance)
                    or (estimate is not None and estimate >= threshold),
                )
                for pair, distance, estimate in scored
            ),
        )
        for threshold in thresholds
    ]


def evaluate(scored: Sequence[tuple[Pair, int | None]], max_distance: int = 12) -> list[Row]:
    """Precision/recall of "distance <= d" for d in 0..max_distance."""
    return [
        _row(
            threshold,
            (
                (pair.duplicate, distance is not None and distance <= threshold)
                for pair, distance in scored
            ),
        )
        for threshold in range(max_distance + 1)
    ]


def _row(threshold: float, outcomes: Iterable[tuple[bool, bool]]) -> Row:
    """The confusion counts of ``(is a duplicate, predicted one)`` outcomes at ``threshold``."""
    tp = fp = fn = tn = 0
    for duplicate, predicted in outcomes:
        if duplicate:
            tp, fn = (tp + 1, fn) if predicted else (tp, fn + 1)
        else:
            fp, tn = (fp + 1, tn) if predicted else (fp, tn + 1)
    return Row(threshold, tp, fp, fn, tn)


def by_kind(scored: Sequence[tuple[Pair, int | None]], threshold: int) -> dict[str, str]:
    """Per kind: how many pairs were classified right at ``threshold``."""
    out: dict[str, str] = {}
    for kind in POSITIVE_KINDS + NEGATIVE_KINDS:
        members = [(p, d) for p, d in scored if p.kind == kind]
        right = sum(1 for p, d in members if (d is not None and d <= threshold) == p.duplicate)
        out[kind] = f"{right}/{len(members)}"
    return out


def _shingle_set(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


def overlap_table(pairs: Sequence[Pair], thresholds: Sequence[float]) -> list[str]:
    """What exact 3-shingle sets would do (Jaccard and containment over *all* pairs): the
    ceiling of a secondary check that sees the texts, unlike a 64-bit fingerprint."""
    measures: list[tuple[bool, float, float]] = []
    for pair in pairs:
        a, b = _shingle_set(pair.a), _shingle_set(pair.b)
        common = len(a & b)
        jaccard = common / len(a | b) if a | b else 0.0
        containment = common / min(len(a), len(b)) if a and b else 0.0
        measures.append((pair.duplicate, jaccard, containment))
    positives_n = sum(m[0] for m in measures) or 1
    lines = ["| measure | >= | precision | recall |", "| --- | --- | --- | --- |"]
    for name, column in (("jaccard", 1), ("containment", 2)):
        for threshold in thresholds:
            tp = sum(1 for m in measures if m[0] and m[column] >= threshold)
            fp = sum(1 for m in measures if not m[0] and m[column] >= threshold)
            precision = tp / (tp + fp) if tp + fp else 1.0
            lines.append(f"| {name} | {threshold} | {precision:.3f} | {tp / positives_n:.3f} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-distance", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--overlap", action="store_true", help="also exact shingle overlap")
    args = parser.parse_args(argv)
    if not (args.corpus / "readability").is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    pairs = build_pairs(args.corpus)
    scored = distances(pairs)
    strata = {
        "article": [(p, d) for p, d in scored if p.stratum == "article"],
        "short": [(p, d) for p, d in scored if p.stratum == "short"],
        "all": list(scored),
    }
    combined = similarities(pairs)
    if args.json:
        report = {
            name: [
                asdict(r) | {"precision": r.precision, "recall": r.recall}
                for r in evaluate(members, args.max_distance)
            ]
            for name, members in strata.items()
        }
        report |= {
            f"{name}+minhash": [
                asdict(r) | {"precision": r.precision, "recall": r.recall}
                for r in evaluate_combined(
                    [c for c in combined if name == "all" or c[0].stratum == name]
                )
            ]
            for name in strata
        }
        print(json.dumps(report))
        return 0
    for name, members in strata.items():
        positives_n = sum(p.duplicate for p, _ in members)
        print(
            f"\n{name}: {positives_n} positive pairs, {len(members) - positives_n} negative pairs"
        )
        print("| d | precision | recall | TP | FP | FN |")
        print("| --- | --- | --- | --- | --- | --- |")
        for r in evaluate(members, args.max_distance):
            print(
                f"| {r.threshold} | {r.precision:.3f} | {r.recall:.3f} | {r.tp} | {r.fp} | {r.fn} |"
            )
    for threshold in (3, MAX_DISTANCE):
        right = by_kind(strata["article"], threshold)
        print(f"\narticle, per kind right at d <= {threshold}: {right}")
    negative = [d for p, d in scored if not p.duplicate and d is not None]
    print(f"closest negative pair: {min(negative)} bits")
    print(
        f"\nSimHash d <= {MAX_DISTANCE} or short-text MinHash estimate >= t "
        f"(decide(); chosen t = {THRESHOLD})"
    )
    print("| stratum | t | precision | recall | TP | FP | FN |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in ("article", "short", "all"):
        group = [c for c in combined if name == "all" or c[0].stratum == name]
        for r in evaluate_combined(group):
            print(
                f"| {name} | {r.threshold} | {r.precision:.3f} | {r.recall:.3f} "
                f"| {r.tp} | {r.fp} | {r.fn} |"
            )
    for name in ("short", "all"):
        group = [c for c in combined if name == "all" or c[0].stratum == name]
        wrong = {
            kind: sum(
                1
                for pair, d, e in group
                if pair.kind == kind
                and ((d is not None and d <= MAX_DISTANCE) or (e is not None and e >= THRESHOLD))
                != pair.duplicate
            )
            for kind in POSITIVE_KINDS + NEGATIVE_KINDS
        }
        print(f"{name}, wrong per kind at t = {THRESHOLD}: {wrong}")
    if args.overlap:
        for name in ("article", "short"):
            print(f"\n{name}: exact 3-shingle overlap of every pair")
            print("\n".join(overlap_table([p for p, _ in strata[name]], (0.3, 0.4, 0.5, 0.6))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
