import Foundation
import InletConfig
import InletModel
import Testing

@Suite struct RouteLoaderTests {
    @Test func exampleRoutesLoadWithTheirEnvironment() throws {
        let table = try RouteLoader.load(directory: exampleRoutesDirectory, environment: exampleEnvironment).get()
        let acme = try #require(table.tenant(id: "acme"))
        #expect(acme.region == .ind)
        #expect(Set(table.sources.map(\.kind)) == Set(SourceKind.allCases))

        let web = try #require(table.source(id: "acme-web"))
        #expect(web.tenantId == "acme")
        #expect(web.rateLimit == RateLimitPolicy(perSecond: 500, burst: 1000, onRedisDown: .open))
        #expect(table.source(id: "acme-partner")?.rateLimit == nil)
        #expect(table.source(id: "acme-twilio")?.credentials.secrets == ["twilio-token-1234"])
        #expect(table.source(id: "acme-whatsapp")?.credentials.verifyToken == "verify-me")
        #expect(table.source(id: "acme-ses")?.credentials.topicArn == "arn:aws:sns:ap-south-1:123456789012:acme-ses-events")
        #expect(table.source(id: "acme-postmark")?.credentials.basicAuth == ["postmark:hunter2"])
        let webhooks = try #require(table.source(id: "acme-webhooks"))
        #expect(webhooks.credentials.secrets.count == 2)
        #expect(webhooks.rateLimit?.onRedisDown == .closed)
        #expect(table.source(id: "nope") == nil)

        #expect(table.triggers(tenantId: "acme").map(\.id) == ["order-completed", "pro-signup"])
        #expect(table.triggers(tenantId: "acme", appliesTo: .deliveryEvents).map(\.id) == ["email-bounced"])
        #expect(table.tenants(in: .ind).map(\.tenant) == ["acme"])
        #expect(table.fingerprint.count == 64)
    }

    @Test func exampleRoutesNameEveryMissingVariable() throws {
        let result = RouteLoader.load(directory: exampleRoutesDirectory, environment: [:])
        guard case .failure(let errors) = result else {
            Issue.record("loaded without the environment")
            return
        }
        for variable in exampleEnvironment.keys {
            #expect(errors.errors.contains { $0.message.contains("environment variable \(variable) is not set") })
        }
        #expect(errors.errors.count == exampleEnvironment.count)
    }

    @Test func eventsSourcesGetTheDefaultRateLimit() throws {
        let table = try withRoutes(["a.yaml": "tenant: a\nregion: us\nsources:\n  - id: a-web\n    kind: events\n"]) {
            try RouteLoader.load(directory: $0, environment: [:]).get()
        }
        #expect(table.source(id: "a-web")?.rateLimit == SourceRoute.defaultEventsRateLimit)
        #expect(SourceRoute.defaultEventsRateLimit == RateLimitPolicy(perSecond: 1000, burst: 2000, onRedisDown: .open))
    }

    @Test func secretInClearIsRefusedWithoutEchoingIt() throws {
        let errors = try routeErrors([
            "beta.yaml": """
            tenant: beta
            region: ind
            sources:
              - id: beta-twilio
                kind: twilio
                secret: s3cr3t-token-value
            """
        ])
        #expect(errors.count == 1)
        let error = try #require(errors.first)
        #expect(error.line == 6)
        #expect(error.file.hasSuffix("/beta.yaml"))
        #expect(error.description.hasSuffix("beta.yaml:6: 'secret' of source 'beta-twilio' must be env:NAME; secrets are never written in route files"))
        #expect(!error.description.contains("s3cr3t"))
    }

    @Test func reportsEveryProblemOfAFileAtOnce() throws {
        let errors = try routeErrors(
            [
                "beta.yaml": """
                tenant: beta
                region: mars
                colour: blue
                sources:
                  - id: beta-web
                    kind: event
                  - id: beta-sg
                    kind: sendgrid
                  - id: beta-mg
                    kind: mailgun
                    secret: env:BETA_MISSING
                    verifyToken: env:BETA_TOKEN
                  - id: beta-rl
                    kind: events
                    rateLimit: { perSecond: 0, burst: 1.5, onRedisDown: maybe, extra: 1 }
                  - id: beta-pm
                    kind: postmark
                    basicAuth: env:BETA_EMPTY
                  - id: beta-sw
                    kind: standard-webhooks
                    secret: env:BETA_SW
                    secrets: [env:BETA_SW]
                """
            ], environment: ["BETA_EMPTY": "", "BETA_TOKEN": "t", "BETA_SW": "whsec_c2VjcmV0"])
        let expected: [(Int, String)] = [
            (2, "unknown region 'mars', expected one of ind, us, eu"),
            (3, "unknown key 'colour' in the route file"),
            (6, "unknown kind 'event' in source 'beta-web'"),
            (7, "source 'beta-sg' of kind 'sendgrid' needs 'publicKey'"),
            (11, "environment variable BETA_MISSING is not set ('secret' of source 'beta-mg')"),
            (12, "kind 'mailgun' takes no 'verifyToken' (source 'beta-mg')"),
            (15, "'perSecond' of source 'beta-rl' must be a number greater than 0"),
            (15, "'burst' of source 'beta-rl' must be a whole number of at least 1"),
            (15, "'onRedisDown' of source 'beta-rl' must be open or closed"),
            (15, "unknown key 'extra' in 'rateLimit' of source 'beta-rl'"),
            (18, "environment variable BETA_EMPTY is empty ('basicAuth' of source 'beta-pm')"),
            (19, "source 'beta-sw' has both 'secret' and 'secrets'"),
        ]
        for (line, message) in expected {
            #expect(errors.contains { $0.line == line && $0.message.contains(message) }, "\(line): \(message)")
        }
        #expect(errors.count == expected.count, "\(errors)")
        #expect(errors.map(\.line) == errors.map(\.line).sorted())
    }

    @Test func missingTopLevelKeysAreNamed() throws {
        let errors = try routeErrors(["empty.yaml": "triggers: []\n", "nothing.yaml": ""])
        #expect(errors.map(\.message).sorted() == [
            "missing 'region' in the route file", "missing 'sources' in the route file",
            "missing 'tenant' in the route file", "the file is empty",
        ])
        #expect(errors.filter { $0.file.hasSuffix("empty.yaml") }.allSatisfy { $0.line == 1 })
    }

    @Test func duplicateSourceIDsAndTenantsAcrossFiles() throws {
        let errors = try routeErrors([
            "a.yaml": "tenant: shop\nregion: ind\nsources:\n  - id: shop-web\n    kind: events\n",
            "b.yaml": "# second copy\ntenant: shop\nregion: us\nsources:\n  - id: other\n    kind: imports\n  - id: shop-web\n    kind: events\n",
        ])
        #expect(errors.count == 2)
        let tenant = try #require(errors.first { $0.message.hasPrefix("tenant") })
        #expect(tenant.file.hasSuffix("/b.yaml"))
        #expect(tenant.line == 2)
        #expect(tenant.message.hasPrefix("tenant 'shop' is already defined in "))
        #expect(tenant.message.hasSuffix("/a.yaml:1"))
        let source = try #require(errors.first { $0.message.hasPrefix("source id") })
        #expect(source.file.hasSuffix("/b.yaml"))
        #expect(source.line == 7)
        #expect(source.message.hasSuffix("/a.yaml:4"))
    }

    @Test func credentialsTheKindDoesNotTakeAreRefused() throws {
        let errors = try routeErrors([
            "c.yaml": "tenant: c\nregion: eu\nsources:\n  - id: c-web\n    kind: events\n    secret: env:C_SECRET\n"
        ], environment: ["C_SECRET": "x"])
        #expect(errors.map(\.description).map { $0.split(separator: "/").last ?? "" } == [
            "c.yaml:6: kind 'events' takes no 'secret' (source 'c-web')"
        ])
    }

    @Test func providerSecretsAreCheckedForShapeWithoutEchoingThem() throws {
        let errors = try routeErrors([
            "d.yaml": """
            tenant: d
            region: ind
            sources:
              - id: d-sw
                kind: standard-webhooks
                secret: env:D_SW
              - id: d-ses
                kind: ses
                certificate: env:D_CERT
            """
        ], environment: ["D_SW": "plain-secret-value", "D_CERT": "not-a-pem-value"])
        #expect(errors.map(\.line) == [6, 7, 9])
        #expect(errors.contains { $0.message.contains("source 'd-ses' of kind 'ses' needs 'topicArn'") })
        #expect(!errors.map(\.description).joined().contains("plain-secret-value"))
        #expect(!errors.map(\.description).joined().contains("not-a-pem-value"))
    }

    @Test func yamlSyntaxErrorsCarryTheirLine() throws {
        let errors = try routeErrors([
            "bad.yaml": "tenant: bad\nregion: ind\nsources:\n  - id: x\n    kind: [events\n",
            "dup.yaml": "tenant: dup\nregion: ind\ntenant: dup2\nsources: []\n",
        ])
        let bad = try #require(errors.first { $0.file.hasSuffix("bad.yaml") })
        #expect(bad.message.hasPrefix("invalid YAML"))
        #expect(bad.line >= 5)
        let dup = try #require(errors.first { $0.file.hasSuffix("dup.yaml") })
        #expect(dup.message == "duplicate key 'tenant'")
        #expect(dup.line == 1)
    }

    @Test func triggerProblemsCarryTheirLines() throws {
        let errors = try routeErrors([
            "gamma.yaml": """
            tenant: gamma
            region: eu
            sources: []
            triggers:
              - id: t1
                when: { type: track, where: { properties.total: { gt: cheap } } }
                campaign: c1
              - id: t1
                when: { type: track }
                campaign: c2
              - id: t3
                when:
                  type: track
                  where:
                    properties.total: { between: 1 }
                    userId: { in: abc }
                    context.ip: { exists: yes please }
              - id: t4
                when: { collection: deliveryEvents, event: Opened }
                campaign: c4
              - id: t5
                when: { type: purchase, colour: red }
                campaign: c5
              - id: t6
                when: {}
                campaign: c6
            """
        ])
        let expected: [(Int, String)] = [
            (6, "'gt' needs a number or an ISO-8601 date, got the string 'cheap' (on 'properties.total' in trigger 't1')"),
            (8, "duplicate trigger id 't1', first defined on line 5"),
            (11, "missing 'campaign' in trigger 't3'"),
            (15, "unknown operator 'between' on 'properties.total' in trigger 't3'"),
            (16, "'in' needs a list, got a string (on 'userId' in trigger 't3')"),
            (17, "'exists' needs true or false, got a string (on 'context.ip' in trigger 't3')"),
            (19, "'event' does not apply to deliveryEvents (trigger 't4'); use 'where'"),
            (22, "unknown type 'purchase' in trigger 't5'"),
            (22, "unknown key 'colour' in 'when' of trigger 't5'"),
            (25, "'when' of trigger 't6' has no condition; it would fire on every event"),
        ]
        for (line, message) in expected {
            #expect(errors.contains { $0.line == line && $0.message.contains(message) }, "\(line): \(message)")
        }
        #expect(errors.count == expected.count, "\(errors)")
    }

    @Test func fingerprintFollowsTheFilesOnly() throws {
        let first = "tenant: a\nregion: ind\nsources:\n  - id: a-tw\n    kind: twilio\n    secret: env:A_TOKEN\n"
        let second = "tenant: b\nregion: us\nsources: []\n"
        func fingerprint(_ files: [String: String], token: String = "one") throws -> String {
            try withRoutes(files) { try RouteLoader.load(directory: $0, environment: ["A_TOKEN": token]).get().fingerprint }
        }
        let base = try fingerprint(["a.yaml": first, "b.yaml": second])
        #expect(try fingerprint(["a.yaml": first, "b.yaml": second]) == base)
        #expect(try fingerprint(["a.yaml": first, "b.yaml": second], token: "rotated") == base)
        #expect(try fingerprint(["a.yaml": first, "b.yaml": second + "# note\n"]) != base)
        #expect(try fingerprint(["a.yaml": first]) != base)
        #expect(base.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func missingDirectoryIsAnError() {
        guard case .failure(let errors) = RouteLoader.load(directory: "/nonexistent/inlet-routes", environment: [:]) else {
            Issue.record("loaded a missing directory")
            return
        }
        #expect(errors.description == "/nonexistent/inlet-routes: cannot read the routes directory")
    }
}
