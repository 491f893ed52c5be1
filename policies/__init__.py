"""Legal and organisational values as data, with pure functions that answer one question each."""
