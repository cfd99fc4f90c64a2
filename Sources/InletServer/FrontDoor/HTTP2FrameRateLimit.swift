import NIOCore

/// Counts one kind of frame a client sends (RST_STREAM; PING, SETTINGS and PRIORITY) over a fixed
/// window, so a flood of them ends the connection with ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487;
/// control-frame floods, CVE-2019-9512/9515). The count starts again when a window has passed.
struct HTTP2FrameRateLimit {
    let maximum: Int
    let window: TimeAmount
    private var count = 0
    private var windowStart: NIODeadline

    init(maximum: Int, window: TimeAmount, now: NIODeadline = .now()) {
        self.maximum = maximum
        self.window = window
        self.windowStart = now
    }

    /// Records one frame; `false` once more than `maximum` arrived within the window.
    mutating func allow(now: NIODeadline = .now()) -> Bool {
        if now - windowStart > window {
            windowStart = now
            count = 0
        }
        count += 1
        return count <= maximum
    }
}
