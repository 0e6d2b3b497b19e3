"""Hot issues found by the clustering job, and the alerts they raise."""
