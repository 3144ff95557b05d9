app_name = "swarm"

urlpatterns: list = []
