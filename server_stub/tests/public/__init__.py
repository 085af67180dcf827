"""The public side: aggregation, differentially private releases, the site, certificates."""
