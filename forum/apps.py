from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self) -> None:
        from forum import kinds, signals  # noqa: F401  (signals connects allauth's email_confirmed)

        kinds.register()  # forum's event kinds; other apps register theirs in their own ready()
