"""An nccl-tests style benchmark of the MPI collectives: ``python -m collectives bench``.

- :mod:`~collectives.bench.sizes`: ``-b 8 -e 64M -f 2`` sweeps and the count each size means;
- :mod:`~collectives.bench.bandwidth`: algbw and busbw as nccl-tests defines them;
- :mod:`~collectives.bench.check`: numpy's answer for one rank and the count of wrong elements;
- :mod:`~collectives.bench.calls`: the buffers and the out-of-place and in-place calls;
- :mod:`~collectives.bench.copyprobe`: the memory copy bandwidth of N ranks at once (the ceiling);
- :mod:`~collectives.bench.memory`: a rank's peak numpy scratch and RSS growth;
- :mod:`~collectives.bench.runner`: the run loop (needs mpi4py);
- :mod:`~collectives.bench.report`: the table, CSV and JSON.

Its picture, busbw against size from the CSV, is :mod:`collectives.plots.busbw`; the timing
loop it shares with the calibration is :mod:`collectives.timing_loop`.

Importing this package never starts MPI.
"""
