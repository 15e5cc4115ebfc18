"""The common resident database (共通DB): imports from the core systems, search, synthetic data, jobs."""
