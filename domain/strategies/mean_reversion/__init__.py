"""mean_reversion: ML mean reversion long/short on the stock universe (seed 002, issue 11).

``MeanReversion`` (strategy.py) is the ``Strategy``; ``walk`` the research path (dataset, folds, stitched
book); ``portfolio`` the array book and ``reference`` its plain-loop twin; ``features`` QPI, the eight
features, universe, ADV and labels; ``model`` the LightGBM classifiers; ``params`` every number.
"""
