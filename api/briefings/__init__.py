"""Briefings (press releases, press conferences, interviews, policy interpretations) and the
issues they answer."""
