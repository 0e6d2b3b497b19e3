"""Sources: per-source crawl state and the record of every crawl run."""
