"""The lab tests need root (network namespaces, queueing disciplines). Elsewhere they skip,
unless ``COLLECTIVES_NETLAB_REQUIRED=1`` (CI sets it), where a missing privilege fails them."""

from __future__ import annotations

import os

import pytest

REQUIRED = os.environ.get("COLLECTIVES_NETLAB_REQUIRED") == "1"


def pytest_collection_modifyitems(config, items):
    """Mark every test that builds a lab to skip without root, unless the lab is required."""
    if os.geteuid() == 0 or REQUIRED:
        return
    skip = pytest.mark.skip(reason="the lab needs root (network namespaces)")
    for item in items:
        if "lab" in item.fixturenames or item.get_closest_marker("lab"):
            item.add_marker(skip)
