import Testing

@testable import RedisClient

@Suite struct RedisEndpointTests {
    @Test func parsesHostPortPasswordAndDatabase() throws {
        let endpoint = try RedisEndpoint(url: "redis://:p%40ss@cache.local:6380/3")
        #expect(endpoint == RedisEndpoint(host: "cache.local", port: 6380, password: "p@ss", database: 3))
    }

    @Test func defaultsPortAndDatabase() throws {
        #expect(try RedisEndpoint(url: "redis://127.0.0.1") == RedisEndpoint(host: "127.0.0.1"))
    }

    @Test func parsesUserAndIPv6() throws {
        let endpoint = try RedisEndpoint(url: "redis://app:secret@[::1]:7000")
        #expect(endpoint == RedisEndpoint(host: "::1", port: 7000, username: "app", password: "secret"))
    }

    @Test(arguments: ["http://x:1", "redis://", "redis://h:port", "redis://h:1/db", "redis://h:70000"])
    func refusesBadURLs(_ url: String) {
        #expect(throws: RedisClientError.self) { try RedisEndpoint(url: url) }
    }
}
