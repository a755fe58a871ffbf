import SwitchyardModel
import SwitchyardSources
import Testing

@Suite("YAML aliases expand within a budget (issue 15, item 3)")
struct AliasBudgetTests {
    /// A ConfigMap (otherwise skipped) whose nested aliases expand to 10^9 strings from 570 bytes.
    static let bomb = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: lol, namespace: default}
        data:
          a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]
          b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
          c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
          d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
          e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
          f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
          g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
          h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
          i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
        """

    @Test("an alias bomb is refused at once, naming the file and document (it took 22 s and 3.4 GB at 10^8)")
    func bombIsRefused() {
        let started = ContinuousClock.now
        #expect {
            try ManifestLoader().load(text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n" + Self.bomb, file: "lol.yaml")
        } throws: { error in
            guard let error = error as? ManifestError, let problem = error.problems.first else { return false }
            return error.problems.count == 1 && problem.file == "lol.yaml"
                && "\(problem)".contains("document 2: YAML aliases expand to more than")
        }
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("ordinary anchors and aliases still load")
    func ordinaryAliases() throws {
        let text = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default, labels: &labels {app: web, tier: front}}
            spec:
              clusterIP: 10.96.0.20
              selector: *labels
              ports: [{name: http, port: 80}]
            """
        let objects = try ManifestLoader().load(text: text, file: "web.yaml")
        guard case .service(let service) = objects.first else {
            Issue.record("no Service loaded: \(objects)")
            return
        }
        #expect(service.name == "web")
        #expect(service.ports.map(\.port) == [80])
    }
}
