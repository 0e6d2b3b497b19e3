"""Search, read and aggregate the post store; the store itself is the service."""
