// RateLimit
