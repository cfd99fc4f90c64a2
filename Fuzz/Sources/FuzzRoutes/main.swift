import Foundation
import FuzzDriver
import InletConfig
import InletModel

/// `RouteLoader.load(files:environment:)` on arbitrary YAML. The input is cut into up to three
/// route files at lines reading `#@` (so cross-file checks, duplicate tenants and source ids, are
/// reached). Must never crash: every problem is a `RouteError`. When the files load, the table's
/// lookups are exercised and every trigger rule is matched against a few sample documents.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var files: [(path: String, contents: Data)] = []
    var start = 0
    var index = 0
    while index + 4 <= size, files.count < 2 {
        if input[index] == 0x0A, input[index + 1] == 0x23, input[index + 2] == 0x40, input[index + 3] == 0x0A {
            files.append(("routes/\(files.count).yaml", Data(input[start..<index])))
            start = index + 4
            index = start
        } else {
            index += 1
        }
    }
    files.append(("routes/\(files.count).yaml", Data(input[start..<size])))

    switch RouteLoader.load(files: files, environment: environment) {
    case .failure(let errors):
        guard !errors.errors.isEmpty else { fail("a failed load reported no errors", input) }
        _ = errors.description
    case .success(let table):
        guard table.fingerprint.utf8.count == 64 else { fail("fingerprint \(table.fingerprint)", input) }
        for source in table.sources {
            guard table.source(id: source.id) != nil else { fail("source \(source.id) is listed but not found", input) }
        }
        for region in Region.allCases { _ = table.tenants(in: region) }
        for file in table.files {
            for kind in TriggerRule.Document.allCases {
                for rule in table.triggers(tenantId: file.tenant, appliesTo: kind) {
                    for document in documents { _ = rule.matches(document) }
                }
            }
        }
    }
    return 0
}

private let environment: [String: String] = [
    "ACME_TWILIO_AUTH_TOKEN": "twilio-token-1234",
    "ACME_SENDGRID_PUBLIC_KEY": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
    "ACME_MAILGUN_SIGNING_KEY": "mailgun-key-5678",
    "ACME_WHATSAPP_APP_SECRET": "whatsapp-app-secret",
    "ACME_WHATSAPP_VERIFY_TOKEN": "verify-me",
    "ACME_SES_SNS_CERTIFICATE": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "ACME_POSTMARK_BASIC_AUTH": "postmark:hunter2",
    "ACME_WEBHOOKS_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "ACME_WEBHOOKS_SECRET_PREVIOUS": "whsec_c2VjcmV0LXByZXZpb3Vz",
    "A": "", "B": "x",
]

private let documents: [JSONValue] = [
    ["type": "track", "event": "Order Completed", "userId": "u1",
     "properties": ["total": 120.5, "currency": "EUR", "items": [1, 2], "tags": ["a", "b"]]],
    ["type": "identify", "userId": "u2",
     "traits": ["email": "a@example.com", "plan": "pro", "age": 42],
     "context": ["traits": ["plan": "enterprise"]]],
    ["collection": "deliveryEvents", "status": "bounced", "channel": "email",
     "timestamp": .date(Date(timeIntervalSince1970: 1_764_000_000))],
    ["type": .null, "properties": ["total": "100"], "event": 7],
    [],
]

private func fail(_ message: String, _ input: UnsafeRawBufferPointer) -> Never {
    let hex = input.prefix(1024).map { String(format: "%02x", $0) }.joined()
    fatalError("FuzzRoutes: \(message); input \(hex)")
}

@main
enum Main {
    static func main() {
        exit(inlet_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { data, size in
            guard let data else { return withUnsafePointer(to: UInt8(0)) { fuzz($0, 0) } }
            return fuzz(data, size)
        })
    }
}
