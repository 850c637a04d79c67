"""Research quotes: messages counsellors select, kept only de-identified."""
