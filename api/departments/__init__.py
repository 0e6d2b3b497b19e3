"""Government departments that lead or support the response to an issue."""
