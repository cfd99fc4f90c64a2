import NIOCore
import NIOHTTP1

/// One streamed request body: chunks wait in `pending` while the consumer works on the previous
/// one, and reading stops until it catches up (see `RequestHandler.read`).
final class StreamingUpload {
    let requestId: String
    let label: String
    let startedAt: NIODeadline
    let keepAlive: Bool
    let inflater: GzipInflater?
    var consumer: (any BodyConsumer)?
    var pending = CircularBuffer<ByteBuffer>()
    /// `begin`, `consume` or `finish` is in flight.
    var working = true
    var endReceived = false
    var finished = false

    init(requestId: String, label: String, keepAlive: Bool, inflater: GzipInflater?) {
        self.requestId = requestId
        self.label = label
        self.startedAt = .now()
        self.keepAlive = keepAlive
        self.inflater = inflater
    }

    /// Reading waits while the consumer works or bytes are still queued for it.
    var isBusy: Bool { working || !pending.isEmpty }
}

extension RequestHandler {
    func startStreaming(head: HTTPRequestHead, target: RouteTarget, endpoint: any StreamingEndpoint, requestId: String,
                        inflater: GzipInflater?, context: ChannelHandlerContext) {
        let upload = StreamingUpload(requestId: requestId, label: target.label, keepAlive: head.isKeepAlive, inflater: inflater)
        setStreaming(upload)
        let requestHead = InletRequestHead(
            method: head.method, uri: head.uri, headers: head.headers, requestId: requestId,
            remoteIP: context.channel.remoteAddress?.ipAddress ?? context.channel.parent?.remoteAddress?.ipAddress
        )
        endpoint.begin(requestHead, on: context.eventLoop).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            upload.working = false
            switch result {
            case .success(.consume(let consumer)):
                upload.consumer = consumer
                self.pump(upload, context: context)
            case .success(.respond(let response)):
                self.finishStreaming(upload, with: response, close: !upload.endReceived, context: context)
            case .failure:
                self.finishStreaming(upload, with: .error(.storageUnavailable()), close: true, context: context)
            }
        }
    }

    func receiveStreamedBody(_ buffer: ByteBuffer, upload: StreamingUpload, context: ChannelHandlerContext) {
        guard !upload.finished else { return }
        if let inflater = upload.inflater {
            var inflated: [UInt8] = []
            let failed = buffer.withUnsafeReadableBytes { bytes -> Bool in
                do throws(GzipInflater.Failure) {
                    try inflater.inflate(bytes, into: &inflated)
                    return false
                } catch {
                    return true
                }
            }
            if failed {
                upload.consumer?.abort(reason: "invalid gzip")
                finishStreaming(upload, with: .error(.badRequest("invalid_gzip", "body is not valid gzip")), close: true, context: context)
                return
            }
            if !inflated.isEmpty { upload.pending.append(context.channel.allocator.buffer(bytes: inflated)) }
        } else {
            upload.pending.append(buffer)
        }
        pump(upload, context: context)
    }

    /// Hands the next queued chunk (or the end) to the consumer, or reads more when it is idle.
    func pump(_ upload: StreamingUpload, context: ChannelHandlerContext) {
        guard !upload.working, !upload.finished, let consumer = upload.consumer else { return }
        if let next = upload.pending.popFirst() {
            upload.working = true
            consumer.consume(next).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                upload.working = false
                switch result {
                case .success(.more):
                    self.pump(upload, context: context)
                case .success(.respond(let response)):
                    self.finishStreaming(upload, with: response, close: !upload.endReceived, context: context)
                case .failure:
                    consumer.abort(reason: "consumer failed")
                    self.finishStreaming(upload, with: .error(.storageUnavailable()), close: true, context: context)
                }
            }
        } else if upload.endReceived {
            if let inflater = upload.inflater, (try? inflater.finish()) == nil {
                consumer.abort(reason: "truncated gzip")
                finishStreaming(upload, with: .error(.badRequest("invalid_gzip", "body is not valid gzip")), close: true, context: context)
                return
            }
            upload.working = true
            consumer.finish().hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                upload.working = false
                let response = (try? result.get()) ?? .error(.storageUnavailable())
                self.finishStreaming(upload, with: response, close: !upload.keepAlive, context: context)
            }
        } else {
            armBodyTimer(context: context)
            resumeReading(context: context)
        }
    }

    private func finishStreaming(_ upload: StreamingUpload, with response: InletResponse, close: Bool, context: ChannelHandlerContext) {
        guard !upload.finished else { return }
        upload.finished = true
        upload.pending.removeAll()
        cancelBodyTimer()
        setIdleOrDiscarding(endReceived: upload.endReceived)
        send(response, requestId: upload.requestId, label: upload.label, startedAt: upload.startedAt, closeAfter: close, context: context)
        resumeReading(context: context)
    }
}
