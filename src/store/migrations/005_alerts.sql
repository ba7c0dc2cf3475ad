-- chipwatch schema v5: immediate alerts are digests of kind 'alert' (rate cap counts them).
ALTER TABLE digests ADD COLUMN kind TEXT NOT NULL DEFAULT 'digest';
