"""Web pages the API serves for the four roles: templates and static assets, no CDN."""
