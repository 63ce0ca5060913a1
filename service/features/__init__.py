"""Feature families: pure functions ``Block/Page -> dict[str, float]`` with prefixed keys.

=============  =====================================================
prefix          family (module)
=============  =====================================================
``lex_``        spam lexicon hits and keyword-chain shape (lexicon)
``struct_``     size, links, position, visibility (structure)
``topic_``      similarity to page/title, list coherence (topicality)
``style_``      filler, specificity, repetition, templates (style)
``script_``     script mismatch, broken conversion (script)
``url_``        stub paths, random hosts, farm domains (url)
``page_``       page-level aggregates of the block families (pagestats)
``ctx_``        a block's neighbours (featurizer)
=============  =====================================================
"""
