"""The report tests use the app per test of tests/conftest.py (`settings`, `app`, `client`,
`admin`), on a tracker of its own: SQLite, and PostgreSQL when configured. Reading the downloaded
documents back is in reading.py, seeding the tracker through the API in seeding.py."""
