"""Workflow engine wrapper, spec loading, persistence and the restricted script environment."""
