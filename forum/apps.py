from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self) -> None:
        from forum import requestlog, signals  # noqa: F401  (allauth's email_confirmed; request ids into tasks)
