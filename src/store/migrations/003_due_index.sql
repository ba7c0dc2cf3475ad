-- chipwatch schema v3: the daemon asks for due feeds every loop; index the next check.
CREATE INDEX feeds_next_check ON feeds(next_check_at);
