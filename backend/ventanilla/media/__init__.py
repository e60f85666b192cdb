"""Photo intake for claims: limits, type by content, safe decoding, re-encoding, signed URLs."""
