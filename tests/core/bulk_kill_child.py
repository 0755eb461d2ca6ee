"""The process that tests/core/test_bulk_kill.py kills: a real import job on a SQLite file database.

    python -m tests.core.bulk_kill_child setup  FOLDER           migrate, then a collective and its admin
    python -m tests.core.bulk_kill_child run    FOLDER MODE CSV  an import job of CSV (killed half way)
    python -m tests.core.bulk_kill_child resume FOLDER           resume the interrupted job

DATABASE_URL, MINGA_DATA_DIR and MEDIA_ROOT come from the environment (the test points them into FOLDER).
The run writes the job's id to FOLDER/job-id, then imports through `import_job_start` as the web UI and
the API do; progress goes to the "progress" file cache, which the test watches. Each chunk is slowed by
KILL_TEST_CHUNK_PAUSE seconds so that the kill lands in the middle: the only test hook, and it lives here.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minga.settings")
    django.setup()
    command, folder = argv[0], Path(argv[1])
    if command == "setup":
        return setup()
    from django.contrib.auth import get_user_model

    import minga.core.bulk.jobs as jobs
    from minga.core.bulk import get_record_type
    from minga.core.models import Collective, ImportJob

    type(get_record_type("people")).chunk_size = int(os.environ["KILL_TEST_CHUNK_SIZE"])
    pause = float(os.environ.get("KILL_TEST_CHUNK_PAUSE", "0"))
    real_progress = jobs._set_progress

    def slowed(job_id: int, rows: int, fraction: float | None) -> None:
        real_progress(job_id, rows, fraction)
        if fraction != 1.0:
            time.sleep(pause)

    jobs._set_progress = slowed
    admin = get_user_model().objects.get(username="kill-admin")
    if command == "run":
        from django.core.files import File

        mode, csv_path = argv[2], Path(argv[3])
        with csv_path.open("rb") as handle:
            job = jobs.import_job_create(
                actor=admin,
                collective=Collective.objects.get(slug="kill"),
                kind="people",
                upload=File(handle),
                name=csv_path.name,
                mode=mode,
            )
        (folder / "job-id").write_text(str(job.pk))
        job = jobs.import_job_start(actor=admin, job=job, dry_run=False)
    elif command == "resume":
        job = ImportJob.objects.get(pk=int((folder / "job-id").read_text()))
        jobs.STALE_AFTER = 0  # the worker was killed a moment ago; on a real server, two minutes later
        job = jobs.import_job_start(actor=admin, job=jobs.import_job_refresh(job), dry_run=False)
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps({"status": job.status, "report": job.report}))
    return 0


def setup() -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from minga.core.choices import Role
    from tests.factories.architecture import make_group
    from tests.factories.core import make_collective
    from tests.factories.people import make_person

    call_command("migrate", verbosity=0)
    collective = make_collective(slug="kill", name="Kill test")
    backbone = make_group(collective, kind_code="backbone", code="backbone")
    make_group(collective, kind_code="country", code="kk")
    admin: Any = get_user_model().objects.create_user(username="kill-admin")  # no password: no slow hash
    person = make_person(collective, user=admin, full_name="Kill Admin")
    person.memberships.create(group=backbone, role=Role.ADMIN)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone holds everything: copyable
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
