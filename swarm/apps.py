from django.apps import AppConfig


class SwarmConfig(AppConfig):
    name = "swarm"
    verbose_name = "Swarm"

    def ready(self) -> None:
        from swarm import receivers  # noqa: F401  (connects to forum.hooks)
