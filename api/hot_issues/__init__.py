"""Hot issues: topic clusters of posts, the clustering job that finds and scores them, and
the analysts' triage of them."""
