"""The demo collective: a believable movement of grassroots groups in real places, generated from a seed.

`minga demo --size small|medium|large` calls `minga.demo.generate.generate_demo`. The parts:
`places.py` and `names.py` (hand-written gazetteer and name pools), `plan.py` (the architecture, planned
in memory), `population.py` (people and memberships, streamed as rows), `writer.py` (bulk inserts on
SQLite and PostgreSQL) and `generate.py` (the whole run, the logins, the audit entry).

Nothing is imported here, so the pure-Python parts load without Django being set up.
"""
