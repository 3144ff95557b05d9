from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self) -> None:
        from django.core.checks import Tags, register

        from forum import checks, kinds, signals, tasks  # noqa: F401  (signals connects allauth's email signals)

        kinds.register()  # forum's event kinds; other apps register theirs in their own ready()
        register(checks.check_secret_key, Tags.security, deploy=True)
        tasks.register_periodic_jobs()
