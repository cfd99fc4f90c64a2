import Foundation
import InletConfig

/// A throwaway routes directory with the given files, removed when the test's closure returns.
func withRoutes<T>(_ files: [String: String], _ body: (String) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("inlet-routes-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for (name, text) in files {
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
    }
    return try body(directory)
}

/// Loads `files` and returns the errors; an empty list when loading succeeded.
func routeErrors(_ files: [String: String], environment: [String: String] = [:]) throws -> [RouteError] {
    try withRoutes(files) { directory in
        switch RouteLoader.load(directory: directory, environment: environment) {
        case .success: return []
        case .failure(let errors): return errors.errors
        }
    }
}

/// The repository's `routes/` folder, which ships the example tenant.
let exampleRoutesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("routes").path

/// Values for every `env:NAME` of `routes/acme.yaml`, each in the shape its provider uses.
let exampleEnvironment: [String: String] = [
    "ACME_TWILIO_AUTH_TOKEN": "twilio-token-1234",
    "ACME_SENDGRID_PUBLIC_KEY": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
    "ACME_MAILGUN_SIGNING_KEY": "mailgun-key-5678",
    "ACME_WHATSAPP_APP_SECRET": "whatsapp-app-secret",
    "ACME_WHATSAPP_VERIFY_TOKEN": "verify-me",
    "ACME_SES_SNS_CERTIFICATE": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "ACME_POSTMARK_BASIC_AUTH": "postmark:hunter2",
    "ACME_WEBHOOKS_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "ACME_WEBHOOKS_SECRET_PREVIOUS": "whsec_c2VjcmV0LXByZXZpb3Vz",
]
