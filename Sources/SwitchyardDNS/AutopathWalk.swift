import NIOCore
import SwitchyardModel

/// The server side of ``Autopath``: walks the candidates of one NXDOMAIN query in order, in the zone
/// (at once) or upstream (one query at a time), and answers with a CNAME to the first that exists.
struct AutopathWalk {
    let request: Request
    let zone: DNSZone
    let limit: Int
    /// The upstream, when this client may use it (else the walk stops at the first outside name).
    let forwarder: Forwarder?
    let eventLoop: any EventLoop
    /// The reply to the query as asked (NXDOMAIN), sent when no candidate exists.
    let original: [UInt8]

    /// Walks `candidates` from `index`.
    func run(_ candidates: [DNSName], from index: Int = 0) -> QueryOutcome {
        var index = index
        while index < candidates.count {
            let candidate = candidates[index]
            let question = Question(name: candidate, type: request.question.type, recordClass: request.question.recordClass)
            switch Resolver.resolve(question, in: zone) {
            case .nameError:
                index += 1
            case .forward:
                guard let forwarder, forwarder.forwards(candidate) else { return .reply(original) }
                let next = index + 1
                let future = forwarder.resolve(question, dnssecOK: request.edns?.dnssecOK ?? false, on: eventLoop)
                    .flatMap { upstream -> EventLoopFuture<[UInt8]> in
                        guard upstream.rcode != .nameError else { return self.continued(candidates, from: next) }
                        var message = upstream
                        self.prependCNAME(to: &message, target: candidate)
                        return self.eventLoop.makeSucceededFuture(Responder.relay(message, to: self.request, maxSize: self.limit))
                    }
                    .recover { _ in self.original }
                return .pending(future)
            case .answer, .noData, .externalName:
                return .reply(inZone(candidate, question: question))
            case .serverFailure, .refused:
                return .reply(original)
            }
        }
        return .reply(original)
    }

    /// The rest of the walk as a future (after an upstream NXDOMAIN).
    private func continued(_ candidates: [DNSName], from index: Int) -> EventLoopFuture<[UInt8]> {
        switch run(candidates, from: index) {
        case .reply(let bytes): eventLoop.makeSucceededFuture(bytes)
        case .pending(let future): future
        case .drop: eventLoop.makeSucceededFuture(original)
        }
    }

    /// The zone's reply for `candidate`, under the asked name: a CNAME to it first, then its records.
    private func inZone(_ candidate: DNSName, question: Question) -> [UInt8] {
        var asked = request
        asked.question = question
        let resolution = Resolver.resolve(question, in: zone)
        let bytes: [UInt8]
        if case .externalName(let target, let origin) = resolution {
            bytes = Responder.reply(to: asked, externalTarget: target, origin: origin, upstream: DNSMessage(), zone: zone,
                                    maxSize: DNSLimits.maxMessageSize)
        } else {
            bytes = Responder.reply(to: asked, resolution: resolution, zone: zone, maxSize: DNSLimits.maxMessageSize)
        }
        guard var message = try? bytes.withUnsafeBytes({ raw in try DNSMessage(decoding: raw) }) else { return original }
        prependCNAME(to: &message, target: candidate)
        message.id = request.id
        message.questions = [request.question]
        return message.encoded(maxSize: limit)
    }

    /// Puts `asked name CNAME target` first. Also when the target has no records of the type (NODATA):
    /// CoreDNS's autopath then sends a bare NODATA for the asked name, and glibc walks the rest of its
    /// search path (5 queries for `getent hosts web.other-ns` on an IPv4 Service); after a CNAME to
    /// an existing name without AAAA it stops.
    private func prependCNAME(to message: inout DNSMessage, target: DNSName) {
        let ttl = message.answers.first?.ttl ?? zone.options.ttl
        message.answers.insert(ResourceRecord(name: request.question.name, ttl: ttl, data: .cname(target)), at: 0)
    }
}
