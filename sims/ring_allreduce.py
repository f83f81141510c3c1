"""Ring all-reduce on 4 ranks, one step at a time: the picture every tutorial draws.

    python sims/ring_allreduce.py

The walk-through lives in :mod:`collectives.sim.walkthrough` (the demo prints it too): it steps
``Simulation("allreduce", inputs, algorithm="ring", provenance=True)`` with ``step()``, prints every
rank's chunks and whose data is in them after each step, then holds the bytes each rank sent to
2(N - 1)K/N and the total to 2(N - 1)K.
"""

from collectives.sim.walkthrough import main

if __name__ == "__main__":
    main()
