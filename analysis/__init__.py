"""Analysis of appeals for the akim (seed 7): figures by SQL over the registry, systemic problems
found in the appeals' own words, and the reports built from them."""
