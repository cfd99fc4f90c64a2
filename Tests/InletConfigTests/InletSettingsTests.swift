import InletConfig
import InletModel
import Testing

@Suite struct InletSettingsTests {
    @Test func defaultsMatchTheContract() throws {
        let settings = try InletSettings.fromEnvironment([:])
        #expect(settings.listen == ListenAddress(host: "0.0.0.0", port: 8443))
        #expect(settings.adminListen == ListenAddress(host: "127.0.0.1", port: 9090))
        #expect(settings.tlsCertPath == "certs/dev.pem")
        #expect(settings.tlsKeyPath == "certs/dev-key.pem")
        #expect(settings.routesDirectory == "routes")
        #expect(settings.redisURL == "redis://127.0.0.1:6379")
        #expect(settings.mongoURL == "mongodb://127.0.0.1:27017/inlet")
        #expect(settings.mongoDatabase == "inlet")
        #expect(settings.engineURL == nil)
        #expect(settings.engineSecret == nil)
        #expect(settings.publicURL == "https://localhost:8443")
        #expect(settings.region == .ind)
        #expect(settings.http2.maxConcurrentStreams == 100)
        #expect(settings.http2.maxHeaderListSize == 16_384)
        #expect(settings.connections.maxConnections == 10_000)
        #expect(settings.connections.idleTimeout == .seconds(60))
        #expect(settings.connections.drainDeadline == .seconds(20))
        #expect(settings.bodies.maxBodyBytes(for: .events) == 512 * 1024)
        #expect(settings.bodies.eventsDecompressedBytes == 500_000)
        #expect(settings.bodies.maxBodyBytes(for: .twilio) == 1024 * 1024)
        #expect(settings.bodies.maxBodyBytes(for: .imports) == nil)
    }

    @Test func readsEveryVariable() throws {
        let settings = try InletSettings.fromEnvironment([
            "INLET_LISTEN": "[::]:443",
            "INLET_ADMIN_LISTEN": "10.0.0.5:9100",
            "INLET_TLS_CERT": "/etc/inlet/tls.pem",
            "INLET_TLS_KEY": "/etc/inlet/tls-key.pem",
            "INLET_ROUTES": "/etc/inlet/routes",
            "INLET_REDIS_URL": "rediss://:pw@redis.internal:6380",
            "INLET_MONGO_URL": "mongodb://app:pw@m1:27017,m2:27017/ingest?replicaSet=rs0",
            "INLET_ENGINE_URL": "https://engine.internal",
            "INLET_ENGINE_SECRET": "engine-hmac-secret",
            "INLET_PUBLIC_URL": "https://in.example.com",
            "INLET_REGION": "eu",
            "UNRELATED": "ignored",
        ])
        #expect(settings.listen == ListenAddress(host: "::", port: 443))
        #expect(settings.adminListen == ListenAddress(host: "10.0.0.5", port: 9100))
        #expect(settings.tlsCertPath == "/etc/inlet/tls.pem")
        #expect(settings.tlsKeyPath == "/etc/inlet/tls-key.pem")
        #expect(settings.routesDirectory == "/etc/inlet/routes")
        #expect(settings.redisURL == "rediss://:pw@redis.internal:6380")
        #expect(settings.mongoDatabase == "ingest")
        #expect(settings.engineURL == "https://engine.internal")
        #expect(settings.engineSecret == "engine-hmac-secret")
        #expect(settings.publicURL == "https://in.example.com")
        #expect(settings.region == .eu)
    }

    @Test func urlsLoseTheirTrailingSlash() throws {
        let settings = try InletSettings.fromEnvironment([
            "INLET_PUBLIC_URL": "https://in.example.com/",
            "INLET_ENGINE_URL": "http://engine:8080/",
            "INLET_ENGINE_SECRET": "s",
        ])
        #expect(settings.publicURL == "https://in.example.com")
        #expect(settings.engineURL == "http://engine:8080")
    }

    @Test func frontDoorLimitsFromTheEnvironment() throws {
        let settings = try InletSettings.fromEnvironment([
            "INLET_MAX_CONNECTIONS": "500", "INLET_IDLE_TIMEOUT": "30", "INLET_HEADER_TIMEOUT": "2.5",
            "INLET_BODY_TIMEOUT": "5", "INLET_DRAIN_DEADLINE": "45", "INLET_H2_MAX_STREAMS": "50",
            "INLET_H2_MAX_HEADER_LIST_SIZE": "8192", "INLET_MONGO_FLUSHERS": "3",
        ])
        #expect(settings.mongoFlushers == 3)
        #expect(settings.connections.maxConnections == 500)
        #expect(settings.connections.idleTimeout == .seconds(30))
        #expect(settings.connections.headerTimeout == .milliseconds(2500))
        #expect(settings.connections.bodyTimeout == .seconds(5))
        #expect(settings.connections.drainDeadline == .seconds(45))
        #expect(settings.http2.maxConcurrentStreams == 50)
        #expect(settings.http2.maxHeaderListSize == 8192)
    }

    @Test func malformedLimitsAreReportedTogether() throws {
        let error = try #require(throws: SettingsError.self) {
            try InletSettings.fromEnvironment([
                "INLET_MAX_CONNECTIONS": "0", "INLET_BODY_TIMEOUT": "soon", "INLET_H2_MAX_STREAMS": "-3",
            ])
        }
        #expect(Set(error.problems.map(\.variable)) == ["INLET_MAX_CONNECTIONS", "INLET_BODY_TIMEOUT", "INLET_H2_MAX_STREAMS"])
    }

    @Test func emptyVariablesCountAsUnset() throws {
        let settings = try InletSettings.fromEnvironment(["INLET_LISTEN": "", "INLET_ENGINE_URL": " "])
        #expect(settings.listen.port == 8443)
        #expect(settings.engineURL == nil)
    }

    @Test func reportsEveryMalformedValue() throws {
        let error = try #require(throws: SettingsError.self) {
            try InletSettings.fromEnvironment([
                "INLET_LISTEN": "8443",
                "INLET_ADMIN_LISTEN": "localhost:99999",
                "INLET_REDIS_URL": "http://127.0.0.1:6379",
                "INLET_MONGO_URL": "mongodb://",
                "INLET_PUBLIC_URL": "localhost:8443",
                "INLET_REGION": "mars",
                "INLET_ENGINE_URL": "https://engine.internal",
            ])
        }
        #expect(error.problems.map(\.variable).sorted() == [
            "INLET_ADMIN_LISTEN", "INLET_ENGINE_SECRET", "INLET_LISTEN", "INLET_MONGO_URL", "INLET_PUBLIC_URL",
            "INLET_REDIS_URL", "INLET_REGION",
        ])
        #expect(error.description.contains("INLET_REGION: unknown region 'mars', expected one of ind, us, eu"))
        #expect(error.description.contains("INLET_LISTEN: expected host:port"))
    }

    @Test func descriptionRedactsSecrets() throws {
        let settings = try InletSettings.fromEnvironment([
            "INLET_ENGINE_URL": "https://engine.internal",
            "INLET_ENGINE_SECRET": "engine-hmac-secret",
            "INLET_MONGO_URL": "mongodb://app:mongo-password@db:27017/inlet",
        ])
        #expect(!settings.description.contains("engine-hmac-secret"))
        #expect(!settings.description.contains("mongo-password"))
        #expect(settings.description.contains("mongodb://app:<redacted>@db:27017/inlet"))
    }

    @Test(arguments: [
        ("0.0.0.0:8443", ListenAddress(host: "0.0.0.0", port: 8443)),
        ("[::1]:9090", ListenAddress(host: "::1", port: 9090)),
        ("localhost:0", ListenAddress(host: "localhost", port: 0)),
    ])
    func parsesListenAddresses(text: String, expected: ListenAddress) {
        #expect(ListenAddress(parsing: text) == expected)
    }

    @Test(arguments: ["8443", ":8443", "host:", "host:port", "::1:8443", "[::1]8443", "host:70000", "a b:1"])
    func refusesMalformedListenAddresses(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}
