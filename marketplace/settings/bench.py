"""Load tests (bench/load.py): production settings, plus a bare view to compare pages with."""

from .production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
