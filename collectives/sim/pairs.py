"""Bytes sent between pairs of ranks, kept sparse: only the pairs that exchanged bytes.

A run adds each step's messages; the totals are kept under sorted keys ``src * N + dst``, 8 bytes
of key and 8 of total per pair, so memory grows with the pairs that talk (N for a ring, about
N lg N for recursive doubling or Bruck, N(N - 1) for pairwise exchanges) and never with the N²
cells of a matrix. A step whose pairs are those of the step before (every step of a ring pass)
adds its bytes in place; pairs not seen yet wait in a list that is merged in once it holds as
many entries as the table, so adding costs amortised O(log) per entry.

The dense N×N matrix is made only on request (:meth:`PairTraffic.dense`).
"""

from __future__ import annotations

import numpy as np

_MIN_PENDING = 1 << 16  # entries waiting before a merge, at least


class PairTraffic:
    """Bytes from each rank to each other rank over a run, for the pairs that exchanged any."""

    def __init__(self, ranks: int) -> None:
        self.ranks = int(ranks)
        self._keys = np.empty(0, dtype=np.int64)  # sorted, distinct
        self._bytes = np.empty(0, dtype=np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_entries = 0
        self._last_keys: np.ndarray | None = None  # the keys of the last step added in place
        self._last_index: np.ndarray | slice | None = None  # and where they sit in the table
        self._last_distinct = False  # whether those keys are distinct

    def add(self, src: np.ndarray, dst: np.ndarray, nbytes: np.ndarray) -> None:
        """Add ``nbytes[i]`` bytes from ``src[i]`` to ``dst[i]`` for every i."""
        keys = np.asarray(src, dtype=np.int64) * self.ranks + np.asarray(dst, dtype=np.int64)
        nbytes = np.asarray(nbytes, dtype=np.int64)
        if not len(keys):
            return
        last = self._last_keys
        if last is not None and len(last) == len(keys) and np.array_equal(last, keys):
            assert self._last_index is not None
            self._add_in_place(self._last_index, nbytes, self._last_distinct)
            return
        index = np.searchsorted(self._keys, keys)
        found = index < len(self._keys)
        found[found] = self._keys[index[found]] == keys[found]
        if found.all():
            distinct = _strictly_increasing(keys)  # then so is index
            where: np.ndarray | slice = index
            if distinct and index[-1] - index[0] == len(index) - 1:  # a run of the table
                where = slice(int(index[0]), int(index[-1]) + 1)
            self._add_in_place(where, nbytes, distinct)
            self._last_keys, self._last_index, self._last_distinct = keys, where, distinct
            return
        np.add.at(self._bytes, index[found], nbytes[found])
        missing = ~found
        self._pending.append((keys[missing], nbytes[missing]))
        self._pending_entries += int(missing.sum())
        if self._pending_entries >= max(len(self._keys), _MIN_PENDING):
            self._merge()

    def _add_in_place(self, where: np.ndarray | slice, nbytes: np.ndarray,
                      distinct: bool) -> None:
        """Add ``nbytes`` to the table at ``where`` (a slice, or indices, repeated or not)."""
        if distinct:
            self._bytes[where] += nbytes
        else:
            np.add.at(self._bytes, where, nbytes)

    def _merge(self) -> None:
        """Fold the waiting entries into the table."""
        if not self._pending:
            return
        keys = np.concatenate([self._keys, *(k for k, _ in self._pending)])
        nbytes = np.concatenate([self._bytes, *(b for _, b in self._pending)])
        order = np.argsort(keys, kind="stable")
        keys, nbytes = keys[order], nbytes[order]
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        self._keys, self._bytes = keys[first], np.add.reduceat(nbytes, first)
        self._pending, self._pending_entries = [], 0
        self._last_keys = self._last_index = None  # the table's positions moved

    def __len__(self) -> int:
        """Pairs that exchanged bytes."""
        return len(self.pairs()[0])

    @property
    def memory(self) -> int:
        """Bytes the table and the waiting entries take."""
        return 16 * (len(self._keys) + self._pending_entries)

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(src, dst, bytes) of every pair that exchanged bytes, by src, then dst."""
        self._merge()
        talked = self._bytes != 0
        src, dst = np.divmod(self._keys[talked], self.ranks)
        return src, dst, self._bytes[talked].copy()

    def sent(self) -> np.ndarray:
        """Bytes each rank sent (int64, per rank)."""
        src, _, nbytes = self.pairs()
        return _per_rank(src, nbytes, self.ranks)

    def received(self) -> np.ndarray:
        """Bytes each rank received (int64, per rank)."""
        _, dst, nbytes = self.pairs()
        return _per_rank(dst, nbytes, self.ranks)

    def between(self, src: int, dst: int) -> int:
        """Bytes ``src`` sent to ``dst``."""
        self._merge()
        key = int(src) * self.ranks + int(dst)
        where = int(np.searchsorted(self._keys, key))
        found = where < len(self._keys) and int(self._keys[where]) == key
        return int(self._bytes[where]) if found else 0

    def dense(self) -> np.ndarray:
        """The N×N matrix: ``[i, j]`` is the bytes rank i sent rank j."""
        src, dst, nbytes = self.pairs()
        matrix = np.zeros((self.ranks, self.ranks), dtype=np.int64)
        matrix[src, dst] = nbytes
        return matrix

    def copy(self) -> PairTraffic:
        """An independent copy (merged)."""
        self._merge()
        other = PairTraffic(self.ranks)
        other._keys, other._bytes = self._keys.copy(), self._bytes.copy()
        return other


def _strictly_increasing(values: np.ndarray) -> bool:
    return len(values) < 2 or bool(np.all(values[1:] > values[:-1]))


def _per_rank(ranks: np.ndarray, nbytes: np.ndarray, n: int) -> np.ndarray:
    totals = np.zeros(n, dtype=np.int64)
    np.add.at(totals, ranks, nbytes)
    return totals
