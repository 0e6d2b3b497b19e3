"""The Elasticsearch post store: monthly indices behind one read alias.

Layout, for an index prefix ``P`` (default ``yuqing-posts``):

* the index template ``P-template`` matches ``P-*`` and gives every index explicit, strict
  mappings, one shard, no replicas and the read alias ``P``;
* a post lives in ``P-YYYY.MM``, the month of its publication in Shanghai, so that retention
  deletes whole indices instead of single documents;
* ``_source`` is the post as JSON plus a few index-only fields: the token streams that full
  text is matched on, the departments, exact microsecond times and the content hash.

Full text is matched exactly as in the SQLite store: Chinese one character per token, a query
term as a phrase over those tokens (see `store.textindex`), with the built-in ``whitespace``
analyzer, so the test distribution (no analysis-common, no painless) is enough.

Every method behaves like `store.sqlite.SqlitePostStore`; the contract tests run against both.
"""

from store.elasticsearch.backend import ElasticsearchPostStore
from store.elasticsearch.mapping import MAPPINGS

__all__ = ["MAPPINGS", "ElasticsearchPostStore"]
