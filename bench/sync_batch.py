"""Benchmark: `POST /api/v1/datavalues` batches of 10,000 values (new, then re-sent), against a raw insert.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`), with a
synthetic collective (`--groups` groups in five levels, `--indicators` monthly indicators, 12 months),
`--repeat` batches are sent through the real API stack (Django test client, bearer token, JSON parsing,
schema validation, Idempotency-Key, the upsert, the audit entry): each batch new values, then each batch
again (all unchanged). The raw baseline inserts the same rows with the driver.
One JSON line per figure: bench, database, rows, p95_ms, median_ms, ratio_to_raw.

    .venv/bin/python -m bench.sync_batch [--batch 10000] [--repeat 5] [--groups 10000] [--indicators 100]
                                         [--database sqlite|postgres] [--keep]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench._scratch import emit, median_p95, scratch_database, use_in_process
from bench._values_setup import build_world, raw_batches_p95, value_rows


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.sync_batch", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.test import Client

        from minga.core.services import api_token_create

        world = build_world(groups=args.groups, indicators=args.indicators, months=12)
        _, token = api_token_create(actor=world.admin, user=world.admin, name="bench")
        client = Client(headers={"Authorization": f"Bearer {token}"})
        rows = list(value_rows(world, args.batch * args.repeat))
        batches = [rows[n * args.batch : (n + 1) * args.batch] for n in range(args.repeat)]
        common = {"database": args.database, "rows": args.batch}

        raw_p95 = raw_batches_p95(world, batches)
        emit(bench="sync-batch-raw-insert", **common, p95_ms=raw_p95, ratio_to_raw=1.0)

        # Warm up: the first request loads the URLconf, the API's routes and schemas.
        empty = json.dumps({"collective": world.collective.slug, "values": []})
        client.post("/api/v1/datavalues", data=empty, content_type="application/json")
        failed = 0
        for label, expect in (("sync-batch", "created"), ("sync-batch-resend", "unchanged")):
            timings = []
            for n, batch in enumerate(batches):
                body = {
                    "collective": world.collective.slug,
                    "values": [{"indicator": i, "group": g, "period": p, "value": v} for i, g, p, v in batch],
                }
                payload = json.dumps(body)
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/datavalues",
                    data=payload,
                    content_type="application/json",
                    headers={"Idempotency-Key": f"{label}-{n}"},
                )
                timings.append((time.perf_counter() - started) * 1000)
                answer = response.json()
                if response.status_code != 200 or answer.get(expect) != len(batch):
                    print(f"{label} #{n}: {response.status_code} {str(answer)[:300]}", file=sys.stderr)
                    failed = 1
            median, p95 = median_p95(timings)
            emit(bench=label, **common, batches=args.repeat, median_ms=median, p95_ms=p95,
                 ratio_to_raw=round(p95 / raw_p95, 2))  # fmt: skip
            if p95 > 2_000:
                print(f"{label}: p95 {p95} ms > 2,000 ms", file=sys.stderr)
        return failed


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
