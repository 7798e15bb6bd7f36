"""A stack file as written: finding it, reading it with line numbers,
validating its settings with messages in YAML terms, its JSON Schema, and the
file as it was at a git revision. Everything the offline command reports
about a file, and what the stack program reads, starts here."""
