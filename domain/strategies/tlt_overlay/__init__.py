"""tlt_overlay: TLT credit spreads as income on a bond portfolio, on the common Strategy interface.

``adapter.TltOverlay`` maps the interface onto ``domain.tlt``: ``fit`` is the calibration, ``decide`` the
market evaluation of the day's stored chain (``domain.tlt.proposals``), sized against the open positions."""
