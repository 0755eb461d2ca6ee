"""Minga: the operating system of a collective social innovation."""
