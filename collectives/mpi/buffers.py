"""The checks of a caller's arrays, kept in :mod:`collectives.buffers` (free of MPI, so the
simulated world makes the same ones)."""

from collectives.buffers import as_input, as_root, check_apart, check_out, flat, same_array

__all__ = ["as_input", "as_root", "check_apart", "check_out", "flat", "same_array"]
