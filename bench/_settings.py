"""Settings for benchmark servers: the real ones plus a no-op view to measure against."""

from smsapp.settings import *  # noqa: F403

ROOT_URLCONF = "bench._urls"
