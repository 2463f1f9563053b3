"""Tests for avenrich.grouping: items that share a key, directly or through others, form one group."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avenrich.grouping import connected


@pytest.mark.parametrize(
    ("keys_of", "groups"),
    [
        ([], []),
        ([["a"]], [[0]]),
        ([["a"], ["b"]], [[0], [1]]),  # nothing shared: apart
        ([["a"], ["a"]], [[0, 1]]),
        ([["a"], ["b"], ["a", "b"]], [[0, 1, 2]]),  # joined through a third item
        ([["x"], ["a"], ["b"], ["b", "a"]], [[0], [1, 2, 3]]),
        ([[], [], ["a"]], [[0], [1], [2]]),  # no keys: each alone
        ([[("doi", "1")], [("arxiv", "1")]], [[0], [1]]),  # same value, different kind: apart
    ],
)
def test_connected_groups_items_sharing_keys(keys_of: list[list[object]], groups: list[list[int]]) -> None:
    """Groups in order of their first item, indices ascending."""
    assert connected(keys_of) == groups


@given(st.lists(st.lists(st.integers(0, 8), max_size=3), max_size=12))
def test_connected_is_a_partition_closed_under_sharing(keys_of: list[list[int]]) -> None:
    """Every index once; two items sharing a key are in the same group; no group splits into unrelated parts."""
    groups = connected(keys_of)
    assert sorted(i for g in groups for i in g) == list(range(len(keys_of)))
    group_of = {i: n for n, g in enumerate(groups) for i in g}
    for i, left in enumerate(keys_of):
        for j, right in enumerate(keys_of):
            if set(left) & set(right):
                assert group_of[i] == group_of[j]
    for group in groups:  # each group is connected: grow from its first item through shared keys
        reached, keys = {group[0]}, set(keys_of[group[0]])
        changed = True
        while changed:
            changed = False
            for i in group:
                if i not in reached and keys & set(keys_of[i]):
                    reached.add(i)
                    keys |= set(keys_of[i])
                    changed = True
        assert reached == set(group)
