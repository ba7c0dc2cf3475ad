-- chipwatch schema v4: per-recipient delivery. A digest that one recipient's server refuses for
-- good is still delivered to the others; each recipient is recorded once, delivered or rejected,
-- so a retry never sends twice to someone who already has it.
ALTER TABLE digests ADD COLUMN delivered_to TEXT NOT NULL DEFAULT '[]';
ALTER TABLE digests ADD COLUMN rejected TEXT NOT NULL DEFAULT '[]';
