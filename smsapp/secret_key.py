"""What SECRET_KEY must look like with DEBUG off; settings.py refuses to start without it.

The key signs sessions, password-reset links and the short-link codes (messaging/shortlinks.py):
whoever knows it can mint valid codes and forge sessions. A missing key, a short one, or one
published in this repository (the compose file's old placeholder, the development fallback)
stops every process (web, worker, beat, manage.py) with an error that says what to do, instead
of serving on a key anyone can read. Plain functions, no Django: settings.py imports this.
"""

from __future__ import annotations

# Used only with DEBUG on (`make run` sets DEBUG=1, the tests set their own key).
DEVELOPMENT_KEY = "django-insecure-dev-key-for-make-run-only"
MIN_LENGTH = 50
MIN_UNIQUE_CHARACTERS = 5
# Keys that were ever published in this repository, and the prefixes of placeholder keys.
KNOWN_KEYS = frozenset(
    {
        DEVELOPMENT_KEY,
        "change-me-in-production-to-a-long-random-value-0123456789",
        "build-only-not-secret",
    }
)
PLACEHOLDER_PREFIXES = ("django-insecure", "change-me", "changeme")
HOW_TO = (
    'Set SECRET_KEY (or SECRET_KEY_FILE) to a random value, e.g. the output of python -c "import '
    'secrets; print(secrets.token_urlsafe(50))", the same for web, worker and beat. For '
    "development, DEBUG=1 (as `make run` sets) runs on a built-in key."
)


def secret_key_problem(key: str, *, debug: bool) -> str | None:
    """Why `key` can't sign anything in production, or None."""
    if debug:
        return None
    if not key:
        return f"SECRET_KEY is not set and DEBUG is off. {HOW_TO}"
    if key in KNOWN_KEYS or key.lower().startswith(PLACEHOLDER_PREFIXES):
        return f"SECRET_KEY is a published placeholder, which anyone can read. {HOW_TO}"
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return (
            f"SECRET_KEY is too weak ({len(key)} characters, {len(set(key))} different): it "
            f"needs at least {MIN_LENGTH} characters and {MIN_UNIQUE_CHARACTERS} different "
            f"ones. {HOW_TO}"
        )
    return None
