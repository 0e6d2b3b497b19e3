"""Tracked issues and their append-only timelines."""
