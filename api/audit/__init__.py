"""The audit trail: every write request to the API, who made it and how it ended."""
