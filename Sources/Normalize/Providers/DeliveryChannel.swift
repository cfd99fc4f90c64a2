/// The channel a delivery event is about.
public enum DeliveryChannel: String, Sendable, Hashable, CaseIterable {
    case email, sms, whatsapp, push
}
