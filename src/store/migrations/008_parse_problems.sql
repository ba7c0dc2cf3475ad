-- chipwatch schema v8: parse problems. A document that lists items but yields none of them
-- (`unparsed: …`) or fewer than half (`partial: …`) is recorded on its feed, with since when,
-- so `feeds status` and the digest footer never show it as a healthy feed with 0 entries.
ALTER TABLE feeds ADD COLUMN parse_problem TEXT;
ALTER TABLE feeds ADD COLUMN parse_problem_since INTEGER;
