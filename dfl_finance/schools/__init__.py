"""School by school: a school table -> the least-cost technology of each school -> the year it is connected ->
the equity view by segment, and the connectivity programme's costs for the financing model."""
