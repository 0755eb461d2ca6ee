"""Learning objects for tests, inserted through the services (so they are indexed like real ones)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from minga.architecture.models import Group
from minga.core.models import Collective
from minga.learning import services
from minga.learning.models import Community, Practice, Resource, Session

_seq = itertools.count(1)


def make_practice(
    collective: Collective, *, actor: Any, origin_group: Group | None = None, **fields: Any
) -> Practice:
    n = next(_seq)
    fields.setdefault("title", f"Practice {n}")
    fields.setdefault("method", f"Method text {n}.")
    return services.practice_create(actor=actor, collective=collective, origin_group=origin_group, **fields)


def make_resource(
    collective: Collective, *, actor: Any, group: Group | None = None, **fields: Any
) -> Resource:
    n = next(_seq)
    fields.setdefault("title", f"Resource {n}")
    if "upload" not in fields and "url" not in fields:
        fields.setdefault("text", f"Resource body {n}.")
    return services.resource_create(actor=actor, collective=collective, group=group, **fields)


def make_community(
    collective: Collective, *, actor: Any, group: Group | None = None, **fields: Any
) -> Community:
    n = next(_seq)
    fields.setdefault("name", f"Community {n}")
    fields.setdefault("topic", "learning together")
    return services.community_create(actor=actor, collective=collective, group=group, **fields)


def make_session(community: Community, *, actor: Any, **fields: Any) -> Session:
    n = next(_seq)
    fields.setdefault("title", f"Session {n}")
    fields.setdefault("held_on", dt.date(2026, 3, 1))
    return services.session_create(actor=actor, community=community, **fields)
