"""The common resident database (共通DB): households and residents as the core systems last sent them, search with
normalised keys, 支援措置 protection, My Number at rest. Fed by ``integrations.imports``; read by everything above."""
