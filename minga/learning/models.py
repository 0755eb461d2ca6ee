"""Learning and sharing what works: practices and their adoptions, communities of practice and their
sessions, the resource library, and the passages that search and Ask read.

Visibility of everything here follows one rule (`owned_visibility_q`): an item belongs to a collective
and optionally to an owner group (a practice's origin group, a resource's or community's group), and has
its own visibility level. Public items are seen by whoever sees the collective, "collective" items by
the collective's people, private ones by the owner group's people and those above it. An item owned by a
group is never shown to someone who cannot see that group.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q

from minga.architecture.models import Group, _path_filter, group_visibility_q
from minga.core.choices import Visibility
from minga.core.models import Collective
from minga.core.scoping import Scope, scope_for


def owned_visibility_q(scope: Scope, *, prefix: str = "", group: str = "group") -> Q:
    """Who sees an item of a collective with a `visibility` level and an optional owner group.

    `prefix` reaches the item from a related model (e.g. "practice__"); `group` names the owner field.
    """
    if scope.is_superuser:
        return Q()
    g = f"{prefix}{group}"
    owner_visible = Q(**{f"{g}__isnull": True}) | group_visibility_q(scope, f"{g}__")
    public = Q(
        **{
            f"{prefix}visibility": Visibility.PUBLIC,
            f"{prefix}collective__visibility": Visibility.PUBLIC,
        }
    )
    if scope.is_anonymous:
        return public & owner_visible
    members = scope.member_collectives | scope.admin_collectives
    shared = Q(
        **{
            f"{prefix}visibility__in": [Visibility.PUBLIC, Visibility.COLLECTIVE],
            f"{prefix}collective_id__in": members,
        }
    )
    private = (
        Q(**{f"{prefix}collective_id__in": scope.admin_collectives})
        | _path_filter(scope.view_paths, f"{g}__path")
        | Q(**{f"{g}__in": scope.member_groups})
    )
    return (public | shared | private) & owner_visible


def owned_editable_q(scope: Scope, *, group: str = "group") -> Q:
    """Who changes an item: the collective's admins, coordinators above the owner group, its leads."""
    if scope.is_superuser:
        return Q()
    if scope.is_anonymous:
        return Q(pk__in=[])
    return (
        Q(collective_id__in=scope.admin_collectives)
        | _path_filter(scope.edit_paths, f"{group}__path")
        | Q(**{f"{group}__in": scope.lead_groups})
    )


class PracticeStatus(models.TextChoices):
    EMERGING = "emerging", "Emerging"
    PROMISING = "promising", "Promising"
    PROVEN = "proven", "Proven"


# The strength of evidence behind a status, used by the "what's working" ranking.
EVIDENCE_WEIGHT = {PracticeStatus.EMERGING: 1, PracticeStatus.PROMISING: 2, PracticeStatus.PROVEN: 3}


class PracticeQuerySet(models.QuerySet["Practice"]):
    def visible_to(self, user: Any) -> PracticeQuerySet:
        """Practices `user` may read (see `owned_visibility_q`; the owner is the origin group)."""
        return self.filter(owned_visibility_q(scope_for(user), group="origin_group"))

    def editable_by(self, user: Any) -> PracticeQuerySet:
        """Practices `user` may change: admins, coordinators above the origin group, its leads."""
        return self.filter(owned_editable_q(scope_for(user), group="origin_group"))


class Practice(models.Model):
    """A practice a group found useful: the problem, the method, where it worked and the evidence."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="practices")
    origin_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="originated_practices"
    )
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=400, blank=True)
    problem = models.TextField(blank=True)
    method = models.TextField(blank=True)
    context = models.TextField(blank=True)
    evidence = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=PracticeStatus.choices, default=PracticeStatus.EMERGING)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PracticeQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["collective", "title"], name="practice_coll_title_idx")]

    def __str__(self) -> str:
        return self.title


class PracticeAttachmentQuerySet(models.QuerySet["PracticeAttachment"]):
    def visible_to(self, user: Any) -> PracticeAttachmentQuerySet:
        """Attachments of practices `user` may read."""
        return self.filter(practice__in=Practice.objects.visible_to(user).values("id"))


class PracticeAttachment(models.Model):
    """A file attached to a practice (PDF, DOCX, Markdown, text): its text is extracted and indexed
    with the practice's own passages, under the heading "Attachment: <title>"."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=200)
    file = models.FileField(
        upload_to="practices/%Y/%m/",
        validators=[FileExtensionValidator(["pdf", "docx", "md", "markdown", "txt"])],
    )
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PracticeAttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["practice", "id"]

    def __str__(self) -> str:
        return self.title


class AdoptionQuerySet(models.QuerySet["Adoption"]):
    def visible_to(self, user: Any) -> AdoptionQuerySet:
        """Adoptions of practices `user` may read, by groups `user` may see."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(
            owned_visibility_q(scope, prefix="practice__", group="origin_group")
            & group_visibility_q(scope, "group__")
        )


class Adoption(models.Model):
    """A group took up a practice: when, how it adapted it, what came of it, and whom it learned from."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="adoptions")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="adoptions")
    adopted_on = models.DateField()
    adapted_how = models.TextField(blank=True)
    result = models.TextField(blank=True)
    learned_from = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="taught_adoptions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AdoptionQuerySet.as_manager()

    class Meta:
        ordering = ["adopted_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "group"], name="adoption_unique_group"),
            models.CheckConstraint(
                condition=Q(learned_from__isnull=True) | ~Q(learned_from=models.F("group")),
                name="adoption_not_from_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} adopted {self.practice}"


class CommunityQuerySet(models.QuerySet["Community"]):
    def visible_to(self, user: Any) -> CommunityQuerySet:
        """Communities `user` may see (see `owned_visibility_q`; the owner is the hosting group)."""
        return self.filter(owned_visibility_q(scope_for(user)))

    def editable_by(self, user: Any) -> CommunityQuerySet:
        return self.filter(owned_editable_q(scope_for(user)))


class Community(models.Model):
    """A community of practice: people from many groups who meet to learn about one topic."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="communities")
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="hosted_communities"
    )
    name = models.CharField(max_length=200)
    topic = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        "people.Person", through="CommunityMember", related_name="communities", blank=True
    )
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name


class CommunityMember(models.Model):
    """A person in a community, as a member or a facilitator. Names are shown only to those who may
    read the person's record (`Person.objects.visible_to`)."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        FACILITATOR = "facilitator", "Facilitator"

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="community_roles")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["community", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["community", "person"], name="communitymember_unique")]

    def __str__(self) -> str:
        return f"{self.person} in {self.community}"


class SessionQuerySet(models.QuerySet["Session"]):
    def visible_to(self, user: Any) -> SessionQuerySet:
        """Sessions of communities `user` may see."""
        return self.filter(owned_visibility_q(scope_for(user), prefix="community__"))


class Session(models.Model):
    """One meeting of a community: the agenda, the notes, how many came, a link to the recording."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200)
    held_on = models.DateField()
    agenda = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    attendance = models.PositiveIntegerField(default=0)
    recording_url = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%Y-%m-%d})"


RESOURCE_EXTENSIONS = ["pdf", "docx", "md", "markdown", "txt"]


class ResourceQuerySet(models.QuerySet["Resource"]):
    def visible_to(self, user: Any) -> ResourceQuerySet:
        """Resources `user` may read (see `owned_visibility_q`; the owner is the group)."""
        return self.filter(owned_visibility_q(scope_for(user)))

    def editable_by(self, user: Any) -> ResourceQuerySet:
        return self.filter(owned_editable_q(scope_for(user)))


class Resource(models.Model):
    """A document of the library: an uploaded file (PDF, DOCX, Markdown, text) or a web link, with the
    text extracted from it for search and Ask."""

    class Kind(models.TextChoices):
        FILE = "file", "Uploaded document"
        TEXT = "text", "Text written here"
        LINK = "link", "Web link"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="resources")
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.TEXT)
    file = models.FileField(
        upload_to="library/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(RESOURCE_EXTENSIONS)],
    )
    url = models.URLField(blank=True, max_length=500)
    description = models.TextField(blank=True)
    text = models.TextField(blank=True, help_text="The document's text (extracted from the file).")
    tags = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=10, default="en")
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["collective", "title"], name="resource_coll_title_idx")]

    def __str__(self) -> str:
        return self.title


class PassageKind(models.TextChoices):
    PRACTICE = "practice", "Practice"
    RESOURCE = "resource", "Document"
    SESSION = "session", "Session notes"
    GROUP = "group", "Group"
    ACTIVITY = "activity", "Activity"


class PassageQuerySet(models.QuerySet["Passage"]):
    def visible_to(self, user: Any) -> PassageQuerySet:
        """Passages of the practices, resources, sessions, groups and activities `user` may read: search
        and Ask never return, rank or cite anything else. Groups follow `Group.objects.visible_to`,
        activities `Activity.objects.visible_to` (the activities app's own rule)."""
        from minga.activities.models import Activity  # activities' models only (it sits beside us)

        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(
            Q(
                kind=PassageKind.PRACTICE,
                practice__in=Practice.objects.visible_to(user).values("id"),
            )
            | Q(kind=PassageKind.RESOURCE, resource__in=Resource.objects.visible_to(user).values("id"))
            | Q(kind=PassageKind.SESSION, session__in=Session.objects.visible_to(user).values("id"))
            | Q(kind=PassageKind.GROUP, group__in=Group.objects.visible_to(user).values("id"))
            | Q(kind=PassageKind.ACTIVITY, activity__in=Activity.objects.visible_to(user).values("id"))
        )


class Passage(models.Model):
    """A chunk of a practice, a document, a session's notes, a group's description or an activity:
    what search ranks and Ask cites. Groups and activities belong to other apps, which never call
    learning: `indexing.search_index_refresh` picks up their changes (see `IndexCursor`).

    Written only by `minga.learning.search.index_*` (called by the services), never by hand. The
    full-text index (SQLite FTS5 table `learning_passage_fts`, or the `search_vector` column with a GIN
    index on PostgreSQL) is kept in step with these rows by the same functions / a generated column.
    """

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="passages")
    kind = models.CharField(max_length=10, choices=PassageKind.choices)
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.CASCADE, related_name="passages"
    )
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="passages"
    )
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="passages"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="search_passages"
    )
    activity = models.ForeignKey(
        "activities.Activity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="search_passages",
    )
    position = models.PositiveIntegerField(default=0)
    anchor = models.CharField(max_length=40)
    title = models.CharField(max_length=200, help_text="Title of the source.")
    heading = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    language = models.CharField(max_length=10, default="en")
    tags = models.CharField(max_length=400, blank=True, help_text="Space-separated, padded: ' a b '.")
    embedding = models.BinaryField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PassageQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "position", "id"]
        indexes = [
            models.Index(fields=["collective", "kind"], name="passage_coll_kind_idx"),
            # the newest passage of a collective in one seek: the semantic cache's staleness check
            models.Index(fields=["collective", "id"], name="passage_coll_id_idx"),
            models.Index(fields=["practice", "position"], name="passage_practice_idx"),
            models.Index(fields=["resource", "position"], name="passage_resource_idx"),
            models.Index(fields=["session", "position"], name="passage_session_idx"),
            models.Index(fields=["group", "position"], name="passage_group_idx"),
            models.Index(fields=["activity", "position"], name="passage_activity_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind="practice",
                    practice__isnull=False,
                    resource__isnull=True,
                    session__isnull=True,
                    group__isnull=True,
                    activity__isnull=True,
                )
                | Q(
                    kind="resource",
                    resource__isnull=False,
                    practice__isnull=True,
                    session__isnull=True,
                    group__isnull=True,
                    activity__isnull=True,
                )
                | Q(
                    kind="session",
                    session__isnull=False,
                    practice__isnull=True,
                    resource__isnull=True,
                    group__isnull=True,
                    activity__isnull=True,
                )
                | Q(
                    kind="group",
                    group__isnull=False,
                    practice__isnull=True,
                    resource__isnull=True,
                    session__isnull=True,
                    activity__isnull=True,
                )
                | Q(
                    kind="activity",
                    activity__isnull=False,
                    practice__isnull=True,
                    resource__isnull=True,
                    session__isnull=True,
                    group__isnull=True,
                ),
                name="passage_one_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} §{self.position}"

    @property
    def source_id(self) -> int:
        return int(
            self.practice_id or self.resource_id or self.session_id or self.group_id or self.activity_id or 0
        )


class IndexCursorQuerySet(models.QuerySet["IndexCursor"]):
    def visible_to(self, user: Any) -> IndexCursorQuerySet:
        """Cursors of the collectives `user` may see (bookkeeping, no content)."""
        return self.filter(collective__in=Collective.objects.visible_to(user))


class IndexCursor(models.Model):
    """How far the passages of a collective's groups or activities are indexed: the newest
    `updated_at` seen by `indexing.search_index_refresh` (those apps never call learning)."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=PassageKind.choices)
    indexed_until = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    objects = IndexCursorQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collective", "kind"], name="indexcursor_unique")]

    def __str__(self) -> str:
        return f"{self.collective} {self.kind} until {self.indexed_until}"
