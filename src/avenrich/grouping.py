"""Grouping by shared keys (pure): the one union-find, for records, candidates or links that share an identifier."""

from __future__ import annotations

from collections.abc import Hashable, Iterable


def connected(keys_of: Iterable[Iterable[Hashable]]) -> list[list[int]]:
    """The items' indices in groups: two items sharing a key, directly or through others, are in one group.

    Groups come in the order of their first item, indices ascending within each; linear time (union-find with
    path halving).
    """
    parent: list[int] = []

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Hashable, int] = {}
    for i, keys in enumerate(keys_of):
        parent.append(i)
        for key in keys:
            j = owner.setdefault(key, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(parent)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())
