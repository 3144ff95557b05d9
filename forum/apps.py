from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self) -> None:
        from forum import signals, tasks  # noqa: F401  (connects allauth's email_confirmed)

        tasks.register_periodic_jobs()
