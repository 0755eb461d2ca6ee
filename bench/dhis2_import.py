"""Benchmark: DHIS2 dataValueSets of 10,000 values in over the API (new, re-sent) and out, vs a raw insert.

In one scratch database (SQLite, or a throwaway PostgreSQL cluster with `--database postgres`), with a
synthetic collective (`--groups` groups in five levels, `--indicators` monthly indicators, 12 months)
mapped for DHIS2 (`dhis2_mappings_generate`: UIDs for every indicator and group), `--repeat` documents
are sent through the real API stack (bearer token, Idempotency-Key, mapping, the set-based writer, the
audit entry): each document new values, then each again (all `ignored`). Then the whole collective is
exported as one document. The raw baseline inserts the same rows with the driver.
One JSON line per figure: bench, database, rows, p95_ms, median_ms, seconds, ratio_to_raw.

    .venv/bin/python -m bench.dhis2_import [--batch 10000] [--repeat 3] [--groups 10000] [--indicators 100]
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
    parser = argparse.ArgumentParser(prog="bench.dhis2_import", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    with scratch_database(args.database, keep=args.keep) as scratch:
        use_in_process(scratch)
        from django.test import Client

        from minga.core.services import api_token_create
        from minga.measurement.dhis2_exchange import MappingTable, dhis2_mappings_generate

        world = build_world(groups=args.groups, indicators=args.indicators, months=12)
        dhis2_mappings_generate(actor=world.admin, collective=world.collective, kinds=["indicator", "group"])
        table = MappingTable.load(world.collective)
        _, token = api_token_create(actor=world.admin, user=world.admin, name="bench")
        client = Client(headers={"Authorization": f"Bearer {token}"})
        rows = list(value_rows(world, args.batch * args.repeat))
        batches = [rows[n * args.batch : (n + 1) * args.batch] for n in range(args.repeat)]
        common = {"database": args.database, "rows": args.batch}

        raw_p95 = raw_batches_p95(world, batches)
        emit(bench="dhis2-import-raw-insert", **common, p95_ms=raw_p95, ratio_to_raw=1.0)

        url = f"/api/v1/dhis2/datavaluesets?collective={world.collective.slug}"
        client.post(url, data=json.dumps({"dataValues": []}), content_type="application/json")  # warm up
        documents = [
            json.dumps(
                {
                    "dataValues": [
                        {
                            "dataElement": table.to_dhis2("indicator", i, "UID"),
                            "period": p,
                            "orgUnit": table.to_dhis2("group", g, "UID"),
                            "categoryOptionCombo": "HllvX50cXC0",
                            "attributeOptionCombo": "HllvX50cXC0",
                            "value": str(v),
                        }
                        for i, g, p, v in batch
                    ]
                }
            )
            for batch in batches
        ]
        failed = 0
        for label, expect in (("dhis2-import", "imported"), ("dhis2-import-resend", "ignored")):
            timings = []
            for n, document in enumerate(documents):
                started = time.perf_counter()
                response = client.post(
                    url,
                    data=document,
                    content_type="application/json",
                    headers={"Idempotency-Key": f"{label}-{n}"},
                )
                timings.append((time.perf_counter() - started) * 1000)
                answer = response.json()
                if response.status_code != 200 or answer.get("importCount", {}).get(expect) != len(
                    batches[n]
                ):
                    print(f"{label} #{n}: {response.status_code} {str(answer)[:300]}", file=sys.stderr)
                    failed = 1
            median, p95 = median_p95(timings)
            emit(bench=label, **common, batches=args.repeat, median_ms=median, p95_ms=p95,
                 ratio_to_raw=round(p95 / raw_p95, 2))  # fmt: skip

        started = time.perf_counter()
        response = client.get("/api/v1/dhis2/datavaluesets", {"collective": world.collective.slug})
        seconds = time.perf_counter() - started
        exported = len(response.json().get("dataValues", []))
        if response.status_code != 200 or exported != len(rows):
            print(f"dhis2-export: {response.status_code}, {exported} of {len(rows)} values", file=sys.stderr)
            failed = 1
        emit(bench="dhis2-export", database=args.database, rows=exported, seconds=round(seconds, 3))
        return failed


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
