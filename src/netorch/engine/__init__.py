"""The engine: journaled parallel apply of a plan, and crash recovery of the journal."""
