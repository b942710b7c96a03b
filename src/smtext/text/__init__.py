"""Report text: from a folder of PDFs to keyword indices and Word2Vec measures.

Modules, in the order the data flows: ``corpus`` (file names -> document identity, revisions),
``identity`` (firm tables and the identity a report states on its first pages),
``pdf`` (one PDF -> pages, reason codes), ``extract`` (a folder -> resumable documents and
pages, and reading them back: the one way every measure gets its text), ``normalize`` (pure
text steps), ``sections`` (table of contents -> MD&A and numbered sections), ``lexicon``
(lexicons with provenance), ``tokenize`` (the one tokenizer: counting's token mode and Word2Vec),
``count`` (Aho-Corasick counting with context filters), ``indices`` (document and firm-year
indices), ``index_job`` (``smtext index count``: an extraction output -> indices), ``w2v``
(token corpora, Word2Vec, seed expansion, N_ML).
"""
