extension Connection {
    /// Starts the Task answering queued requests (the machine starts one at a time).
    func startProcessing() {
        processing = Task(executorPreference: context.loop) { [self] in
            await self.processPending()
        }
    }

    /// Answers queued requests in order, for as long as the machine hands them out.
    private func processPending() async {
        while let item = machine.nextPending() {
            switch item {
            case .reject(let status, let reason):
                sendServerError(status, reason: reason)
                perform(machine.responseSent(keptOpen: false))
            case .request(let request, let keepAlive):
                let response = await server.responder.respond(to: request)
                // The Task prefers this loop as executor, so even a responder that hopped to an
                // actor comes back here; state below is loop-confined.
                assert(context.loop.inLoop || context.loop.hasExited, "connection resumed off its loop")
                if closed { break }
                let keep = machine.keepsAlive(
                    requested: keepAlive, responseSaysClose: response.headers.containsToken("close", in: "Connection"),
                    serverDraining: server.isDraining)
                let kept = await write(response, for: request, keepAlive: keep)
                perform(machine.responseSent(keptOpen: kept))
            }
        }
        processing = nil
        perform(machine.processingFinished(now: server.clock(), outputPending: bufferedOutput > 0))
        updateInterest()
        updateIdleState()
    }

    /// Writes one response; returns whether the connection stays open afterwards.
    private func write(_ response: HTTPResponse, for request: HTTPRequest, keepAlive: Bool) async -> Bool {
        var keepAlive = keepAlive
        let omitBody = request.method == .HEAD || response.status.forbidsBody
        var head: [UInt8] = []
        head.reserveCapacity(192 + response.headers.count * 48)
        switch response.body {
        case .bytes(let body):
            let framing: ResponseFraming = response.status.forbidsBody ? .noBody : .length(body.count)
            ResponseEncoder.encodeHead(
                into: &head, status: response.status, headers: response.headers, framing: framing, keepAlive: keepAlive,
                requestVersion: request.version, requestID: request.requestID, date: context.date)
            head.withUnsafeBytes { h in
                if omitBody || body.isEmpty {
                    send(h)
                } else {
                    body.withUnsafeBytes { b in send(h, b) }
                }
            }
            if bufferedOutput > server.limits.writeHighWatermark {
                do { try await waitForDrain() } catch { return false }
            }
        case .stream(let produce):
            let chunked = request.version != .http1_0
            if !chunked { keepAlive = false }
            let framing: ResponseFraming = response.status.forbidsBody ? .noBody : (chunked ? .chunked : .untilClose)
            ResponseEncoder.encodeHead(
                into: &head, status: response.status, headers: response.headers, framing: framing, keepAlive: keepAlive,
                requestVersion: request.version, requestID: request.requestID, date: context.date)
            head.withUnsafeBytes { send($0) }
            if omitBody { return keepAlive }
            do {
                try await produce(ConnectionBodyWriter(connection: self, chunked: chunked))
                if closed { return false }
                if chunked { ResponseEncoder.lastChunk.withUnsafeBytes { send($0) } }
            } catch {
                // The head is out, so the status cannot change: cut the connection so the client
                // sees an incomplete body rather than a truncated but "complete" one.
                if !closed {
                    server.logger.debug(
                        "stream failed", metadata: ["requestID": "\(request.requestID)", "error": "\(error)"])
                    close()
                }
                return false
            }
        }
        return keepAlive
    }

    /// Answers with `status` and closes without reading any request (e.g. 503 at capacity).
    func rejectImmediately(_ status: HTTPStatus, reason: String) {
        perform(machine.rejectImmediately(status, reason: reason))
    }

    /// Sends a server-generated error (400/408/413/431/501/505/503) with a fresh request id.
    func sendServerError(_ status: HTTPStatus, reason: String) {
        if let tls, !tls.isHandshakeComplete {
            close()
            return
        }
        let id = context.nextRequestID()
        let response = server.renderError(HTTPError.rejection(status, reason: reason))
        let bytes = ResponseEncoder.errorResponse(response, requestID: id, date: context.date)
        bytes.withUnsafeBytes { send($0) }
        server.logger.debug(
            "rejected request",
            metadata: ["status": "\(status.code)", "reason": "\(reason)", "remote": "\(remote)", "requestID": "\(id)"])
        server.emit(.rejected(status: status, reason: reason, remoteAddress: remote, requestID: id))
    }
}
