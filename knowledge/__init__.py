"""The knowledge base: data files only (README.md says what they hold); ``sipscope.knowledge`` reads them."""
