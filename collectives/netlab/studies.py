"""The studies behind the lab's plots, each measured beside simulated on real labs:

- :func:`ring_scaling`: ring all-reduce on a ring of N hosts, N = 2, 3, ...: with every link
  the same, the bus bandwidth stays flat as N grows; with one link at a quarter of the others'
  rate, the time is the formula's ``2(N-1)(alpha + K/(N·B_slowest))``, set by that link.
- :func:`ring_against_tree`: ring and tree all-reduce on a ring of hosts across sizes; the
  tree's messages share links, the ring's never do.

Each returns JSON-ready rows; :mod:`collectives.plots.netlab` draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from collectives.netlab.compare import compare
from collectives.sim.network import Network, ring


def _rows(network: Network, calls: Sequence[tuple[str, str, int]], **extra: object
          ) -> list[dict]:
    result = compare(network, calls)
    fit = result.fit
    return [{**row, **extra, "ranks": network.ranks, "alpha": fit.alpha,
             "efficiency": fit.efficiency} for row in result.rows]


def ring_scaling(ranks: Sequence[int], nbytes: int, bandwidth: float,
                 progress: Callable[[str], None] = lambda _: None) -> list[dict]:
    """Ring all-reduce of ``nbytes`` on rings of each N in ``ranks``, every link at
    ``bandwidth``, then with link 0-1 at a quarter of it (rows carry ``slow``: its rate or
    None)."""
    rows = []
    for n in ranks:
        for slow in (None, bandwidth / 4):
            network = ring(n, bandwidth=bandwidth)
            if slow is not None:
                network = network.with_link(0, 1, bandwidth=slow)
            progress(f"ring of {n} hosts" + (f", link 0-1 at {slow:g} B/s" if slow else ""))
            rows += _rows(network, [("allreduce", "ring", nbytes)], slow=slow,
                          bandwidth=bandwidth)
    return rows


def ring_against_tree(ranks: int, sizes: Sequence[int], bandwidth: float) -> list[dict]:
    """Ring and tree all-reduce at each size on a ring of ``ranks`` hosts."""
    calls = [("allreduce", algorithm, size) for size in sizes for algorithm in ("ring", "tree")]
    return _rows(ring(ranks, bandwidth=bandwidth), calls, bandwidth=bandwidth)
