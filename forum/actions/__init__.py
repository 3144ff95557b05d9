"""Every state change in the forum is one function here (DESIGN.md rule 1).

Each action validates its input, checks permission (forum.access), writes its
rows in one transaction and records exactly one timeline event when others
should see the change. Input errors raise ValidationError, refusals
PermissionDenied; both carry a message meant for a person.
"""
