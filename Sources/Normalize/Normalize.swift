// Normalize
