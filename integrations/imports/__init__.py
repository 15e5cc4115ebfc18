"""Core-system imports into the common resident DB: parsing and mapping files, the staged merge, the drop
folder job, and the synthetic data generator."""
