"""The demo world: a seeded synthetic A-share universe with planted effects.

``generate_world(out, WorldConfig(...))`` writes firms, financial statements, a
pilot list, city data, patents and real PDF reports, plus ``truth.json`` with
every planted parameter, so that the main job runs without external data and
tests can check estimates against the truth.
"""

from .config import WorldConfig
from .world import ensure_world, generate_world

__all__ = ["WorldConfig", "ensure_world", "generate_world"]
