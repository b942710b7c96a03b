"""Report text: from a folder of PDFs to keyword indices and Word2Vec measures.

Modules, in the order the data flows: ``corpus`` (file names -> document identity, revisions),
``pdf`` (one PDF -> pages, reason codes), ``extract`` (a folder -> resumable documents and
pages), ``normalize`` (pure text steps), ``sections`` (table of contents -> MD&A and numbered
sections), ``lexicon`` (lexicons with provenance), ``tokenize`` (the one tokenizer), ``count``
(Aho-Corasick counting with context filters), ``indices`` (document and firm-year indices),
``index_job`` (``smtext index count``: an extraction output -> indices), ``w2v`` (token
corpora, Word2Vec, seed expansion, N_ML).
"""
