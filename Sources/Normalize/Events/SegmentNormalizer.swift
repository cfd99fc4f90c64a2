import Foundation
import InletModel

/// Turns a parsed Segment HTTP Tracking API body into `events` documents and store writes.
///
/// Pure: the request's facts come in through `EventContext`, so the same body and context
/// always give the same documents (except generated `messageId`s). Problems with the request as
/// a whole are thrown as `InletError`; problems with one event reject only that event, as
/// Segment does, so one bad event does not cost a client its whole batch.
public enum SegmentNormalizer {
    /// `eventSizes` are the events' byte lengths as sent: the body's length for single-event
    /// endpoints, `JSONParser.parse(_:measuringElementsOf: "batch", elementLengths:)`'s for
    /// batches. Without them (or when their count does not match), each event is measured by
    /// serialising it, which costs about as much as parsing it again.
    public static func normalize(
        body: JSONValue, endpoint: SegmentEndpoint, context: EventContext, limits: EventLimits = .init(),
        eventSizes: [Int]? = nil
    ) throws(InletError) -> SegmentBatch {
        guard case .object(let root) = body else {
            throw .badRequest("invalid_body", "the body must be a JSON object")
        }
        var batch = SegmentBatch(writeKey: root["writeKey"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
        var scratch: [UInt8] = []

        if let forcedType = endpoint.eventType {
            let shared = Shared(context: nil, sentAt: nil)
            let size = eventSizes?.count == 1 ? eventSizes?.first : nil
            append(
                root, index: 0, type: forcedType, size: size, shared: shared, context: context, limits: limits,
                scratch: &scratch, to: &batch)
            return batch
        }

        guard case .array(let events)? = root["batch"] else {
            throw .badRequest("invalid_batch", "\"batch\" must be an array of events")
        }
        guard events.count <= limits.maxBatchEvents else {
            throw .tooLarge("a batch holds at most \(limits.maxBatchEvents) events, this one has \(events.count)")
        }
        let shared = try Shared(root)
        let sizes = eventSizes?.count == events.count ? eventSizes : nil
        batch.accepted.reserveCapacity(events.count)
        for (index, element) in events.enumerated() {
            guard case .object(let event) = element else {
                batch.rejected.append(EventRejection(index: index, code: "invalid_event", message: "an event must be a JSON object"))
                continue
            }
            if batch.writeKey == nil, let key = event["writeKey"]?.stringValue, !key.isEmpty {
                batch.writeKey = key
            }
            append(
                event, index: index, type: nil, size: sizes?[index], shared: shared, context: context, limits: limits,
                scratch: &scratch, to: &batch)
        }
        return batch
    }

    static func append(
        _ event: JSONObject, index: Int, type: SegmentEventType?, size: Int?, shared: Shared, context: EventContext,
        limits: EventLimits, scratch: inout [UInt8], to batch: inout SegmentBatch
    ) {
        do throws(Rejection) {
            let normalized = try normalizeEvent(
                event, index: index, forcedType: type, size: size, shared: shared, context: context, limits: limits,
                scratch: &scratch)
            batch.accepted.append(normalized)
        } catch {
            batch.rejected.append(EventRejection(index: index, code: error.code, message: error.message))
        }
    }

    /// What a batch's envelope gives every event in it.
    struct Shared {
        var context: JSONObject?
        var sentAt: Date?

        init(context: JSONObject?, sentAt: Date?) {
            self.context = context
            self.sentAt = sentAt
        }

        /// A malformed envelope is the whole request's fault, so it is a `400`, not per event.
        init(_ root: JSONObject) throws(InletError) {
            switch root["context"] {
            case nil, .null?: context = nil
            case .object(let object)?:
                if let path = object.firstUnstorableFieldName {
                    throw .badRequest("invalid_field_name", "field names must not be empty or contain NUL (at context.\(path))")
                }
                context = object
            default: throw .badRequest("invalid_field", "the batch's \"context\" must be an object")
            }
            switch root["sentAt"] {
            case nil, .null?: sentAt = nil
            case .string(let text)?:
                guard let date = ISO8601Timestamp.parse(text) else {
                    throw .badRequest("invalid_timestamp", "the batch's \"sentAt\" is not an ISO-8601 timestamp")
                }
                sentAt = date
            default: throw .badRequest("invalid_timestamp", "the batch's \"sentAt\" must be an ISO-8601 string")
            }
        }
    }

    /// One event's reason for rejection, before its index is attached.
    struct Rejection: Error {
        var code: String
        var message: String

        init(_ code: String, _ message: String) {
            self.code = code
            self.message = message
        }
    }

    static func normalizeEvent(
        _ event: JSONObject, index: Int, forcedType: SegmentEventType?, size: Int?, shared: Shared, context: EventContext,
        limits: EventLimits, scratch: inout [UInt8]
    ) throws(Rejection) -> NormalizedEvent {
        let eventBytes: Int
        if let size {
            eventBytes = size
        } else {
            scratch.removeAll(keepingCapacity: true)
            event.writeJSON(into: &scratch)
            eventBytes = scratch.count
        }
        guard eventBytes <= limits.maxEventBytes else {
            throw Rejection("too_large", "the event is \(eventBytes) bytes, the limit is \(limits.maxEventBytes)")
        }
        if let path = event.firstUnstorableFieldName {
            throw Rejection("invalid_field_name", "field names must not be empty or contain NUL (at \(path))")
        }

        let type: SegmentEventType
        if let forcedType {
            type = forcedType
        } else {
            guard let raw = event["type"]?.stringValue, let parsed = SegmentEventType(rawValue: raw) else {
                throw Rejection("invalid_type", "\"type\" must be one of track, identify, page, screen, group, alias")
            }
            type = parsed
        }

        let userId = try identifier(event, "userId")
        let anonymousId = try identifier(event, "anonymousId")
        var eventName: String?
        var groupId: String?
        var previousId: String?
        switch type {
        case .track:
            guard let name = event["event"]?.stringValue, !name.isEmpty else {
                throw Rejection("missing_event", "a track call needs a non-empty \"event\"")
            }
            eventName = name
        case .group:
            groupId = try identifier(event, "groupId")
            guard groupId != nil else { throw Rejection("missing_field", "a group call needs a \"groupId\"") }
        case .alias:
            previousId = try identifier(event, "previousId")
            guard previousId != nil else { throw Rejection("missing_field", "an alias call needs a \"previousId\"") }
            guard userId != nil else { throw Rejection("missing_id", "an alias call needs a \"userId\"") }
        case .identify, .page, .screen:
            break
        }
        guard userId != nil || anonymousId != nil else {
            throw Rejection("missing_id", "the event needs a \"userId\" or an \"anonymousId\"")
        }

        let name = try optionalString(event, "name")
        let category = try optionalString(event, "category")
        let properties = try optionalObject(event, "properties")
        let traits = try optionalObject(event, "traits")
        let integrations = try optionalObject(event, "integrations")
        let ownContext = try optionalObject(event, "context")

        let messageId: String
        if let given = try identifier(event, "messageId") {
            guard given.utf8.count <= limits.maxMessageIdBytes else {
                throw Rejection("invalid_field", "\"messageId\" is longer than \(limits.maxMessageIdBytes) bytes")
            }
            messageId = given
        } else {
            messageId = MessageID.generate()
        }

        let receivedAt = context.receivedAt
        var originalTimestamp = try timestamp(event, "timestamp")
        if originalTimestamp == nil { originalTimestamp = try timestamp(event, "originalTimestamp") }
        var sentAt = try timestamp(event, "sentAt")
        if sentAt == nil { sentAt = shared.sentAt }
        let correctedTimestamp: Date
        if let originalTimestamp, let sentAt {
            correctedTimestamp = receivedAt.addingTimeInterval(originalTimestamp.timeIntervalSince(sentAt))
        } else {
            correctedTimestamp = originalTimestamp ?? receivedAt
        }

        var mergedContext = shared.context ?? JSONObject()
        if let ownContext {
            if mergedContext.isEmpty {
                mergedContext = ownContext
            } else {
                for (key, value) in ownContext { mergedContext[key] = value }
            }
        }
        if let clientIP = context.clientIP, mergedContext["ip"] == nil || mergedContext["ip"] == .null {
            mergedContext["ip"] = .string(clientIP)
        }

        var document = JSONObject()
        document.appendUnchecked("tenantId", .string(context.tenantId))
        document.appendUnchecked("sourceId", .string(context.sourceId))
        document.appendUnchecked("messageId", .string(messageId))
        document.appendUnchecked("type", .string(type.rawValue))
        if let eventName { document.appendUnchecked("event", .string(eventName)) }
        if let name { document.appendUnchecked("name", .string(name)) }
        if let category { document.appendUnchecked("category", .string(category)) }
        if let userId { document.appendUnchecked("userId", .string(userId)) }
        if let anonymousId { document.appendUnchecked("anonymousId", .string(anonymousId)) }
        if let groupId { document.appendUnchecked("groupId", .string(groupId)) }
        if let previousId { document.appendUnchecked("previousId", .string(previousId)) }
        if let properties { document.appendUnchecked("properties", .object(properties)) }
        if let traits { document.appendUnchecked("traits", .object(traits)) }
        if !mergedContext.isEmpty { document.appendUnchecked("context", .object(mergedContext)) }
        if let integrations { document.appendUnchecked("integrations", .object(integrations)) }
        document.appendUnchecked("timestamp", .date(correctedTimestamp))
        if let originalTimestamp { document.appendUnchecked("originalTimestamp", .date(originalTimestamp)) }
        if let sentAt { document.appendUnchecked("sentAt", .date(sentAt)) }
        document.appendUnchecked("receivedAt", .date(receivedAt))
        for (key, value) in event where isKeptExtra(key) {
            document.appendUnchecked(key, value)
        }

        var writes = [StoreWrite.insert(Collections.events, document)]
        if type == .identify, let userId, let traits {
            writes += UserProfileWrites.make(
                tenantId: context.tenantId, sourceId: context.sourceId, userId: userId, traits: traits, seenAt: receivedAt)
        }
        return NormalizedEvent(index: index, messageId: messageId, document: document, writes: writes)
    }

    /// Fields the normaliser writes itself, or that must never come from a client: `writeKey`
    /// is a credential, `_id` would let a client pick the stored document's identity.
    static let reservedKeys: Set<String> = [
        "tenantId", "sourceId", "messageId", "type", "event", "name", "category", "userId", "anonymousId",
        "groupId", "previousId", "properties", "traits", "context", "integrations", "timestamp",
        "originalTimestamp", "sentAt", "receivedAt", "writeKey", "_id",
    ]

    /// Other top-level fields (`_metadata`, `channel`, `version`, ...) are kept as sent, unless
    /// MongoDB would read their name as an operator or a path.
    static func isKeptExtra(_ key: String) -> Bool {
        guard !key.isEmpty, !reservedKeys.contains(key) else { return false }
        return !key.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "$") || $0 == 0 }
    }

    /// An id field: a non-empty string, or a number turned into its decimal text as Segment
    /// does. `nil` when absent, `null` or empty.
    static func identifier(_ event: JSONObject, _ key: String) throws(Rejection) -> String? {
        switch event[key] {
        case nil, .null?:
            return nil
        case .string(let text)?:
            return text.isEmpty ? nil : text
        case .int(let number)?:
            return String(number)
        case .double(let number)?:
            if number.rounded() == number, abs(number) < 9_007_199_254_740_992 { return String(Int64(number)) }
            return number.description
        default:
            throw Rejection("invalid_field", "\"\(key)\" must be a string")
        }
    }

    static func optionalString(_ event: JSONObject, _ key: String) throws(Rejection) -> String? {
        switch event[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw Rejection("invalid_field", "\"\(key)\" must be a string")
        }
    }

    static func optionalObject(_ event: JSONObject, _ key: String) throws(Rejection) -> JSONObject? {
        switch event[key] {
        case nil, .null?: return nil
        case .object(let object)?: return object
        default: throw Rejection("invalid_field", "\"\(key)\" must be an object")
        }
    }

    static func timestamp(_ event: JSONObject, _ key: String) throws(Rejection) -> Date? {
        switch event[key] {
        case nil, .null?:
            return nil
        case .string(let text)?:
            guard let date = ISO8601Timestamp.parse(text) else {
                throw Rejection("invalid_timestamp", "\"\(key)\" is not an ISO-8601 timestamp")
            }
            return date
        default:
            throw Rejection("invalid_timestamp", "\"\(key)\" must be an ISO-8601 string")
        }
    }
}
