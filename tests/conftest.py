"""Shared fixtures: a small collective with two regions, and one login per role.

The tree (collective "alpha"):
    backbone (support)            — admin
    Kenya (country)
      ├─ Nairobi region           — coordinator_a; lead of kibera; member of kibera
      │    └─ Kibera group
      └─ Coast region             — coordinator_b
           └─ Mombasa group
and a second collective "beta" with its own admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from minga.architecture.models import Group
from minga.core.choices import Role, Visibility
from minga.core.models import Collective
from tests.factories.architecture import make_group
from tests.factories.core import make_collective, make_user
from tests.factories.people import make_member

# MINGA_TEST_DATABASE=postgres: run the suite on a throwaway PostgreSQL cluster (see tests/pg_cluster.py).
pytest_plugins = ["tests.pg_cluster"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The real hasher is deliberately slow; tests create many logins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    alpha: Collective
    beta: Collective
    backbone: Group
    kenya: Group
    region_a: Group
    region_b: Group
    kibera: Group
    mombasa: Group
    beta_root: Group
    admin: Any
    coordinator_a: Any
    coordinator_b: Any
    lead: Any
    member: Any
    beta_admin: Any
    superuser: Any


@pytest.fixture
def world(db: Any) -> World:
    alpha = make_collective(slug="alpha", name="Alpha Collective")
    beta = make_collective(slug="beta", name="Beta Collective")
    backbone = make_group(alpha, kind_code="backbone", name="Backbone team", code="backbone")
    kenya = make_group(alpha, kind_code="country", name="Kenya", code="ke", country_code="KE")
    region_a = make_group(alpha, parent=kenya, kind_code="region", name="Nairobi", code="ke-nai")
    region_b = make_group(alpha, parent=kenya, kind_code="region", name="Coast", code="ke-cst")
    kibera = make_group(
        alpha,
        parent=region_a,
        name="Kibera Youth",
        code="ke-nai-kib",
        visibility=Visibility.PRIVATE,
        latitude=-1.31,
        longitude=36.78,
    )
    mombasa = make_group(
        alpha,
        parent=region_b,
        name="Mombasa Women",
        code="ke-cst-mom",
        visibility=Visibility.PRIVATE,
        latitude=-4.04,
        longitude=39.66,
    )
    beta_root = make_group(beta, kind_code="country", name="Peru", code="pe", country_code="PE")
    return World(
        alpha=alpha,
        beta=beta,
        backbone=backbone,
        kenya=kenya,
        region_a=region_a,
        region_b=region_b,
        kibera=kibera,
        mombasa=mombasa,
        beta_root=beta_root,
        admin=make_member(backbone, Role.ADMIN).user,
        coordinator_a=make_member(region_a, Role.COORDINATOR).user,
        coordinator_b=make_member(region_b, Role.COORDINATOR).user,
        lead=make_member(kibera, Role.LEAD).user,
        member=make_member(kibera, Role.MEMBER).user,
        beta_admin=make_member(make_group(beta, kind_code="backbone", code="beta-bb"), Role.ADMIN).user,
        superuser=make_user(superuser=True),
    )
