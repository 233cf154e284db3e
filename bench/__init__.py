"""Micro-benchmarks: ``python -m bench [name ...]`` (or ``make bench``).

Each ``bench/<name>.py`` has a ``run()`` that prints its figures and returns whether its goals
were met (``None`` counts as met); the runner exits non-zero if any were not.
"""
