"""The positive side and the landscape between: Property PT paths (Theorems 2, 3), barriers around a
case, Assumption 2, and the transition-width sweep (Table 1)."""
