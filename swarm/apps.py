from django.apps import AppConfig


class SwarmConfig(AppConfig):
    name = "swarm"
    verbose_name = "Swarm"

    def ready(self) -> None:
        from swarm import inbound, kinds, panels, receivers, tasks  # noqa: F401  (receivers connect to forum.hooks)

        kinds.register()
        inbound.register()
        panels.register()
        tasks.register_periodic_jobs()
