"""The tensor-parallel volume picture now lives in :mod:`collectives.plots.block_volume`; this
name stays for code that imports it from here."""

from collectives.plots.block_volume import BlockVolume, measure_block_volume, plot_block_volume

__all__ = ["BlockVolume", "measure_block_volume", "plot_block_volume"]
