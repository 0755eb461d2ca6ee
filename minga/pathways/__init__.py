"""Collective pathways: Pathways, stages, group progress, the funnel and the strategy log."""
