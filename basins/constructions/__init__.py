"""The paper's negative results as constructions: Proposition 4, Theorems 4, 5 (the refusal), 6 and 7,
and the chooser that picks one (``choose``)."""
