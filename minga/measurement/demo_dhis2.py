"""The DHIS2 part of the measurement demo: a code mapping for the demo's indicators, groups,
disaggregation options and forms, as if the collective reported to a DHIS2 instance set up from
Minga's definitions (DHIS2 code = Minga code, a stable generated UID). Periods need no mapping: the
demo's monthly codes (202603) are DHIS2's too.

Called by `minga/measurement/demo.py` after the indicators, sets and values exist:

    from minga.measurement import demo_dhis2
    counts.update(demo_dhis2.populate(collective=collective, actor=actor, progress=progress))

Set-based (bulk inserts in batches), so it scales with the "large" demo's 50,000 groups.
"""

from __future__ import annotations

from typing import Any

from minga.core.models import Collective
from minga.measurement.dhis2_exchange import dhis2_mappings_generate


def populate(*, collective: Collective, actor: Any, progress: Any = None, **_: Any) -> dict[str, int]:
    """Map every indicator, group, option and indicator set of `collective` for DHIS2; returns
    {"dhis2_mappings": n}. `actor` must be an admin of the collective (the demo's operator is)."""
    if progress is not None:
        progress.step("Measurement: DHIS2 mapping", 1)
    counts = dhis2_mappings_generate(actor=actor, collective=collective, batch_size=5_000)
    if progress is not None:
        progress.advance()
    return {"dhis2_mappings": sum(counts.values())}
