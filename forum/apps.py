from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self) -> None:
        from django.core.checks import Tags, register

        from forum import checks, kinds, requestlog, signals, tasks  # noqa: F401  (email signals; request ids into tasks)

        kinds.register()  # forum's event kinds; other apps register theirs in their own ready()
        register(checks.check_secret_key, Tags.security, deploy=True)
        register(checks.check_catalogs, Tags.translation, deploy=True)
        tasks.register_periodic_jobs()
