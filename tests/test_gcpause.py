"""scraper.gcpause: the cyclic garbage collector is off inside the block and restored after."""

from __future__ import annotations

import gc

import pytest

from scraper.gcpause import collector_paused


def test_paused_inside_and_restored_after_success_and_failure() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_caller_that_turned_it_off_keeps_it_off() -> None:
    gc.disable()
    try:
        with collector_paused(), collector_paused():  # nested: the inner one finds it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_cycles_made_while_paused_are_collected_later() -> None:
    import weakref

    class Node:
        other: object = None

    with collector_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a
        alive = weakref.ref(a)
        del a, b
        assert alive() is not None  # reference counting alone cannot free a cycle
    gc.collect()
    assert alive() is None
