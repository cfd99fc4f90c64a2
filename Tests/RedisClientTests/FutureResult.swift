import NIOCore

/// Captures a future's result on an `EmbeddedEventLoop`, where completion is synchronous and
/// `wait()` is not allowed.
final class FutureResult<Value: Sendable>: @unchecked Sendable {
    private(set) var result: Result<Value, any Error>?

    init(_ future: EventLoopFuture<Value>) {
        future.whenComplete { self.result = $0 }
    }

    var value: Value? { try? result?.get() }

    var error: (any Error)? {
        if case .failure(let error) = result { return error }
        return nil
    }
}
