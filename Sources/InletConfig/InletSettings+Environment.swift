import Foundation

extension InletSettings {
    /// Reads the variables of CONTRACT.md "Running it" over the defaults. An empty variable
    /// counts as unset. A trailing `/` is dropped from URLs, because paths are appended to them
    /// (`{INLET_ENGINE_URL}/v1/triggers`, and Twilio signs `INLET_PUBLIC_URL` + path). The CLI overlays flags by merging them into `env` under the same names
    /// before calling this, so flags and variables are validated by the same code.
    ///
    /// - Throws: `SettingsError` listing every malformed value.
    public static func fromEnvironment(_ env: [String: String]) throws(SettingsError) -> InletSettings {
        var settings = InletSettings()
        var problems: [SettingsError.Problem] = []
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func address(_ name: String) -> ListenAddress? {
            guard let text = value(name) else { return nil }
            guard let address = ListenAddress(parsing: text) else {
                problems.append(.init(variable: name, message: "expected host:port (IPv6 as [host]:port), got '\(text)'"))
                return nil
            }
            return address
        }
        func url(_ name: String, schemes: [String]) -> String? {
            guard let text = value(name) else { return nil }
            guard Self.isURL(text, schemes: schemes) else {
                let expected = schemes.map { "\($0)://" }.joined(separator: " or ")
                problems.append(.init(variable: name, message: "expected a \(expected) URL with a host"))
                return nil
            }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }

        if let listen = address("INLET_LISTEN") { settings.listen = listen }
        if let admin = address("INLET_ADMIN_LISTEN") { settings.adminListen = admin }
        if let cert = value("INLET_TLS_CERT") { settings.tlsCertPath = cert }
        if let key = value("INLET_TLS_KEY") { settings.tlsKeyPath = key }
        if let routes = value("INLET_ROUTES") { settings.routesDirectory = routes }
        if let redis = url("INLET_REDIS_URL", schemes: ["redis", "rediss"]) { settings.redisURL = redis }
        if let mongo = url("INLET_MONGO_URL", schemes: ["mongodb", "mongodb+srv"]) { settings.mongoURL = mongo }
        settings.engineURL = url("INLET_ENGINE_URL", schemes: ["http", "https"])
        settings.engineSecret = value("INLET_ENGINE_SECRET")
        if let publicURL = url("INLET_PUBLIC_URL", schemes: ["https", "http"]) { settings.publicURL = publicURL }
        if let region = value("INLET_REGION") {
            if let parsed = Region(rawValue: region) {
                settings.region = parsed
            } else {
                problems.append(.init(variable: "INLET_REGION", message: "unknown region '\(region)', expected one of \(Region.choices)"))
            }
        }
        func count(_ name: String, in range: ClosedRange<Int>) -> Int? {
            guard let text = value(name) else { return nil }
            guard let number = Int(text), range.contains(number) else {
                problems.append(.init(variable: name, message: "expected a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text)'"))
                return nil
            }
            return number
        }
        func seconds(_ name: String) -> Duration? {
            guard let text = value(name) else { return nil }
            guard let number = Double(text), number > 0, number <= 86_400 else {
                problems.append(.init(variable: name, message: "expected seconds, more than 0 and at most 86400, got '\(text)'"))
                return nil
            }
            return .milliseconds(Int64((number * 1000).rounded()))
        }
        // Front-door limits; the defaults suit most deployments (see README, "Limits").
        if let limit = count("INLET_MAX_CONNECTIONS", in: 1...1_000_000) { settings.connections.maxConnections = limit }
        if let timeout = seconds("INLET_IDLE_TIMEOUT") { settings.connections.idleTimeout = timeout }
        if let timeout = seconds("INLET_HEADER_TIMEOUT") { settings.connections.headerTimeout = timeout }
        if let timeout = seconds("INLET_BODY_TIMEOUT") { settings.connections.bodyTimeout = timeout }
        if let deadline = seconds("INLET_DRAIN_DEADLINE") { settings.connections.drainDeadline = deadline }
        if let streams = count("INLET_H2_MAX_STREAMS", in: 1...10_000) { settings.http2.maxConcurrentStreams = streams }
        if let size = count("INLET_H2_MAX_HEADER_LIST_SIZE", in: 1024...1_048_576) { settings.http2.maxHeaderListSize = size }
        if let flushers = count("INLET_MONGO_FLUSHERS", in: 1...16) { settings.mongoFlushers = flushers }
        if value("INLET_ENGINE_URL") != nil, settings.engineSecret == nil {
            problems.append(.init(
                variable: "INLET_ENGINE_SECRET",
                message: "must be set when INLET_ENGINE_URL is, triggers are always signed"))
        }
        guard problems.isEmpty else { throw SettingsError(problems: problems) }
        return settings
    }

    /// Whether `text` is `scheme://host...` with one of `schemes`. Multi-host MongoDB URLs
    /// (`host1,host2`) are accepted as libmongoc accepts them.
    static func isURL(_ text: String, schemes: [String]) -> Bool {
        guard let separator = text.range(of: "://") else { return false }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard schemes.contains(scheme) else { return false }
        var authority = text[separator.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty, !text.contains(where: \.isWhitespace) else { return false }
        return authority.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { host in
            if host.hasPrefix("[") { return ListenAddress(parsing: String(host)) != nil || host.hasSuffix("]") }
            let parts = host.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let name = parts.first, !name.isEmpty else { return false }
            return parts.count == 1 || Int(parts[1]).map { (1...65535).contains($0) } == true
        }
    }
}
