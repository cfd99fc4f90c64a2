/// What one delivery attempt leads to. Decided without I/O (`OutboxQueries.verdict`) so the retry
/// rules are tested as plain values; the forwarder only writes the matching update.
enum AttemptVerdict: Sendable, Equatable {
    case delivered
    /// Back to `pending`, due again after this long.
    case retry(after: Duration)
    /// Out of attempts (or undeliverable): left for an operator.
    case dead
    /// The forwarder stopped mid-delivery: the claim is handed back without counting an attempt.
    case released
}

/// How one attempt ended, as the verdict needs it.
enum AttemptResult: Sendable, Equatable {
    case accepted
    case failed(reason: String)
    case undeliverable(reason: String)
    case interrupted
}
