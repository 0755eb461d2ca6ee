"""Shared measurement: Indicators, reporting periods, data values, targets, rollups and dashboards."""
