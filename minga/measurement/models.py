"""Shared measurement: the models."""
