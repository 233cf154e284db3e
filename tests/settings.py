"""Test settings: the real settings with fast hashing and tasks run in-process by default.

Tests that need a real worker start one themselves (see tests/conftest.py).
"""

from smsapp.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# Each status callback is applied as it comes (tests that batch them set a window).
STATUS_CALLBACKS_BATCH_SECONDS = 0
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# WhiteNoise indexes every static file whenever a test client builds the middleware chain;
# the test server serves static files itself.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
