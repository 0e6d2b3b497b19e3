"""Leases: what several workers agree on through the tracker database (who crawls a source,
who leads the clustering job, who writes today's brief)."""
