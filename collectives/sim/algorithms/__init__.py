"""The simulator's algorithms, one module each; importing this package imports every module in
it, which registers them all (a new module needs no list)."""

from collectives.registry import import_modules

import_modules(__name__, __path__)
