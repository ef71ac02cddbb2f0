"""Frozen domain types shared by every layer. Imports nothing from netorch above it."""
