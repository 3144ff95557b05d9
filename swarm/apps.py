from django.apps import AppConfig


class SwarmConfig(AppConfig):
    name = "swarm"
    verbose_name = "Swarm"

    def ready(self) -> None:
        from swarm import panels, receivers, tasks  # noqa: F401  (receivers connect to forum.hooks)

        panels.register()
        tasks.register_periodic_jobs()
