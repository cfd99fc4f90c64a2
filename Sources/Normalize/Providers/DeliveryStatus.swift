/// The canonical statuses of CONTRACT.md, so reports compare providers word for word.
public enum DeliveryStatus: String, Sendable, Hashable, CaseIterable {
    case queued, sent, delivered, read, opened, clicked, deferred, bounced, dropped, failed, complained, unsubscribed
}
