"""Contact pages, one module per topic."""
