"""Scrapy spiders for news feeds, message boards, microblogs and 12345 hotline exports (next)."""
