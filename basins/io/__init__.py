"""Records on disk: the case file (schema ``basins.case/1``) and atomic writes."""
