"""Test settings: the real settings on a PostgreSQL and Redis of the run's own, fast hashing, and
tasks run in-process by default.

pytest imports this module first, in its main process and in each xdist worker. In the main
process, with no DATABASE_URL or REDIS_URL named, it starts the run's own embedded servers
(smsapp/embedded.py) and puts their URLs in the environment, which the workers inherit; they
stop, and their folder is deleted, when the run ends. Each xdist worker takes a Redis database
of its own, emptied before every test (tests/conftest.py). Tests that need a real worker start
one themselves (see tests/conftest.py).
"""

import atexit
import os
import secrets

from smsapp import embedded

_engine = embedded.services_start(disposable=True)
os.environ.update(_engine.environ)
atexit.register(_engine.stop)


def _worker_redis_url(url: str) -> str:
    """The same Redis, database 1 + the xdist worker's number (gw0 -> 1): workers' locks, rate
    limiters and queues never meet, and database 0 is left to whoever else uses the server."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return embedded.redis_url_with_db(url, 1 + int(worker.removeprefix("gw") or 0))


os.environ["REDIS_URL"] = _worker_redis_url(
    os.environ.get("REDIS_URL") or embedded.default_redis_url()
)

# DEBUG is off in the tests, as in production, so they need a real key: one per run (the xdist
# workers inherit it). Subprocesses the tests start (a worker, gunicorn) inherit it too.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from smsapp.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# Each status callback is applied as it comes (tests that batch them set a window).
STATUS_CALLBACKS_BATCH_SECONDS = 0
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
AXES_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# WhiteNoise indexes every static file whenever a test client builds the middleware chain;
# the test server serves static files itself.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
