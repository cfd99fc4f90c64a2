import Crypto
import Foundation
import InletModel
import X509
import _CryptoExtras

extension ProviderVerifier {
    /// SES events arrive as Amazon SNS messages. SNS signs a canonical string of selected fields,
    /// each as `Name\nValue\n`, in the documented order; `SignatureVersion` 1 is SHA1withRSA and 2
    /// is SHA256withRSA (PKCS#1 v1.5). The key is the certificate configured on the route, never
    /// one fetched from the message's `SigningCertURL`, which an attacker controls. The topic must
    /// be the configured one, so another AWS account's topic cannot post here.
    static func verifySES(_ request: ProviderRequest, _ credentials: ProviderCredentials, now: Date) -> ProviderVerification {
        guard let pem = credentials.certificatePEM else { return .rejected(reason: "ses: no signing certificate configured") }
        guard let certificate = try? Certificate(pemEncoded: pem), let key = _RSA.Signing.PublicKey(certificate.publicKey) else {
            return .rejected(reason: "ses: configured certificate is not an RSA certificate in PEM")
        }
        guard let body = request.parsedJSON, let message = body.objectValue else {
            return .rejected(reason: "ses: body is not an SNS JSON message")
        }
        guard let type = message["Type"]?.stringValue, let canonical = snsCanonicalString(message, type: type) else {
            return .rejected(reason: "ses: SNS message lacks the signed fields")
        }
        if let expectedTopic = credentials.topicArn, message["TopicArn"]?.stringValue != expectedTopic {
            return .rejected(reason: "ses: TopicArn is not the configured topic")
        }
        guard let signatureText = message["Signature"]?.stringValue, let signatureBytes = ByteEncoding.base64(signatureText) else {
            return .rejected(reason: "ses: malformed Signature")
        }
        guard let timestampText = message["Timestamp"]?.stringValue, let timestamp = snsTimestamp(timestampText) else {
            return .rejected(reason: "ses: malformed Timestamp")
        }
        guard isFresh(timestamp, now: now) else { return .rejected(reason: "ses: timestamp outside tolerance") }

        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        let valid: Bool
        switch message["SignatureVersion"]?.stringValue {
        case "1":
            valid = key.isValidSignature(signature, for: Insecure.SHA1.hash(data: canonical), padding: .insecurePKCS1v1_5)
        case "2":
            valid = key.isValidSignature(signature, for: SHA256.hash(data: canonical), padding: .insecurePKCS1v1_5)
        default:
            return .rejected(reason: "ses: unsupported SignatureVersion")
        }
        return valid ? .verified : .rejected(reason: "ses: signature mismatch")
    }

    /// The bytes SNS signs for `type`, or `nil` when a required field is missing or not a string.
    static func snsCanonicalString(_ message: JSONObject, type: String) -> [UInt8]? {
        let fields: [(name: String, required: Bool)]
        switch type {
        case "Notification":
            fields = [("Message", true), ("MessageId", true), ("Subject", false), ("Timestamp", true), ("TopicArn", true), ("Type", true)]
        case "SubscriptionConfirmation", "UnsubscribeConfirmation":
            fields = [
                ("Message", true), ("MessageId", true), ("SubscribeURL", true), ("Timestamp", true),
                ("Token", true), ("TopicArn", true), ("Type", true),
            ]
        default:
            return nil
        }
        var output: [UInt8] = []
        for field in fields {
            switch message[field.name] {
            case .string(let value)?:
                output += Array(field.name.utf8) + [0x0A] + Array(value.utf8) + [0x0A]
            case nil, .null?:
                if field.required { return nil }
            default:
                return nil
            }
        }
        return output
    }

    /// SNS writes `2012-04-25T21:49:25.719Z`; fractional seconds are optional.
    static func snsTimestamp(_ text: String) -> Date? {
        ISO8601Timestamp.parse(text)
    }
}
