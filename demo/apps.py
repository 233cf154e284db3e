from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo account `make run` seeds. It sits above every other app: it reads and writes
    them all through their services, and nothing imports it."""

    name = "demo"
