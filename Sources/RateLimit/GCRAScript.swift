/// The GCRA script run in Redis, and its SHA-1 for `EVALSHA`.
///
/// The SHA-1 is a constant rather than the answer of a `SCRIPT LOAD` at start-up, so the hot path
/// reads no shared mutable state; an integration test checks that Redis computes the same digest.
/// Redis server time (`TIME`) is the clock, so every inlet instance agrees on it; Redis 7
/// replicates a script's effects, not the script, so reading the time is allowed.
public enum GCRAScript {
    public static let source = """
        -- GCRA: KEYS[1] holds the theoretical arrival time (TAT) in microseconds of Redis server time.
        -- ARGV: emission interval (us), burst tolerance (us), cost (events).
        -- Returns {allowed (0|1), remaining, reset (us), retry after (us)}.
        local interval = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local cost = tonumber(ARGV[3])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local tat = tonumber(redis.call('GET', KEYS[1])) or now
        if tat < now then tat = now end
        local newTat = tat + cost * interval
        local ahead = newTat - now
        -- A cost above the burst is allowed on a full bucket only, and paid for afterwards.
        local limit = math.max(tolerance, cost * interval)
        if ahead > limit then
          return {0, math.floor(math.max(0, tolerance - (tat - now)) / interval), tat - now, ahead - limit}
        end
        if ahead > 0 then
          redis.call('SET', KEYS[1], string.format('%.0f', newTat), 'PX', math.ceil(ahead / 1000))
        end
        return {1, math.floor(math.max(0, tolerance - ahead) / interval), ahead, 0}
        """

    public static let sha1 = "ff5d578cc9797d863ae1d057678c8fa25a571da0"
}
