"""decide(): every branch, the churn cap, and re-run idempotence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scraper.dedup import (
    MAX_CHANGES,
    MAX_DISTANCE,
    MIN_CHANGE_INTERVAL,
    LinearIndex,
    SimHashIndex,
    content_hash,
    decide,
    hash_version,
    simhash,
)
from scraper.models import ArticleIdentity, Decision, SaveAction

NOW = datetime(2025, 7, 9, 12, 0, tzinfo=UTC)
URL = "https://www.ipis.ir/en/subjectview/123"
HASH = content_hash("the body")
OTHER_HASH = content_hash("the body, edited")


def _identity(**changes: object) -> ArticleIdentity:
    base = ArticleIdentity(
        id=42,
        canonical_url=URL,
        content_hash=HASH,
        simhash=0x1234,
        first_seen=NOW - timedelta(days=10),
        last_changed=NOW - timedelta(days=3),
        change_count=1,
        duplicate_of=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _decide(existing: ArticleIdentity | None, **kwargs: object) -> Decision:
    args: dict[str, object] = {
        "canonical_url": URL,
        "content_hash": HASH,
        "simhash": 0x1234,
        "index": SimHashIndex(),
        "now": NOW,
    }
    args.update(kwargs)
    return decide(existing, **args)  # type: ignore[arg-type]


def test_existing_same_hash_is_unchanged() -> None:
    decision = _decide(_identity())
    assert decision.action is SaveAction.UNCHANGED
    assert decision.article_id == 42
    assert decision.count_change is False
    assert decision.canonical_url == URL
    assert decision.content_hash == HASH


def test_a_new_title_on_the_same_text_is_an_update() -> None:
    """A corrected headline is an edit (it reaches the feeds) under the churn cap; whitespace
    alone, or a title not found this time, changes nothing."""
    stored = _identity(title="Iran and the  West")
    decision = _decide(stored, title="Iran and the West: a correction")
    assert (decision.action, decision.count_change) == (SaveAction.UPDATED, True)
    assert decision.content_hash == HASH
    recent = replace(stored, last_changed=NOW - timedelta(hours=1))
    assert _decide(recent, title="Iran and the West, again").count_change is False
    for same in ("Iran and the West", " Iran  and the\nWest ", None, "  "):
        assert _decide(stored, title=same).action is SaveAction.UNCHANGED
    assert _decide(_identity(title=None), title="Found at last").action is SaveAction.UPDATED


def test_existing_different_hash_is_a_counted_update() -> None:
    decision = _decide(_identity(), content_hash=OTHER_HASH, simhash=0x1235)
    assert decision.action is SaveAction.UPDATED
    assert decision.article_id == 42
    assert decision.count_change is True
    assert decision.content_hash == OTHER_HASH
    assert decision.simhash == 0x1235
    assert decision.duplicate_of is None


def test_update_never_looks_for_duplicates_and_keeps_its_link() -> None:
    index = SimHashIndex([(1, 0x1234)])
    decision = _decide(_identity(duplicate_of=7), content_hash=OTHER_HASH, index=index)
    assert decision.action is SaveAction.UPDATED
    assert decision.duplicate_of == 7


def test_second_change_within_a_day_does_not_count() -> None:
    recent = _identity(last_changed=NOW - timedelta(hours=3))
    decision = _decide(recent, content_hash=OTHER_HASH)
    assert decision.action is SaveAction.UPDATED
    assert decision.count_change is False


def test_change_counts_again_once_the_interval_passed() -> None:
    exactly = _identity(last_changed=NOW - MIN_CHANGE_INTERVAL)
    assert _decide(exactly, content_hash=OTHER_HASH).count_change is True
    just_before = _identity(last_changed=NOW - MIN_CHANGE_INTERVAL + timedelta(seconds=1))
    assert _decide(just_before, content_hash=OTHER_HASH).count_change is False


def test_lifetime_cap_on_counted_changes() -> None:
    capped = _identity(change_count=MAX_CHANGES, last_changed=NOW - timedelta(days=300))
    decision = _decide(capped, content_hash=OTHER_HASH)
    assert decision.action is SaveAction.UPDATED
    assert decision.count_change is False
    below = _identity(change_count=MAX_CHANGES - 1, last_changed=NOW - timedelta(days=300))
    assert _decide(below, content_hash=OTHER_HASH).count_change is True


def test_cap_parameters_are_honoured() -> None:
    identity = _identity(change_count=2, last_changed=NOW - timedelta(hours=2))
    hourly = timedelta(hours=1)
    allowed = _decide(identity, content_hash=OTHER_HASH, min_change_interval=hourly, max_changes=3)
    assert allowed.count_change is True
    capped = _decide(identity, content_hash=OTHER_HASH, min_change_interval=hourly, max_changes=2)
    assert capped.count_change is False


def test_hash_rules_version_change_is_a_silent_update() -> None:
    old_rules = _identity(content_hash="v0:" + "0" * 64, last_changed=NOW - timedelta(days=30))
    decision = _decide(old_rules)
    assert decision.action is SaveAction.UPDATED
    assert decision.count_change is False
    assert hash_version(decision.content_hash) == "v1"


def test_hash_version() -> None:
    assert hash_version("v1:abc") == "v1"
    assert hash_version("abc") == ""


def test_new_without_match() -> None:
    index = SimHashIndex([(1, 0xFFFF_FFFF_0000_0000)])
    decision = _decide(None, index=index)
    assert decision.action is SaveAction.NEW
    assert decision.article_id is None
    assert decision.duplicate_of is None
    assert decision.count_change is True


def test_new_near_duplicate_points_at_the_earliest_match() -> None:
    h = 0xABCD_EF01_2345_6789
    index = SimHashIndex([(30, h ^ 0b1), (12, h ^ 0b111), (50, h), (99, h ^ (1 << 60) - 1)])
    decision = _decide(None, simhash=h, index=index)
    assert decision.action is SaveAction.NEW
    assert decision.duplicate_of == 12  # smallest id within distance, not the closest


def test_new_respects_max_distance() -> None:
    h = 0
    index = SimHashIndex([(5, 0b1111)])  # 4 bits away
    assert _decide(None, simhash=h, index=index, max_distance=3).duplicate_of is None
    assert _decide(None, simhash=h, index=index, max_distance=4).duplicate_of == 5
    outside = SimHashIndex([(5, (1 << (MAX_DISTANCE + 1)) - 1)])
    assert _decide(None, simhash=h, index=outside).duplicate_of is None


def test_new_without_fingerprint_is_never_a_duplicate() -> None:
    index = LinearIndex([(1, 0)])  # LinearIndex fits decide() too
    decision = _decide(None, simhash=None, index=index)
    assert decision.action is SaveAction.NEW
    assert decision.duplicate_of is None
    assert decision.simhash is None


def test_republished_piece_is_linked_and_rerun_changes_nothing() -> None:
    body = " ".join(f"sentence {i} about energy policy in the region." for i in range(80))
    first = simhash(body)
    assert first is not None
    index = SimHashIndex([(1, first)])
    copy = "This article first appeared on brookings.edu\n\n" + body + "\n\nShare this"
    copy_hash = simhash(copy)
    decision = _decide(None, content_hash=content_hash(copy), simhash=copy_hash, index=index)
    assert decision.duplicate_of == 1
    # store saves it as id 2; the same scrape again finds the identity: nothing to do
    stored = _identity(id=2, content_hash=content_hash(copy), simhash=copy_hash, duplicate_of=1)
    again = _decide(stored, content_hash=content_hash(copy), simhash=copy_hash, index=index)
    assert again.action is SaveAction.UNCHANGED
    assert again.duplicate_of == 1


@pytest.mark.parametrize("hours", [0, 1, 23])
def test_churning_page_counts_at_most_once_a_day(hours: int) -> None:
    identity = _identity(last_changed=NOW - timedelta(hours=hours), change_count=5)
    changes = [
        _decide(
            identity,
            content_hash=content_hash(f"body at minute {m}"),
            now=NOW + timedelta(minutes=m),
        ).count_change
        for m in range(0, 60, 10)
    ]
    assert not any(changes)


def test_same_content_links_texts_too_short_to_fingerprint() -> None:
    decision = _decide(None, simhash=None, same_content=7)
    assert decision.action is SaveAction.NEW
    assert decision.duplicate_of == 7
    # with a fingerprint match as well, the earlier of the two wins
    h = 0xABCD
    index = SimHashIndex([(3, h)])
    assert _decide(None, simhash=h, index=index, same_content=7).duplicate_of == 3
    assert _decide(None, simhash=h, index=SimHashIndex([(9, h)]), same_content=7).duplicate_of == 7
    # an existing identity is an update or unchanged, never relinked
    assert _decide(_identity(), same_content=7).duplicate_of is None
