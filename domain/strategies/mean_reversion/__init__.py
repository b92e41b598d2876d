"""mean_reversion: ML mean reversion long/short on the stock universe (seed 002, issue 11).

``MeanReversion`` (strategy.py) is the ``Strategy``; ``walk`` the research path (dataset, folds, stitched
book); ``book`` that book on the platform's ``domain.book.run_book`` with ``decision``, the one-session
decision production takes too; ``features`` QPI, the eight features, universe, ADV and labels; ``model``
the LightGBM classifiers; ``params`` every number.
"""
