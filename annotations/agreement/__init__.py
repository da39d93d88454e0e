"""Agreement statistics over imported labels: ratings, reliability, conditions, cross-dataset calls, the report."""
