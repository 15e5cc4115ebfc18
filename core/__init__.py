"""Shared foundations: the database handle, settings, users/sections and the operation log.

Every other package may import ``core``; ``core`` imports none of them.
"""
