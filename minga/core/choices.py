"""Vocabulary shared by every app: visibility levels and the roles of the collective architecture."""

from django.db import models


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: anyone, including visitors"
    COLLECTIVE = "collective", "Collective: people of this collective"
    PRIVATE = "private", "Private: the group's own people and those who support it"


class Role(models.TextChoices):
    """Roles a person holds through a membership. Order matters: a higher role covers the lower ones."""

    ADMIN = "admin", "Backbone admin"
    COORDINATOR = "coordinator", "Network coordinator"
    LEAD = "lead", "Group lead"
    MEMBER = "member", "Member"
    OBSERVER = "observer", "Observer"


# Rank used to decide who may grant which role: nobody grants a role above their own.
ROLE_RANK: dict[str, int] = {
    Role.ADMIN: 5,
    Role.COORDINATOR: 4,
    Role.LEAD: 3,
    Role.MEMBER: 2,
    Role.OBSERVER: 1,
}
