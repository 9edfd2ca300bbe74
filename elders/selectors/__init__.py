"""Split by piece: core (profiles, risk, desk), partners (catalogue, plans, deliveries), health (readings,
thresholds, follow-ups), outreach (contact plans, logs, needs, the daily job), birthdays."""
