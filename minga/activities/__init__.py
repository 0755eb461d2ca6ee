"""Collective activities: Activities in the five areas, campaigns, institutions, outcomes and stories."""
