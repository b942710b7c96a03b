"""Write a tiny demo corpus (12 firms, 2016-2019) for trying the CLI by hand.

Usage: ``python corpora/make_tiny.py OUT``
"""

from __future__ import annotations

import sys
from pathlib import Path

from smtext.demo import WorldConfig, generate_world

TINY = WorldConfig(n_firms=12, first_year=2016, last_year=2019, seed=1)

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tiny_world")
    print(generate_world(out, TINY, jobs=1))
