import Foundation
import InletModel

/// Turns a parsed Segment HTTP Tracking API body into `events` documents and store writes.
///
/// Pure: the request's facts come in through `EventContext`, so the same body and context
/// always give the same documents (except generated `messageId`s). Problems with the request as
/// a whole are thrown as `InletError`; problems with one event reject only that event, as
/// Segment does, so one bad event does not cost a client its whole batch.
public enum SegmentNormalizer {
    /// Normalises a body parsed by `JSONParser.tape(_:limits:)`. Each event's size is its length
    /// as sent, from the tape; its document is written to BSON straight from the tape.
    public static func normalize(
        tape: JSONTape, endpoint: SegmentEndpoint, context: EventContext, limits: EventLimits = .init()
    ) throws(InletError) -> SegmentBatch {
        let root = tape.root
        guard tape.kind(root) == .object else {
            throw .badRequest("invalid_body", "the body must be a JSON object")
        }
        var batch = SegmentBatch(writeKey: tape.nonEmptyString(tape.member(root, "writeKey")))

        if let forcedType = endpoint.eventType {
            // One document: its owner fields are written straight from the context (`Shared.owner`).
            let shared = Shared(context: nil, sentAt: nil, owner: nil)
            var recent = Recent()
            var documents = Documents(capacity: tape.byteLength(root) + documentRoom)
            append(root, Fields(tape, root), index: 0, type: forcedType, tape: tape, shared: shared, context: context, limits: limits,
                   recent: &recent, to: &batch, documents: &documents)
            documents.lend(to: &batch)
            return batch
        }

        guard let events = tape.member(root, "batch"), tape.kind(events) == .array else {
            throw .badRequest("invalid_batch", "\"batch\" must be an array of events")
        }
        guard tape.count(events) <= limits.maxBatchEvents else {
            throw .tooLarge("a batch holds at most \(limits.maxBatchEvents) events, this one has \(tape.count(events))")
        }
        let shared = try Shared(tape, root, owner: tape.count(events) > 1 ? Shared.ownerElements(context) : nil)
        var recent = Recent()
        batch.accepted.reserveCapacity(tape.count(events))
        // Every document of the request in one buffer, sized for the events as sent plus what
        // normalising adds to each.
        var documents = Documents(capacity: tape.byteLength(events) + tape.count(events) * documentRoom)
        tape.forEachElement(events) { index, event in
            guard tape.kind(event) == .object else {
                batch.rejected.append(EventRejection(index: index, code: "invalid_event", message: "an event must be a JSON object"))
                return
            }
            // The event's members are read once, for the write key as for everything else.
            let field = Fields(tape, event)
            if batch.writeKey == nil, let key = tape.nonEmptyString(field.writeKey) {
                batch.writeKey = key
            }
            append(event, field, index: index, type: nil, tape: tape, shared: shared, context: context, limits: limits,
                   recent: &recent, to: &batch, documents: &documents)
        }
        documents.lend(to: &batch)
        return batch
    }

    /// What normalising adds to an event's document beyond its JSON, roughly: the tenant, source
    /// and message ids, timestamps as dates, the client's address. A guess for sizing, not a limit.
    static let documentRoom = 192

    static func append(
        _ event: JSONTape.Index, _ field: Fields, index: Int, type: SegmentEventType?, tape: JSONTape, shared: Shared,
        context: EventContext, limits: EventLimits, recent: inout Recent, to batch: inout SegmentBatch,
        documents: inout Documents
    ) {
        let start = documents.writer.count
        do throws(Rejection) {
            let normalized = try normalizeEvent(
                event, field, index: index, forcedType: type, tape: tape, shared: shared, context: context, limits: limits,
                recent: &recent, into: &documents.writer)
            batch.accepted.append(normalized)
        } catch {
            documents.writer.truncate(to: start)
            recent.forgetWritten(from: start)
            batch.rejected.append(EventRejection(index: index, code: error.code, message: error.message))
        }
    }

    /// The documents of a request's accepted events, one after another in one buffer, in the
    /// order of `accepted` (a rejected event's is never written, or cut off).
    struct Documents {
        var writer: BSONWriter

        init(capacity: Int) {
            writer = BSONWriter(capacity: capacity)
        }

        /// Hands each accepted event its document, a slice of the finished buffer: each begins
        /// where the one before ended, and says its own length.
        consuming func lend(to batch: inout SegmentBatch) {
            writer.finish()
            let buffer = writer.bytes
            var start = 0
            for index in batch.accepted.indices {
                let length = buffer.withUnsafeBytes { Int(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: Int32.self))) }
                batch.accepted[index].bsonBytes = buffer[start..<start + length]
                start += length
            }
            precondition(start == buffer.count, "SegmentNormalizer: the documents do not fill their buffer")
        }
    }

    /// What a batch's envelope and the request give every event in it.
    struct Shared {
        /// The batch's `context` object, if any.
        var context: JSONTape.Index?
        var sentAt: Date?
        /// The `tenantId` and `sourceId` elements every document of the request begins with,
        /// encoded once (`ownerElements`) and copied into each; `nil` for a request of one event,
        /// where encoding them apart would only add an allocation.
        var owner: [UInt8]?

        init(context: JSONTape.Index?, sentAt: Date?, owner: [UInt8]?) {
            self.context = context
            self.sentAt = sentAt
            self.owner = owner
        }

        static func ownerElements(_ context: EventContext) -> [UInt8] {
            var elements = BSONWriter(capacity: 32 + context.tenantId.utf8.count + context.sourceId.utf8.count)
            appendOwner(context, to: &elements)
            return elements.bytes
        }

        /// The `tenantId` and `sourceId` elements, written from the request's context.
        static func appendOwner(_ context: EventContext, to writer: inout BSONWriter) {
            writer.append("tenantId", string: context.tenantId)
            writer.append("sourceId", string: context.sourceId)
        }

        /// A malformed envelope is the whole request's fault, so it is a `400`, not per event.
        init(_ tape: JSONTape, _ root: JSONTape.Index, owner: [UInt8]?) throws(InletError) {
            self.owner = owner
            context = nil
            if let value = tape.member(root, "context") {
                switch tape.kind(value) {
                case .null: break
                case .object:
                    if let path = tape.firstUnstorableFieldName(value) {
                        throw .badRequest("invalid_field_name", "field names must not be empty or contain NUL (at context.\(path))")
                    }
                    context = value
                default: throw .badRequest("invalid_field", "the batch's \"context\" must be an object")
                }
            }
            sentAt = nil
            if let value = tape.member(root, "sentAt") {
                switch tape.kind(value) {
                case .null: break
                case .string:
                    guard let date = tape.withStringBytes(value, { ISO8601Timestamp.parse(utf8: $0) }) else {
                        throw .badRequest("invalid_timestamp", "the batch's \"sentAt\" is not an ISO-8601 timestamp")
                    }
                    sentAt = date
                default: throw .badRequest("invalid_timestamp", "the batch's \"sentAt\" must be an ISO-8601 string")
                }
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

    /// Event `event`, whose members `field` found, as its document and writes.
    static func normalizeEvent(
        _ event: JSONTape.Index, _ field: Fields, index: Int, forcedType: SegmentEventType?, tape: JSONTape, shared: Shared,
        context: EventContext, limits: EventLimits, recent: inout Recent, into documents: inout BSONWriter
    ) throws(Rejection) -> NormalizedEvent {
        let eventBytes = tape.byteLength(event)
        guard eventBytes <= limits.maxEventBytes else {
            throw Rejection("too_large", "the event is \(eventBytes) bytes, the limit is \(limits.maxEventBytes)")
        }
        if let path = tape.firstUnstorableFieldName(event) {
            throw Rejection("invalid_field_name", "field names must not be empty or contain NUL (at \(path))")
        }

        let type: SegmentEventType
        if let forcedType {
            type = forcedType
        } else {
            guard let raw = field.type, tape.kind(raw) == .string,
                  let parsed = tape.withStringBytes(raw, { SegmentEventType(utf8: $0) })
            else {
                throw Rejection("invalid_type", "\"type\" must be one of track, identify, page, screen, group, alias")
            }
            type = parsed
        }

        let userId = try identifier(tape, field.userId, "userId")
        let anonymousId = try identifier(tape, field.anonymousId, "anonymousId")
        var eventName: JSONTape.Index?
        var groupId: Identifier?
        var previousId: Identifier?
        switch type {
        case .track:
            guard let name = field.event, tape.kind(name) == .string, tape.stringByteCount(name) > 0 else {
                throw Rejection("missing_event", "a track call needs a non-empty \"event\"")
            }
            eventName = name
        case .group:
            groupId = try identifier(tape, field.groupId, "groupId")
            guard groupId != nil else { throw Rejection("missing_field", "a group call needs a \"groupId\"") }
        case .alias:
            previousId = try identifier(tape, field.previousId, "previousId")
            guard previousId != nil else { throw Rejection("missing_field", "an alias call needs a \"previousId\"") }
            guard userId != nil else { throw Rejection("missing_id", "an alias call needs a \"userId\"") }
        case .identify, .page, .screen:
            break
        }
        guard userId != nil || anonymousId != nil else {
            throw Rejection("missing_id", "the event needs a \"userId\" or an \"anonymousId\"")
        }

        let name = try optional(tape, field.name, .string, "name")
        let category = try optional(tape, field.category, .string, "category")
        let properties = try optional(tape, field.properties, .object, "properties")
        let traits = try optional(tape, field.traits, .object, "traits")
        let integrations = try optional(tape, field.integrations, .object, "integrations")
        let ownContext = try optional(tape, field.context, .object, "context")

        let givenMessageId = try identifier(tape, field.messageId, "messageId")
        if let givenMessageId, givenMessageId.byteCount(in: tape) > limits.maxMessageIdBytes {
            throw Rejection("invalid_field", "\"messageId\" is longer than \(limits.maxMessageIdBytes) bytes")
        }

        let receivedAt = context.receivedAt
        var originalTimestamp = try timestamp(tape, field.timestamp, "timestamp", recent: &recent.timestamp)
        if originalTimestamp == nil {
            originalTimestamp = try timestamp(tape, field.originalTimestamp, "originalTimestamp", recent: &recent.originalTimestamp)
        }
        var sentAt = try timestamp(tape, field.sentAt, "sentAt", recent: &recent.sentAt)
        if sentAt == nil { sentAt = shared.sentAt }
        let correctedTimestamp: Date
        if let originalTimestamp, let sentAt {
            correctedTimestamp = receivedAt.addingTimeInterval(originalTimestamp.timeIntervalSince(sentAt))
        } else {
            correctedTimestamp = originalTimestamp ?? receivedAt
        }

        // Nothing below throws: the document is written whole once begun.
        let start = documents.beginDocument()
        if let owner = shared.owner {
            documents.append(elements: owner)
        } else {
            Shared.appendOwner(context, to: &documents)
        }
        if let givenMessageId {
            documents.append("messageId", givenMessageId, tape: tape)
        } else {
            documents.append("messageId", stringOfLength: MessageID.length) { MessageID.write(into: $0) }
        }
        // The value's bytes end just before the string's closing NUL.
        let messageIdEnd = documents.count - 1
        let messageIdBytes = (messageIdEnd - (givenMessageId?.byteCount(in: tape) ?? MessageID.length))..<messageIdEnd
        documents.append("type", string: type.rawValue)
        if let eventName { documents.append("event", tape: tape, eventName) }
        if let name { documents.append("name", tape: tape, name) }
        if let category { documents.append("category", tape: tape, category) }
        if let userId { documents.append("userId", userId, tape: tape) }
        if let anonymousId { documents.append("anonymousId", anonymousId, tape: tape) }
        if let groupId { documents.append("groupId", groupId, tape: tape) }
        if let previousId { documents.append("previousId", previousId, tape: tape) }
        if let properties { documents.append("properties", tape: tape, properties) }
        if let traits { documents.append("traits", tape: tape, traits) }
        appendContext(shared: shared.context, own: ownContext, clientIP: context.clientIP, tape: tape, recent: &recent.context,
                      to: &documents)
        if let integrations { documents.append("integrations", tape: tape, integrations) }
        documents.append("timestamp", date: correctedTimestamp)
        if let originalTimestamp { documents.append("originalTimestamp", date: originalTimestamp) }
        if let sentAt { documents.append("sentAt", date: sentAt) }
        documents.append("receivedAt", date: receivedAt)
        if field.hasKeptExtras {
            tape.forEachMember(event) { key, value in
                if tape.withStringBytes(key, { isKeptExtra($0) }) { documents.appendMember(tape: tape, key: key, value: value) }
            }
        }
        documents.endDocument(start, keepingRoom: true)

        var profileWrites: [StoreWrite] = []
        // An identify without traits still says the user was seen: `firstSeenAt`, `lastSeenAt`.
        if type == .identify, let userId {
            profileWrites = UserProfileWrites.make(
                tenantId: context.tenantId, sourceId: context.sourceId, userId: userId.text(in: tape),
                traits: traits.map { tape.object($0) } ?? [:], seenAt: receivedAt)
        }
        // Its document is lent once the request's buffer is finished (`Documents.lend`).
        return NormalizedEvent(index: index, bsonBytes: [], messageIdBytes: messageIdBytes, profileWrites: profileWrites)
    }

    /// `context`: the batch's, with the event's own members over it (a member the batch also has
    /// keeps the batch's position), and `ip` from the connection when neither gives one (or it is
    /// `null`). Omitted when empty.
    ///
    /// The element depends only on the event's context as sent, the batch's context and the
    /// client's address, and the last two are the same for every event of a request. An SDK
    /// sends the same context with each event of a batch (library, device, app, screen, locale:
    /// hundreds of bytes from a mobile SDK), so an event whose context has the same bytes as the
    /// one before gets a copy of the element written for that one (`recent`).
    static func appendContext(
        shared: JSONTape.Index?, own: JSONTape.Index?, clientIP: String?, tape: JSONTape, recent: inout Recent.Context?,
        to document: inout BSONWriter
    ) {
        if let own, let last = recent, tape.sameText(last.own, own) {
            document.appendCopy(ofWritten: last.element)
            return
        }
        let elementStart = document.count
        defer { if let own { recent = Recent.Context(own: own, element: elementStart..<document.count) } }
        let sharedCount = shared.map { tape.count($0) } ?? 0
        let ownCount = own.map { tape.count($0) } ?? 0
        guard sharedCount + ownCount > 0 || clientIP != nil else { return }
        // Passed `inout`, not captured: a variable the nested function captured was boxed on
        // the heap, a malloc and a free per event.
        var hasIP = false
        /// Writes one member, or the client's address in place of an `ip` that is `null`.
        func write(_ key: JSONTape.Index, _ value: JSONTape.Index, into context: inout BSONWriter, hasIP: inout Bool) {
            if tape.string(key, equals: "ip") {
                hasIP = true
                if tape.kind(value) == .null, let clientIP {
                    context.append("ip", string: clientIP)
                    return
                }
            }
            context.appendMember(tape: tape, key: key, value: value)
        }
        let start = document.beginDocument("context")
        if let shared {
            let merge = ContextMerge(tape: tape, shared: shared, own: own)
            tape.forEachMember(shared) { key, value in write(key, merge.ownValue(key) ?? value, into: &document, hasIP: &hasIP) }
            if let own {
                tape.forEachMember(own) { key, value in
                    if !merge.sharedHas(key) { write(key, value, into: &document, hasIP: &hasIP) }
                }
            }
        } else if let own {
            // No batch context (the usual batch, and every single call): nothing to merge with.
            tape.forEachMember(own) { key, value in write(key, value, into: &document, hasIP: &hasIP) }
        }
        if !hasIP, let clientIP { document.append("ip", string: clientIP) }
        document.endDocument(start)
    }

    /// Which keys the batch's and the event's contexts have in common. Small contexts are
    /// compared pairwise; large ones through hashing, so a batch cannot make merging quadratic.
    struct ContextMerge {
        let tape: JSONTape
        let shared: JSONTape.Index?
        let own: JSONTape.Index?
        var ownByKey: [String: JSONTape.Index] = [:]
        var sharedKeys: Set<String> = []
        let hashed: Bool

        init(tape: JSONTape, shared: JSONTape.Index?, own: JSONTape.Index?) {
            self.tape = tape
            self.shared = shared
            self.own = own
            let sharedCount = shared.map { tape.count($0) } ?? 0
            let ownCount = own.map { tape.count($0) } ?? 0
            hashed = sharedCount * ownCount > 256
            if hashed, let shared, let own {
                for (key, value) in tape.members(own) { ownByKey[tape.string(key)] = value }
                for (key, _) in tape.members(shared) { sharedKeys.insert(tape.string(key)) }
            }
        }

        /// The event's value for batch-context key node `key`, if the event has one.
        func ownValue(_ key: JSONTape.Index) -> JSONTape.Index? {
            guard let own else { return nil }
            if hashed { return ownByKey[tape.string(key)] }
            return tape.members(own).first { tape.stringsEqual($0.key, key) }?.value
        }

        /// Whether the batch's context has event-context key node `key`.
        func sharedHas(_ key: JSONTape.Index) -> Bool {
            guard let shared else { return false }
            if hashed { return sharedKeys.contains(tape.string(key)) }
            return tape.members(shared).contains { tape.stringsEqual($0.key, key) }
        }
    }

    /// The members the normaliser reads, found in one pass over the event. Names are told apart
    /// by length first, then bytes: no `String` is made for a key (key paths were slower).
    struct Fields {
        var type, userId, anonymousId, event, groupId, previousId, name, category: JSONTape.Index?
        var properties, traits, integrations, context, messageId, timestamp, originalTimestamp, sentAt: JSONTape.Index?
        /// Not stored; a batch without one on its envelope takes the first event's.
        var writeKey: JSONTape.Index?
        /// Whether some other member is kept as sent (`isKeptExtra`): only then does the
        /// normaliser walk the members a second time to copy them.
        var hasKeptExtras = false

        /// `borrowing`: an initialiser takes its arguments owned, and the caller retained and
        /// released the tape around the call, once per event.
        init(_ tape: borrowing JSONTape, _ object: JSONTape.Index) {
            tape.forEachMember(object) { key, value in
                // The key's bytes are looked up once, not once per candidate name.
                tape.withStringBytes(key) { bytes in record(bytes, value) }
            }
        }

        private mutating func record(_ key: UnsafeBufferPointer<UInt8>, _ value: JSONTape.Index) {
            func named(_ name: StaticString) -> Bool {
                JSONTape.bytes(key, equal: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            }
            switch key.count {
            case 4 where named("type"): type = value
            case 4 where named("name"): name = value
            case 5 where named("event"): event = value
            case 6 where named("userId"): userId = value
            case 6 where named("traits"): traits = value
            case 6 where named("sentAt"): sentAt = value
            case 7 where named("groupId"): groupId = value
            case 7 where named("context"): context = value
            case 8 where named("category"): category = value
            case 8 where named("writeKey"): writeKey = value
            case 9 where named("messageId"): messageId = value
            case 9 where named("timestamp"): timestamp = value
            case 10 where named("previousId"): previousId = value
            case 10 where named("properties"): properties = value
            case 11 where named("anonymousId"): anonymousId = value
            case 12 where named("integrations"): integrations = value
            case 17 where named("originalTimestamp"): originalTimestamp = value
            default: if !hasKeptExtras { hasKeptExtras = SegmentNormalizer.isKeptExtra(key) }
            }
        }
    }

    /// Fields the normaliser writes itself, or that must never come from a client: `writeKey`
    /// is a credential, `_id` would let a client pick the stored document's identity.
    static let reservedKeys: [StaticString] = [
        "tenantId", "sourceId", "messageId", "type", "event", "name", "category", "userId", "anonymousId",
        "groupId", "previousId", "properties", "traits", "context", "integrations", "timestamp",
        "originalTimestamp", "sentAt", "receivedAt", "writeKey", "_id",
    ]

    /// Other top-level fields (`_metadata`, `channel`, `version`, ...) are kept as sent, unless
    /// MongoDB would read their name as an operator or a path.
    static func isKeptExtra(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !key.isEmpty else { return false }
        for reserved in reservedKeys where reserved.utf8CodeUnitCount == key.count {
            if JSONTape.bytes(key, equal: UnsafeBufferPointer(start: reserved.utf8Start, count: reserved.utf8CodeUnitCount)) { return false }
        }
        return !key.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "$") || $0 == 0 }
    }

    /// A field that must be of `kind` when present; `nil` when absent or `null`.
    static func optional(_ tape: JSONTape, _ index: JSONTape.Index?, _ kind: JSONTape.Kind, _ key: String) throws(Rejection) -> JSONTape.Index? {
        guard let index, tape.kind(index) != .null else { return nil }
        guard tape.kind(index) == kind else {
            throw Rejection("invalid_field", "\"\(key)\" must be \(kind == .object ? "an object" : "a string")")
        }
        return index
    }

    /// What the events of a request read before: they mostly carry the same `sentAt` (often the
    /// same `timestamp`) and the same `context`, and equal bytes are read once per request
    /// instead of once per event. Reading either is a pure function of the bytes.
    struct Recent {
        var timestamp = Timestamp()
        var originalTimestamp = Timestamp()
        var sentAt = Timestamp()
        var context: Context?

        /// The last timestamp string of a field and its date.
        struct Timestamp {
            /// The string node last read without error, and what it read as.
            var index: JSONTape.Index?
            var date = Date(timeIntervalSince1970: 0)
        }

        /// The last event context written: its object node, and where its `context` element is
        /// in the request's documents.
        struct Context {
            var own: JSONTape.Index
            var element: Range<Int>
        }

        /// Forgets an element written at or after `position`, which is being cut off.
        mutating func forgetWritten(from position: Int) {
            if let context, context.element.upperBound > position { self.context = nil }
        }
    }

    static func timestamp(
        _ tape: JSONTape, _ index: JSONTape.Index?, _ key: String, recent: inout Recent.Timestamp
    ) throws(Rejection) -> Date? {
        guard let index else { return nil }
        switch tape.kind(index) {
        case .null:
            return nil
        case .string:
            if let last = recent.index, tape.stringsEqual(last, index) { return recent.date }
            guard let date = tape.withStringBytes(index, { ISO8601Timestamp.parse(utf8: $0) }) else {
                throw Rejection("invalid_timestamp", "\"\(key)\" is not an ISO-8601 timestamp")
            }
            recent = Recent.Timestamp(index: index, date: date)
            return date
        default:
            throw Rejection("invalid_timestamp", "\"\(key)\" must be an ISO-8601 string")
        }
    }
}
