import NIOCore

/// One streamed request body: chunks wait in `pending` while the consumer works on the previous
/// one, and the transport holds back further bytes until it catches up (`RequestExchange.isReadPaused`).
final class StreamingUpload {
    let head: RequestExchange.RequestHead
    let label: String
    let inflater: GzipInflater?
    var consumer: (any BodyConsumer)?
    var pending = CircularBuffer<ByteBuffer>()
    /// `begin`, `consume` or `finish` is in flight.
    var working = true
    var endReceived = false
    var finished = false

    init(head: RequestExchange.RequestHead, label: String, inflater: GzipInflater?) {
        self.head = head
        self.label = label
        self.inflater = inflater
    }

    /// Reading waits while the consumer works or bytes are still queued for it.
    var isBusy: Bool { working || !pending.isEmpty }
}

extension RequestExchange {
    func startStreaming(head: RequestHead, target: RouteTarget, endpoint: any StreamingEndpoint, inflater: GzipInflater?) {
        guard let eventLoop = transport?.eventLoop else { return }
        let upload = StreamingUpload(head: head, label: target.label, inflater: inflater)
        setStreaming(upload)
        let requestHead = InletRequestHead(method: head.method, uri: head.uri, headers: head.headers,
                                           requestId: head.requestId, remoteIP: transport?.remoteIP)
        endpoint.begin(requestHead, on: eventLoop).hop(to: eventLoop).assumeIsolated().whenComplete { result in
            upload.working = false
            switch result {
            case .success(.consume(let consumer)):
                upload.consumer = consumer
                self.pump(upload)
            case .success(.respond(let response)):
                self.finishStreaming(upload, with: response)
            case .failure:
                self.finishStreaming(upload, with: .error(.storageUnavailable()))
            }
        }
    }

    func receiveStreamedBody(_ buffer: ByteBuffer, upload: StreamingUpload) {
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
                finishStreaming(upload, with: .error(.badRequest("invalid_gzip", "body is not valid gzip")))
                return
            }
            if !inflated.isEmpty, let allocator = transport?.allocator { upload.pending.append(allocator.buffer(bytes: inflated)) }
        } else {
            upload.pending.append(buffer)
        }
        pump(upload)
    }

    /// Hands the next queued chunk (or the end) to the consumer, or asks for more when it is idle.
    func pump(_ upload: StreamingUpload) {
        guard !upload.working, !upload.finished, let consumer = upload.consumer, let eventLoop = transport?.eventLoop else { return }
        if let next = upload.pending.popFirst() {
            upload.working = true
            consumer.consume(next).hop(to: eventLoop).assumeIsolated().whenComplete { result in
                upload.working = false
                switch result {
                case .success(.more):
                    self.pump(upload)
                case .success(.respond(let response)):
                    self.finishStreaming(upload, with: response)
                case .failure:
                    consumer.abort(reason: "consumer failed")
                    self.finishStreaming(upload, with: .error(.storageUnavailable()), forceClose: true)
                }
            }
        } else if upload.endReceived {
            if let inflater = upload.inflater, (try? inflater.finish()) == nil {
                consumer.abort(reason: "truncated gzip")
                finishStreaming(upload, with: .error(.badRequest("invalid_gzip", "body is not valid gzip")))
                return
            }
            upload.working = true
            consumer.finish().hop(to: eventLoop).assumeIsolated().whenComplete { result in
                upload.working = false
                self.finishStreaming(upload, with: (try? result.get()) ?? .error(.storageUnavailable()))
            }
        } else {
            armBodyTimer()
            transport?.resumeReading()
        }
    }

    /// Answers a streamed request. Before its body has all arrived the answer is early (HTTP/1.1
    /// closes after it, HTTP/2 resets the stream); `forceClose` closes an HTTP/1.1 connection anyway.
    private func finishStreaming(_ upload: StreamingUpload, with response: InletResponse, forceClose: Bool = false) {
        guard !upload.finished else { return }
        upload.finished = true
        upload.pending.removeAll()
        cancelBodyTimer()
        setIdleOrDiscarding(endReceived: upload.endReceived)
        var head = upload.head
        if forceClose { head.keepAlive = false }
        send(response, head: head, label: upload.label, early: !upload.endReceived)
        transport?.resumeReading()
    }
}
