"""The counter visit (来庁): intake, the visit's printed documents and signature, the hand-over to the sections,
the public status page and the waiting-area board, and 支援措置 inside the journeys."""
