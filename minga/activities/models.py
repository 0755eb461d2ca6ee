"""Collective activities: the models."""
