"""CLI sub-commands; each goes through datasets/, never around it."""
