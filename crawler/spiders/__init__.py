"""One spider per kind of source; each reads its selectors or field mapping from config."""
