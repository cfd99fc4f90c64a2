extension TriggerForwarder {
    /// The forwarder's tunables, with CONTRACT.md's defaults. Tests shrink the timings so retries
    /// and dead-lettering run in milliseconds.
    public struct Configuration: Sendable {
        /// Deliveries in flight towards the engine at once, per instance.
        public var maxInFlight: Int = 64
        /// How long a claim keeps other instances off a trigger. Must exceed `requestTimeout`, or a
        /// slow delivery could be claimed and sent again by another instance while still running.
        public var lease: Duration = .seconds(30)
        /// How often an idle forwarder looks for due triggers; `wake()` short-cuts the wait.
        public var pollInterval: Duration = .milliseconds(250)
        /// Bounds one delivery, connection set-up included.
        public var requestTimeout: Duration = .seconds(10)
        /// Bounds connection set-up (retried within it), so an engine that is down fails an
        /// attempt quickly instead of holding a delivery slot for the whole request timeout.
        public var connectTimeout: Duration = .seconds(3)
        /// Base and cap of the exponential backoff between attempts.
        public var backoffBase: Duration = .seconds(1)
        public var backoffCap: Duration = .seconds(300)
        /// Failed attempts after which a trigger is marked `dead` and left for an operator.
        public var maxAttempts: Int = 20
        /// How often the outbox depth and age gauges are refreshed.
        public var gaugeInterval: Duration = OutboxGauges.defaultInterval
        /// Response bodies are read and dropped (so connections are reused), up to this size.
        public var maxResponseBytes: Int = 64 * 1024

        public init() {}
    }
}
