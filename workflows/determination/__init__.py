"""Related-procedure determination (手続判定): DMN tables per business, FEEL translation, case procedures."""
