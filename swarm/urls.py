from django.urls import path

from forum.urls import NameConverter  # noqa: F401  (registers the "name" converter)
from swarm import views

app_name = "swarm"

urlpatterns = [
    path("t/<int:thread_id>/swarm/", views.panel, name="panel"),
    path("t/<int:thread_id>/escalate/", views.escalate, name="escalate"),
    path("t/<int:thread_id>/metoo/", views.metoo, name="metoo"),
    path("t/<int:thread_id>/notes/", views.add_note, name="add_note"),
    path("e/<int:escalation_id>/claim/", views.work, {"verb": "claim"}, name="claim"),
    path("e/<int:escalation_id>/release/", views.work, {"verb": "release"}, name="release"),
    path("e/<int:escalation_id>/resolve/", views.work, {"verb": "resolve"}, name="resolve"),
    path("e/<int:escalation_id>/handoff/", views.work, {"verb": "handoff"}, name="handoff"),
    path("e/<int:escalation_id>/ticket/", views.work, {"verb": "ticket"}, name="ticket"),
    path("e/<int:escalation_id>/confirm/", views.confirm, name="confirm"),
    path("e/<int:escalation_id>/rate/", views.rate, name="rate"),
    path("vendors/suggest/", views.vendor_suggest, name="vendor_suggest"),
    path("v/<name:handle>/inbox/", views.inbox, name="inbox"),
    path("v/<name:handle>/inbox/bulk/", views.inbox_bulk, name="inbox_bulk"),
    path("v/<name:handle>/teams/", views.team_settings, name="teams"),
    path("v/<name:handle>/radar/", views.radar_keywords, name="radar_keywords"),
    path("v/<name:handle>/radar/<int:hit_id>/", views.radar_hit, name="radar_hit"),
]
