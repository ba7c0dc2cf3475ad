-- chipwatch schema v8: parse problems, and the outlet of relayed items. A document that lists items but yields none of them
-- (`unparsed: …`) or fewer than half (`partial: …`) is recorded on its feed, with since when,
-- so `feeds status` and the digest footer never show it as a healthy feed with 0 entries.
ALTER TABLE feeds ADD COLUMN parse_problem TEXT;
ALTER TABLE feeds ADD COLUMN parse_problem_since INTEGER;
-- An item that relays another outlet's story (RSS <source>, as in Google News search feeds)
-- names that outlet; bylines and "also reported by" use it instead of the feed's name.
ALTER TABLE entries ADD COLUMN outlet TEXT;
