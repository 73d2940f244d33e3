"""RQ jobs. Each takes ids only (RQ keeps a failed job's arguments for a year)."""
