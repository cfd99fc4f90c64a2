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

    /// The most a consumer is handed at once.
    static let maxSlice = 64 * 1024
    /// The most compressed bytes inflated at once: CSV inflates 5-10x, a gzip bomb ~1,000x (4 MB).
    static let maxCompressedSlice = 4 * 1024
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

    /// Queues the bytes in slices: over HTTP/1.1, TLS hands over a whole read cycle's plaintext at
    /// once (a megabyte), and a consumer given that in one piece submits all of its rows before it
    /// can push back. Compressed bytes stay compressed until the consumer asks for them, in slices
    /// small enough that even a gzip bomb inflates to little at a time.
    func receiveStreamedBody(_ buffer: ByteBuffer, upload: StreamingUpload) {
        guard !upload.finished else { return }
        var remaining = buffer
        let sliceSize = upload.inflater == nil ? StreamingUpload.maxSlice : StreamingUpload.maxCompressedSlice
        while let slice = remaining.readSlice(length: min(sliceSize, remaining.readableBytes)), slice.readableBytes > 0 {
            upload.pending.append(slice)
        }
        pump(upload)
    }

    /// The next slice for the consumer, inflated when the body is gzip; `nil` when nothing is
    /// queued. A slice that inflates to nothing (gzip header bytes) is skipped.
    private func nextChunk(_ upload: StreamingUpload) -> Result<ByteBuffer, GzipInflater.Failure>? {
        while let next = upload.pending.popFirst() {
            guard let inflater = upload.inflater else { return .success(next) }
            var inflated: [UInt8] = []
            do throws(GzipInflater.Failure) {
                try next.withUnsafeReadableBytes { bytes throws(GzipInflater.Failure) in try inflater.inflate(bytes, into: &inflated) }
            } catch {
                return .failure(error)
            }
            if !inflated.isEmpty, let allocator = transport?.allocator { return .success(allocator.buffer(bytes: inflated)) }
        }
        return nil
    }

    /// Hands the next queued chunk (or the end) to the consumer, or asks for more when it is idle.
    func pump(_ upload: StreamingUpload) {
        guard !upload.working, !upload.finished, let consumer = upload.consumer, let eventLoop = transport?.eventLoop else { return }
        switch nextChunk(upload) {
        case .failure:
            consumer.abort(reason: "invalid gzip")
            finishStreaming(upload, with: .error(.badRequest("invalid_gzip", "body is not valid gzip")))
        case .success(let next):
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
        case nil where upload.endReceived:
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
        case nil:
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
