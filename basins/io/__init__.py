"""Records on disk: the case file (schema ``basins.case/1``), atomic writes, and the versioned JSON Schemas
(``basins/io/schemas``) every record is validated against on load (:mod:`basins.io.records`)."""
