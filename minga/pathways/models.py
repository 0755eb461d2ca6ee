"""Collective pathways: the models."""
