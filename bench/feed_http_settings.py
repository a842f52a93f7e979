"""Bench-only settings for ``feed_bench.py --http``: the production settings with a URLconf that
adds the baseline views (``bench/feed_http_urls.py``). Chosen for the server by
``DJANGO_SETTINGS_MODULE=bench.feed_http_settings``; nothing in ``config/`` knows of it."""
from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.feed_http_urls"
