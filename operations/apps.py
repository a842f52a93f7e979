from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  registers apply_retention with permissions.jobs
