import Crypto
import Foundation
import NIOSSL
import X509

/// A throwaway CA, a server certificate for `localhost` and a client certificate, all made in the
/// test (P-256, valid one hour), as PEM.
struct TestCertificates {
    var caPEM: String
    var serverCertificatePEM: String
    var serverKeyPEM: String
    var clientCertificatePEM: String
    var clientKeyPEM: String

    static func make(caName: String = "switchyard test CA") throws -> TestCertificates {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caSubject = try DistinguishedName { CommonName(caName) }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 3600, issuer: caSubject, subject: caSubject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(caKey))

        func leaf(_ name: String, usage: ExtendedKeyUsage.Usage, san: Bool) throws -> (String, String) {
            let key = P256.Signing.PrivateKey()
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: now - 3600, notValidAfter: now + 3600, issuer: caSubject,
                subject: try DistinguishedName { CommonName(name) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([usage])
                    if san { SubjectAlternativeNames([.dnsName("localhost")]) }
                },
                issuerPrivateKey: .init(caKey))
            return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
        }
        let (serverCertificate, serverKey) = try leaf("localhost", usage: .serverAuth, san: true)
        let (clientCertificate, clientKey) = try leaf("system:serviceaccount:kube-system:switchyard", usage: .clientAuth, san: false)
        return TestCertificates(
            caPEM: try ca.serializeAsPEM().pemString,
            serverCertificatePEM: serverCertificate, serverKeyPEM: serverKey,
            clientCertificatePEM: clientCertificate, clientKeyPEM: clientKey)
    }

    /// The server's TLS context; it requires a client certificate signed by the CA.
    func serverContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(serverCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serverKeyPEM.utf8), format: .pem)))
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        configuration.certificateVerification = .noHostnameVerification
        return try NIOSSLContext(configuration: configuration)
    }
}
