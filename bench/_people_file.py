"""A realistic people file for the bulk-data benchmarks: one row per person, each joining a group."""

from __future__ import annotations

import csv
import datetime as dt
import random
import unicodedata
from pathlib import Path

FIRST = [
    "Amina",
    "Juan",
    "Grace",
    "Luis",
    "Fatima",
    "Peter",
    "Ana",
    "Kofi",
    "Maria",
    "Joseph",
    "Wanjiru",
    "Diego",
]
LAST = ["Otieno", "García", "Mwangi", "Silva", "Diallo", "Njoroge", "López", "Mensah", "Achieng", "Pérez"]
HEADER = [
    "external_id",
    "email",
    "full_name",
    "preferred_language",
    "skills",
    "consent_purpose",
    "consent_given_on",
    "group",
    "role",
    "member_since",
]


def write_people_csv(path: Path, *, rows: int, group_codes: list[str], seed: int = 7) -> None:
    rng = random.Random(seed)
    start = dt.date(2019, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            ascii_last = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode()
            since = (start + dt.timedelta(days=rng.randrange(2000))).isoformat()
            writer.writerow(
                [
                    f"P{n:08d}",
                    f"{first.lower()}.{ascii_last.lower()}.{n}@example.org",
                    f"{first} {last}",
                    rng.choice(("en", "es", "fr", "pt")),
                    rng.choice(("", "facilitation", "bookkeeping; outreach")),
                    "Membership records",
                    since,
                    rng.choice(group_codes),
                    "member" if n % 20 else "lead",
                    since,
                ]
            )
